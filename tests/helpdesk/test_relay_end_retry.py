"""A session's end survives a helpdesk-server outage with its true time and reason.

The relay ends a session while the server is down: its "ended" report fails. Before the
fix the relay never sent it again, and the server, once back, learned of the end only
from the heartbeat catch-up, stamped with the time of the catch-up ("ended-unreported"):
the end was wrong by the length of the outage. Now the relay keeps the end report (with
``ended_at``, its own clock) and sends it again, signed anew, until it is accepted; the
server records it ``X-Relay-Timestamp - ended_at`` seconds before it arrived, bounded by
the session's connection and its own now, and a later relay end replaces only the
catch-up's ``ended-unreported`` placeholder.

Real processes: the server (``start_server``; a clocked one where the test moves time)
and the relay (``python -m remoterelay``), real tokens over real sockets; the relay's
report queue with its real ``HttpReporter`` against a port nobody listens on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from helpdesk.db import db_factory, make_engine
from helpdesk.models import RelayNode, RemoteSession
from remoteapp.net.helpdesk import HelpdeskClient, SessionGrant, SessionOffer
from remoterelay.reporter import HttpReporter
from remoterelay.reporting import ReportQueue
from remotewire.relay_join import open_relay
from tests.helpdesk.conftest import db_args, wait_until
from tests.helpdesk.server_process import Process, Server, free_port, start_server
from tests.helpdesk.test_relay_reports import post, signed
from tests.scale.helpers import start_relay as scale_relay

SECRET = secrets.token_hex(32)
ENV = {
    "REMOTEAPP_RELAY_SECRET": SECRET,
    # a relay silent through the outage must not be swept as "relay-lost" meanwhile
    "REMOTEAPP_RELAY_LAPSE_S": "600",
    "REMOTEAPP_SWEEP_S": "0.3",
    "REMOTEAPP_REGISTER_PER_ADDRESS": "1000000",
    "REMOTEAPP_REGISTER_PER_APP": "1000000",
}
FALLBACK = "127.0.0.1:9"
"""``--public-relay``: where a session would go if no relay had registered."""
FIELDS = {"name": "Outage Customer", "email": "outage@example.com"}


def row(server: Server, session_id: str) -> RemoteSession:
    """The session's row as the database has it (times to the microsecond)."""
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            session = db.get(RemoteSession, session_id)
            assert session is not None, session_id
            db.expunge(session)
            return session
    finally:
        engine.dispose()


def relay_registered(server: Server, address: str) -> bool:
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            return address in db.scalars(select(RelayNode.address)).all()
    finally:
        engine.dispose()


def epoch(value: datetime | None) -> float:
    assert value is not None
    return value.replace(tzinfo=UTC).timestamp()


def agent_of(server: Server) -> HelpdeskClient:
    client = HelpdeskClient(server.http_url, timeout_s=10)
    creds = server.credentials["agent"]
    client.login(creds["email"], creds["password"])
    return client


def joined_offer(server: Server) -> tuple[SessionGrant, SessionOffer]:
    """A customer registered, an agent's grant to it and the customer's offer: the two
    tokens a session's parties join the relay with."""
    agent, customer = agent_of(server), HelpdeskClient(server.http_url, timeout_s=10)
    try:
        reg = customer.register("demo", "dev-" + secrets.token_hex(8), FIELDS)
        grant = agent.connect(reg.partner_id, reg.password)
        (offer,) = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers
        return grant, offer
    finally:
        agent.close()
        customer.close()


def start_relay(server: Server, port: int) -> Process:
    return scale_relay(server.http_url, port, env=ENV)


def test_an_end_during_a_server_outage_is_recorded_with_its_time_and_reason(
    tmp_path: Path,
) -> None:
    """The reviewer's repro: the server stops mid-session, the agent's app goes away (the
    relay ends the session, its report fails), the server comes back."""
    http_port, relay_port = free_port(), free_port()
    args = ["--no-relay", "--public-relay", FALLBACK]
    server = start_server(tmp_path, ENV, args, http_port=http_port)
    relay = start_relay(server, relay_port)
    restarted: Server | None = None
    try:
        address = f"127.0.0.1:{relay_port}"
        wait_until(lambda: relay_registered(server, address))
        grant, offer = joined_offer(server)
        assert grant.relay == address
        sid = grant.session_id

        async def session_ended_during_outage() -> tuple[float, float]:
            (_, a_write), (c_read, c_write) = await asyncio.gather(
                open_relay(address, grant.token), open_relay(address, offer.token)
            )
            try:
                await asyncio.to_thread(wait_until, lambda: row(server, sid).state == "connected")
                assert server.process.stop() == 0  # the outage begins
                before = time.time()
                a_write.close()  # the agent's app is gone: the relay ends the session
                assert await asyncio.wait_for(c_read.read(), 10) == b""
                return before, time.time()
            finally:
                c_write.close()

        before, after = asyncio.run(session_ended_during_outage())
        relay.wait_for(rf"relay event=report-failed event_=ended session={sid}")
        back = restarted = start_server(tmp_path, ENV, args, http_port=http_port)
        outage_ended = time.time()
        # the relay's end, sent again, is taken (a heartbeat that got in first, between a
        # retry refused while the server was starting and the next one, only leaves the
        # placeholder "ended-unreported" for a moment: the retry replaces it)
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: row(back, sid).end_reason not in (None, "ended-unreported"))
        ended = row(back, sid)
        assert ended.end_reason == "agent-left"  # the relay's reason, not "ended-unreported"
        # the end as the relay saw it (give or take the delivery's latency), not when the
        # server was back: nearer the true end than the outage's end, whatever the load
        recorded = epoch(ended.ended_at)
        assert before - 0.25 <= recorded
        assert recorded - after < (outage_ended - after) / 2, (recorded, after, outage_ended)
        relay.wait_for(rf"relay event=end-report-delivered session={sid}")
    finally:
        relay.stop()
        if restarted is not None:
            assert restarted.process.stop(timeout_s=30) == 0, "".join(restarted.process.log[-30:])
        server.process.stop()


@contextlib.contextmanager
def clocked_server(
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
    name: str,
    env: dict[str, str] = ENV,
) -> Iterator[Server]:
    """A server whose clock the test moves, on the database ``request`` names; it must
    stop cleanly."""
    server = start_server(tmp_path_factory.mktemp(name), env, db_args(request), clocked=True)
    yield server
    assert server.process.stop(timeout_s=30) == 0, "".join(server.process.log[-30:])


def unreachable_queue(moved: list[float]) -> ReportQueue:
    """A relay's report queue whose helpdesk never answers, keeping two reports at most,
    its keeping clock ``moved[0]`` seconds ahead (made in the running loop)."""
    reporter = HttpReporter(f"http://127.0.0.1:{free_port()}", SECRET.encode(), timeout_s=2)
    return ReportQueue(
        reporter,
        0.05,
        lambda: {"event": "heartbeat", "relay_id": "bounded", "sessions": []},
        lambda answer: None,
        keep_ends=2,
        keep_ends_s=60,
        monotonic=lambda: time.monotonic() + moved[0],
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def clocked(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """A server whose clock the test moves, with a relay lapse longer than any move."""
    with clocked_server(tmp_path_factory, request, "end-retry") as server:
        yield server


def report(server: Server, payload: dict[str, Any], at: float | None = None) -> int:
    return post(server, *signed(payload, SECRET, at)).status_code


def connected_session(server: Server, relay_id: str) -> str:
    """A session its relay's heartbeat lists as running (so: connected, on that relay)."""
    agent, customer = agent_of(server), HelpdeskClient(server.http_url, timeout_s=10)
    try:
        reg = customer.register("demo", "dev-" + secrets.token_hex(8), FIELDS)
        sid = agent.connect(reg.partner_id, reg.password).session_id
    finally:
        agent.close()
        customer.close()
    beat = {"event": "heartbeat", "relay_id": relay_id, "sessions": [sid]}
    assert report(server, beat) == 200
    assert row(server, sid).state == "connected"
    return sid


def ended(relay_id: str, sid: str, ended_at: float, reason: str = "agent-left") -> dict[str, Any]:
    return {
        "event": "ended",
        "relay_id": relay_id,
        "session_id": sid,
        "reason": reason,
        "ended_at": ended_at,
    }


def test_a_late_end_replaces_the_catch_ups_placeholder_once(clocked: Server) -> None:
    """The heartbeat caught up first (the end report was still on its way): the relay's
    end, once it arrives, corrects the placeholder's time and reason; repeated deliveries
    (a retry after a timeout the server did take) change nothing."""
    relay_id = "retry-" + secrets.token_hex(4)
    sid = connected_session(clocked, relay_id)
    clocked.advance(90)
    assert report(clocked, {"event": "heartbeat", "relay_id": relay_id, "sessions": []}) == 200
    placeholder = row(clocked, sid)
    assert placeholder.end_reason == "ended-unreported"
    # ended 60 s before it was sent (the relay's clock; only the difference counts)
    sent = time.time()
    assert report(clocked, ended(relay_id, sid, sent - 60), at=sent) == 200
    fixed = row(clocked, sid)
    assert fixed.end_reason == "agent-left"
    assert fixed.ended_at is not None and placeholder.ended_at is not None
    assert 59 < (placeholder.ended_at - fixed.ended_at).total_seconds() < 62
    clocked.process.wait_for(rf"helpdesk event=relay-end-corrected session={sid}")
    # the same end again, re-signed (a retry), and again later: nothing changes
    for again in (time.time(), time.time() + 1):
        assert report(clocked, ended(relay_id, sid, sent - 60), at=again) == 200
        assert report(clocked, ended(relay_id, sid, sent - 30, "customer-left")) == 200
        now = row(clocked, sid)
        assert (now.ended_at, now.end_reason) == (fixed.ended_at, fixed.end_reason)


def test_a_recorded_end_that_is_not_the_placeholder_stands(clocked: Server) -> None:
    relay_id = "retry-" + secrets.token_hex(4)
    other = connected_session(clocked, relay_id)
    assert report(clocked, ended(relay_id, other, time.time())) == 200
    first = row(clocked, other)
    assert report(clocked, ended(relay_id, other, time.time() - 5, "idle-timeout")) == 200
    assert (row(clocked, other).ended_at, row(clocked, other).end_reason) == (
        first.ended_at,
        "agent-left",
    )
    # a placeholder is replaced only by its own relay's account of the end
    sid = connected_session(clocked, relay_id)
    assert report(clocked, {"event": "heartbeat", "relay_id": relay_id, "sessions": []}) == 200
    for stranger in (
        ended("another-relay", sid, time.time()),
        ended(relay_id, sid, time.time(), "ended-by-helpdesk"),
    ):
        assert report(clocked, stranger) == 200
        assert row(clocked, sid).end_reason == "ended-unreported"


def test_an_end_time_is_clamped_to_the_session_and_the_servers_now(clocked: Server) -> None:
    relay_id = "retry-" + secrets.token_hex(4)
    # before the session connected (a relay's clock that jumped, or a lie): its connection
    early = connected_session(clocked, relay_id)
    sent = time.time()
    assert report(clocked, ended(relay_id, early, sent - 10_000), at=sent) == 200
    recorded = row(clocked, early)
    assert (recorded.ended_at, recorded.end_reason) == (recorded.connected_at, "agent-left")
    clocked.process.wait_for(
        rf"helpdesk event=relay-end-clamped session={early} \S+ bound=connected"
    )
    # after it was sent: the server's now
    late = connected_session(clocked, relay_id)
    clocked.advance(30)
    sent = time.time()
    assert report(clocked, ended(relay_id, late, sent + 20), at=sent) == 200
    recorded = row(clocked, late)
    assert recorded.ended_at is not None and recorded.connected_at is not None
    assert (recorded.ended_at - recorded.connected_at).total_seconds() >= 30
    clocked.process.wait_for(rf"helpdesk event=relay-end-clamped session={late} \S+ bound=now")
    # a correction is never later than the placeholder's time
    unreported = connected_session(clocked, relay_id)
    assert report(clocked, {"event": "heartbeat", "relay_id": relay_id, "sessions": []}) == 200
    placeholder = row(clocked, unreported).ended_at
    clocked.advance(30)
    assert report(clocked, ended(relay_id, unreported, time.time())) == 200
    assert (row(clocked, unreported).ended_at, row(clocked, unreported).end_reason) == (
        placeholder,
        "agent-left",
    )


def test_kept_end_reports_are_bounded_oldest_dropped_first(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The relay's queue with its real reporter, against a port nobody listens on: ends
    are kept for retries, at most ``keep_ends`` and for ``keep_ends_s`` (an injected
    clock), each drop logged."""
    caplog.set_level(logging.INFO, "remoteapp.relay")
    moved = [0.0]

    async def scenario() -> list[str]:
        queue = unreachable_queue(moved)
        queue.start()
        try:
            for sid in ("s1", "s2", "s3"):
                queue.put({"event": "ended", "relay_id": "bounded", "session_id": sid})
            await wait_for(lambda: queue.kept_ends == ["s2", "s3"])
            kept = queue.kept_ends
            moved[0] = 61.0  # past keep_ends_s: the next retry round forgets them
            await wait_for(lambda: queue.kept_ends == [])
            return kept
        finally:
            await queue.close(timeout_s=5)

    assert asyncio.run(scenario()) == ["s2", "s3"]
    dropped = [r.getMessage() for r in caplog.records if "end-report-dropped" in r.getMessage()]
    assert dropped == [
        "relay event=end-report-dropped session=s1 why=too-many-kept",
        "relay event=end-report-dropped session=s2 why=kept-too-long",
        "relay event=end-report-dropped session=s3 why=kept-too-long",
    ]


async def wait_for(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Until ``check()`` holds, bounded (the queue's own tasks make it so)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.02)


def test_an_end_report_refused_for_good_is_dropped_not_kept(
    clocked: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """The helpdesk answered and refused it (here 422: a session id no session has the
    shape of): kept, it failed every round first in line and held back every other kept
    end report until all were dropped an hour later (helper-109)."""
    caplog.set_level(logging.INFO, "remoteapp.relay")
    reporter = HttpReporter(clocked.http_url, SECRET.encode(), timeout_s=5)
    malformed = "x" * 300

    async def scenario() -> list[str]:
        queue = ReportQueue(
            reporter,
            0.05,
            lambda: {"event": "heartbeat", "relay_id": "refused", "sessions": []},
            lambda answer: None,
        )
        queue.start()
        try:
            queue.put({"event": "ended", "relay_id": "refused", "session_id": malformed})
            await wait_for(lambda: any("why=refused" in r.getMessage() for r in caplog.records))
            return queue.kept_ends
        finally:
            await queue.close(timeout_s=5)

    assert asyncio.run(scenario()) == []
