"""A session that connects during a helpdesk-server outage gets its true start.

A session's ticket action records its start from the server's ``connected_at``. The relay
pairs both sides while the server is down: its "connected" report fails. Before the fix
the relay never sent it again, and the server, once back, learned of the connect only
from the heartbeat catch-up (``heartbeat-listed``), stamped with the catch-up's time: the
start was wrong by the length of the outage. Now the relay keeps the "connected" report
(with ``connected_at``, its own clock) like an end report, and sends it again, signed
anew, until it is accepted; the server records it ``X-Relay-Timestamp - connected_at``
seconds before it arrived, bounded by the offer, its own now and a recorded end, and the
catch-up's connect gives way to it (``lifecycle.CORRECTIONS``).

Real processes: the server (``start_server``; a clocked one where the test moves time)
and the relay (``python -m remoterelay``), real tokens over real sockets; the relay's
report queue with its real ``HttpReporter`` against the server or a port nobody listens
on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from remoteapp.net.helpdesk import HelpdeskClient
from remoterelay.reporter import HttpReporter
from remoterelay.reporting import ReportQueue
from remotewire.relay_join import open_relay
from tests.helpdesk.conftest import wait_until
from tests.helpdesk.server_process import Server, free_port, start_server
from tests.helpdesk.test_relay_end_retry import (
    ENV,
    FALLBACK,
    FIELDS,
    SECRET,
    agent_of,
    clocked_server,
    ended,
    epoch,
    joined_offer,
    relay_registered,
    report,
    row,
    start_relay,
    unreachable_queue,
    wait_for,
)


def test_a_session_connected_during_a_server_outage_gets_the_relays_connect_time(
    tmp_path: Path,
) -> None:
    """The server stops after the offer; both sides join the relay (its "connected"
    report fails); the server comes back: the session's start is the pairing's, not the
    moment the server heard of it again."""
    http_port, relay_port = free_port(), free_port()
    args = ["--no-relay", "--public-relay", FALLBACK]
    server = start_server(tmp_path, ENV, args, http_port=http_port)
    relay = start_relay(server, relay_port)
    restarted: Server | None = None
    try:
        address = f"127.0.0.1:{relay_port}"
        wait_until(lambda: relay_registered(server, address))
        grant, offer = joined_offer(server)
        sid = grant.session_id
        assert server.process.stop() == 0  # the outage begins

        async def pair_during_outage() -> tuple[float, float, list[asyncio.StreamWriter]]:
            before = time.time()
            sides = await asyncio.gather(
                open_relay(address, grant.token), open_relay(address, offer.token)
            )
            return before, time.time(), [writer for _, writer in sides]

        writers: list[asyncio.StreamWriter] = []
        loop = asyncio.new_event_loop()
        try:
            before, after, writers = loop.run_until_complete(pair_during_outage())
            relay.wait_for(rf"relay event=report-failed event_=connected session={sid}")
            relay.wait_for(rf"relay event=connect-report-kept session={sid}")
            # the outage lasts: a dozen of the relay's heartbeats fail (0.2 s apart), so a
            # start stamped when the server is back is off by more than the tolerance
            for _ in range(12):
                relay.wait_for(r"relay event=report-failed event_=heartbeat")
            back = restarted = start_server(tmp_path, ENV, args, http_port=http_port)
            outage_ended = time.time()
            assert outage_ended - after > 2

            def true_start() -> bool:  # the catch-up may stamp first: the retry corrects it
                connected_at = row(back, sid).connected_at
                return connected_at is not None and epoch(connected_at) < outage_ended - 1

            wait_until(true_start)
            recorded = epoch(row(back, sid).connected_at)
            assert before - 0.25 <= recorded <= after + 1, (before, recorded, after)
            assert row(back, sid).state == "connected"
            relay.wait_for(rf"relay event=connect-report-delivered session={sid}")
        finally:
            loop.run_until_complete(close_all(writers))
            loop.close()
    finally:
        relay.stop()
        if restarted is not None:
            assert restarted.process.stop(timeout_s=30) == 0, "".join(restarted.process.log[-30:])
        server.process.stop()


async def close_all(writers: list[asyncio.StreamWriter]) -> None:
    for writer in writers:
        writer.close()
    for writer in writers:
        with contextlib.suppress(OSError):
            await asyncio.wait_for(writer.wait_closed(), 5)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def clocked(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """A server whose clock the test moves, with a relay lapse longer than any move."""
    with clocked_server(tmp_path_factory, request, "connected-retry") as server:
        yield server


def offered_session(server: Server) -> str:
    agent, customer = agent_of(server), HelpdeskClient(server.http_url, timeout_s=10)
    try:
        reg = customer.register("demo", "dev-" + secrets.token_hex(8), FIELDS)
        return agent.connect(reg.partner_id, reg.password).session_id
    finally:
        agent.close()
        customer.close()


def connected(relay_id: str, sid: str, connected_at: float | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"event": "connected", "relay_id": relay_id, "session_id": sid}
    if connected_at is not None:
        payload["connected_at"] = connected_at
    return payload


def test_a_late_connect_replaces_the_catch_ups_start(clocked: Server) -> None:
    """The heartbeat listed the session first (its "connected" report still on its way):
    the relay's connect, once it arrives, moves the start back to when it happened;
    repeats, another relay's and an older relay's report change nothing."""
    relay_id = "retry-" + secrets.token_hex(4)
    sid = offered_session(clocked)
    clocked.advance(30)  # the offer is 30 s old, on the server's clock, at the catch-up
    listed = {"event": "heartbeat", "relay_id": relay_id, "sessions": [sid]}
    assert report(clocked, listed) == 200  # the catch-up's start
    catch_up = row(clocked, sid).connected_at
    assert catch_up is not None
    for other in (
        connected("another-relay", sid, time.time() - 20),
        connected(relay_id, sid, None),
    ):
        assert report(clocked, other) == 200
        assert row(clocked, sid).connected_at == catch_up
    # paired 20 s before it was sent (the relay's clock; only the difference counts)
    sent = time.time()
    assert report(clocked, connected(relay_id, sid, sent - 20), at=sent) == 200
    fixed = row(clocked, sid)
    assert fixed.connected_at is not None and fixed.state == "connected"
    assert 19 < (catch_up - fixed.connected_at).total_seconds() < 22
    clocked.process.wait_for(rf"helpdesk event=relay-connect-corrected session={sid}")
    for again in (time.time(), time.time() + 1):  # retried, re-signed: nothing changes
        assert report(clocked, connected(relay_id, sid, sent - 20), at=again) == 200
        assert row(clocked, sid).connected_at == fixed.connected_at
    # never later than the recorded start, nor before the offer
    assert report(clocked, connected(relay_id, sid, time.time() + 50)) == 200
    assert row(clocked, sid).connected_at == fixed.connected_at
    assert report(clocked, connected(relay_id, sid, time.time() - 10_000)) == 200
    assert row(clocked, sid).connected_at == row(clocked, sid).offered_at
    clocked.process.wait_for(
        rf"helpdesk event=relay-connect-clamped session={sid} \S+ bound=offered"
    )


def test_a_connect_is_dated_by_the_relay_and_never_after_a_recorded_end(clocked: Server) -> None:
    relay_id = "retry-" + secrets.token_hex(4)
    # an offered session: the relay's connect time, not the report's arrival
    sid = offered_session(clocked)
    clocked.advance(40)
    sent = time.time()
    assert report(clocked, connected(relay_id, sid, sent - 15), at=sent) == 200
    recorded = row(clocked, sid)
    assert recorded.connected_at is not None and recorded.offered_at is not None
    assert 24 < (recorded.connected_at - recorded.offered_at).total_seconds() < 27
    # stamped after it was sent (a relay's clock that jumped): the server's now
    late = offered_session(clocked)
    assert report(clocked, connected(relay_id, late, time.time() + 30)) == 200
    clocked.process.wait_for(rf"helpdesk event=relay-connect-clamped session={late} \S+ bound=now")
    # an older relay (no connected_at): recorded on arrival, as before
    old = offered_session(clocked)
    clocked.advance(20)
    assert report(clocked, connected(relay_id, old, None)) == 200
    recorded = row(clocked, old)
    assert recorded.connected_at is not None and recorded.offered_at is not None
    assert (recorded.connected_at - recorded.offered_at).total_seconds() >= 20
    # caught up, then ended by the catch-up too: a late connect stays before the end
    ending = offered_session(clocked)
    clocked.advance(10)
    listed = {"event": "heartbeat", "relay_id": relay_id, "sessions": [ending]}
    assert report(clocked, listed) == 200
    clocked.advance(10)
    assert report(clocked, {**listed, "sessions": []}) == 200
    gone = row(clocked, ending)
    assert gone.end_reason == "ended-unreported" and gone.ended_at is not None
    assert report(clocked, connected(relay_id, ending, time.time() - 15)) == 200
    fixed = row(clocked, ending)
    assert fixed.connected_at is not None and gone.connected_at is not None
    assert fixed.connected_at < gone.connected_at <= fixed.ended_at
    assert (fixed.state, fixed.ended_at, fixed.end_reason) == (
        "ended",
        gone.ended_at,
        gone.end_reason,
    )
    # and the relay's end, dated before the corrected start, is clamped to it
    assert report(clocked, ended(relay_id, ending, time.time() - 60)) == 200
    assert row(clocked, ending).ended_at == fixed.connected_at
    assert row(clocked, ending).end_reason == "agent-left"


def test_an_end_waits_behind_its_kept_connect(clocked: Server) -> None:
    """The "connected" report failed (kept), the helpdesk is back at once and the session
    ends: its "ended" report must not reach the helpdesk first, which would end an offer
    that never connected and ignore the connect after it."""
    relay_id = "order-" + secrets.token_hex(4)
    sid = offered_session(clocked)
    real = HttpReporter(clocked.http_url, SECRET.encode(), timeout_s=5)
    failures = [1]  # the first "connected" fails (the helpdesk away), then it is back

    async def reporter(payload: dict[str, Any]) -> dict[str, Any]:
        if payload["event"] == "connected" and failures[0]:
            failures[0] -= 1
            raise ConnectionRefusedError("helpdesk away")
        return await real(payload)

    async def scenario() -> list[str]:
        queue = ReportQueue(
            reporter,
            0.05,
            lambda: {"event": "heartbeat", "relay_id": relay_id, "sessions": []},
            lambda answer: None,
        )
        queue.start()
        try:
            queue.put({"event": "connected", "relay_id": relay_id, "session_id": sid})
            queue.put({"event": "ended", "relay_id": relay_id, "session_id": sid})
            await wait_for(lambda: row(clocked, sid).state == "ended")
            await wait_for(lambda: queue.kept_ends == [] and queue.kept_connects == [])
            return queue.kept_ends
        finally:
            await queue.close(timeout_s=5)

    assert asyncio.run(scenario()) == []
    done = row(clocked, sid)
    assert done.connected_at is not None and done.ended_at is not None, "ended unconnected"
    assert done.end_reason == "relay-closed"  # the relay's report, with no reason given
    assert done.connected_at <= done.ended_at


def test_kept_connect_reports_share_the_bound_oldest_dropped_first(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Against a port nobody listens on: connect and end reports are kept together, at
    most ``keep_ends`` and for ``keep_ends_s`` (an injected clock), each drop logged."""
    caplog.set_level(logging.INFO, "remoteapp.relay")
    moved = [0.0]

    async def scenario() -> tuple[list[str], list[str]]:
        queue = unreachable_queue(moved)
        queue.start()
        try:
            for sid in ("s1", "s2"):
                queue.put({"event": "connected", "relay_id": "bounded", "session_id": sid})
            queue.put({"event": "ended", "relay_id": "bounded", "session_id": "s2"})
            await wait_for(lambda: queue.kept_connects == ["s2"] and queue.kept_ends == ["s2"])
            kept = queue.kept_connects, queue.kept_ends
            moved[0] = 61.0  # past keep_ends_s: the next retry round forgets them
            await wait_for(lambda: queue.kept_connects == queue.kept_ends == [])
            return kept
        finally:
            await queue.close(timeout_s=5)

    assert asyncio.run(scenario()) == (["s2"], ["s2"])
    dropped = [r.getMessage() for r in caplog.records if "report-dropped" in r.getMessage()]
    assert dropped == [
        "relay event=connect-report-dropped session=s1 why=too-many-kept",
        "relay event=connect-report-dropped session=s2 why=kept-too-long",
        "relay event=end-report-dropped session=s2 why=kept-too-long",
    ]


def test_a_connect_report_refused_for_good_is_dropped_not_kept(
    clocked: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """The helpdesk answered and refused it (422: a session id no session has the shape
    of): kept, it would fail every round first in line and hold back the others."""
    caplog.set_level(logging.INFO, "remoteapp.relay")
    reporter = HttpReporter(clocked.http_url, SECRET.encode(), timeout_s=5)

    async def scenario() -> list[str]:
        queue = ReportQueue(
            reporter,
            0.05,
            lambda: {"event": "heartbeat", "relay_id": "refused", "sessions": []},
            lambda answer: None,
        )
        queue.start()
        try:
            queue.put({"event": "connected", "relay_id": "refused", "session_id": "x" * 300})
            await wait_for(
                lambda: any("connect-report-dropped" in r.getMessage() for r in caplog.records)
            )
            return queue.kept_connects
        finally:
            await queue.close(timeout_s=5)

    assert asyncio.run(scenario()) == []
    assert any(
        "connect-report-dropped session=" in r.getMessage() and "why=refused" in r.getMessage()
        for r in caplog.records
    )
