"""An offer the parties joined while the helpdesk server was down survives its restart.

The reviewer's find: an outage longer than the token lifetime (``REMOTEAPP_TOKEN_TTL_S``,
120 s) killed a running session. Both sides joined the relay during the outage (their
tokens still valid), the relay's "connected" report failed and was kept; the restarted
server's first sweep found the offer's tokens expired and ended it as ``not-joined``
before the kept report or the relay's heartbeat came; the next answer to the relay
listed it as ended and the relay closed the live session (``ended-by-helpdesk``). Now no
offer expires before the server has run for a relay lapse (the relays' grace, like the
relay-lost check's ``up_since``), and an expiry stamped anyway gives way to the relay's
word that the session runs (``lifecycle.REOPENED_BY``).

Real processes: the server (restarted on its port; a clocked one where the test moves
time) and the relay (``python -m remoterelay``), real tokens over real sockets.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from helpdesk.db import db_factory, make_engine
from helpdesk.models import Presence
from remoteapp.net.helpdesk import HelpdeskClient
from remotewire.relay_join import open_relay
from tests.helpdesk.conftest import db_args, wait_until
from tests.helpdesk.server_process import Server, free_port, start_server
from tests.helpdesk.test_relay_connected_retry import close_all, connected, offered_session
from tests.helpdesk.test_relay_end_retry import (
    ENV,
    FALLBACK,
    FIELDS,
    SECRET,
    agent_of,
    clocked_server,
    epoch,
    joined_offer,
    relay_registered,
    report,
    row,
)
from tests.helpdesk.test_relay_reports import post, signed
from tests.helpdesk.test_restart_keeps_sessions import heard_after
from tests.scale.helpers import start_relay

TTL_S = 2
LAPSE_S = 12.0
SHORT = {
    "REMOTEAPP_RELAY_SECRET": SECRET,
    "REMOTEAPP_TOKEN_TTL_S": str(TTL_S),  # an outage longer than the token lifetime
    "REMOTEAPP_RELAY_LAPSE_S": str(LAPSE_S),  # the restarted server's grace
    "REMOTEAPP_SWEEP_S": "0.2",  # the restarted server sweeps before the relay's retry
}
HEARTBEAT_S = 3.0  # longer than the server takes to start (so its sweeps come first)


def test_an_offer_joined_during_an_outage_longer_than_the_token_lifetime_survives(
    tmp_path: Path,
) -> None:
    http_port, relay_port = free_port(), free_port()
    args = ["--no-relay", "--public-relay", FALLBACK]
    server = start_server(tmp_path, SHORT, args, http_port=http_port)
    address = f"127.0.0.1:{relay_port}"
    relay = start_relay(server.http_url, relay_port, env=SHORT, heartbeat_s=HEARTBEAT_S)
    restarted: Server | None = None
    try:
        wait_until(lambda: relay_registered(server, address), 15)
        grant, offer = joined_offer(server)
        sid = grant.session_id
        assert server.process.stop() == 0  # the outage begins

        async def through_the_outage() -> tuple[float, float]:
            before = time.time()
            (a_read, a_write), (c_read, c_write) = await asyncio.gather(
                open_relay(address, grant.token), open_relay(address, offer.token)
            )
            paired = time.time()
            try:
                await asyncio.to_thread(
                    relay.wait_for, rf"relay event=connect-report-kept session={sid}"
                )
                # the outage outlasts the tokens; the server comes back just after one
                # of the relay's failed heartbeats, so it starts (and sweeps) before the
                # relay's next try
                while time.time() < before + TTL_S + 1:
                    await asyncio.to_thread(
                        relay.wait_for, r"relay event=report-failed event_=heartbeat"
                    )
                nonlocal restarted
                restarted = await asyncio.to_thread(
                    start_server, tmp_path, SHORT, args, http_port=http_port
                )
                back = time.time()
                assert back > before + TTL_S + 1
                await asyncio.to_thread(
                    relay.wait_for, rf"relay event=connect-report-delivered session={sid}"
                )
                await asyncio.to_thread(wait_until, lambda: heard_after(restarted, address, back))
                # the session goes on: both sides still talk through the relay
                for writer, reader, data in (
                    (a_write, c_read, b"agent"),
                    (c_write, a_read, b"cust"),
                ):
                    writer.write(data)
                    await writer.drain()
                    assert await asyncio.wait_for(reader.readexactly(len(data)), 5) == data
                # read before the parties leave (their leaving ends it: agent-left)
                session = await asyncio.to_thread(row, restarted, sid)
                assert (session.state, session.end_reason, session.ended_at) == (
                    "connected",
                    None,
                    None,
                )
                return before, paired
            finally:
                await close_all([a_write, c_write])

        before, paired = asyncio.run(through_the_outage())
        assert restarted is not None
        session = row(restarted, sid)
        assert before - 0.25 <= epoch(session.connected_at) <= paired + 1
        # the grace kept it offered: no expiry had to be taken back
        assert not any("offer-reopened" in line for line in restarted.process.log)
    finally:
        relay.stop()
        if restarted is not None:
            assert restarted.process.stop(timeout_s=30) == 0, "".join(restarted.process.log[-30:])
        server.process.stop()


RETAINED_S = 100
CLOCKED = {**ENV, "REMOTEAPP_PRESENCE_RETENTION_S": str(RETAINED_S)}
"""A relay lapse (the grace) of 600 s, the token lifetime 120 s; a device that never had a
session is forgotten by the sweep 100 s after it was last seen: the sign a sweep ran."""


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> list[str]:
    return db_args(request)


def forgotten(server: Server, partner_id: str) -> bool:
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            return db.scalar(select(Presence.id).where(Presence.partner_id == partner_id)) is None
    finally:
        engine.dispose()


def bystander(server: Server) -> str:
    """A device registered and never in a session (``forget_stale`` deletes it)."""
    customer = HelpdeskClient(server.http_url, timeout_s=10)
    try:
        return customer.register("demo", "dev-" + secrets.token_hex(8), FIELDS).partner_id
    finally:
        customer.close()


def test_an_offer_nobody_joined_still_expires_one_grace_after_a_restart(
    tmp_path: Path, database: list[str]
) -> None:
    server = start_server(tmp_path, CLOCKED, database)
    restarted: Server | None = None
    try:
        sid = offered_session(server)
        assert server.process.stop() == 0
        restarted = start_server(tmp_path, CLOCKED, database, clocked=True)
        marker = bystander(restarted)
        restarted.advance(RETAINED_S + 100)  # the tokens expired long ago; within the grace
        wait_until(lambda: forgotten(restarted, marker))  # a sweep ran since the move
        assert row(restarted, sid).state == "offered"
        restarted.advance(600)  # a relay lapse since the start: the grace is over
        wait_until(lambda: row(restarted, sid).state == "ended")
        assert row(restarted, sid).end_reason == "not-joined"
    finally:
        if restarted is not None:
            assert restarted.process.stop(timeout_s=30) == 0, "".join(restarted.process.log[-30:])
        server.process.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def clocked(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """A server whose clock the test moves, past its start's grace at once."""
    with clocked_server(tmp_path_factory, request, "outage-offers", CLOCKED) as server:
        server.advance(700)
        yield server


def expired_offer(server: Server) -> str:
    sid = offered_session(server)
    server.advance(130)  # past the token lifetime: the sweep ends it as not joined
    wait_until(lambda: row(server, sid).state == "ended")
    assert row(server, sid).end_reason == "not-joined"
    return sid


def heartbeat(server: Server, relay_id: str, sessions: list[str]) -> dict[str, Any]:
    payload = {"event": "heartbeat", "relay_id": relay_id, "sessions": sessions}
    answer = post(server, *signed(payload, SECRET))
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_relay_running_an_expired_offer_reopens_it(clocked: Server) -> None:
    """An expiry stamped while the relay's word was still coming (here the sweep of a
    server past its grace) gives way to a heartbeat listing the session or to its kept
    "connected" report: the session is connected, and the relay is not told it ended."""
    relay_id = "reopen-" + secrets.token_hex(4)
    listed = expired_offer(clocked)
    answer = heartbeat(clocked, relay_id, [listed])
    assert listed not in [e["session_id"] for e in answer["ended"]]
    session = row(clocked, listed)
    assert (session.state, session.end_reason, session.ended_at) == ("connected", None, None)
    assert session.relay_id == relay_id
    clocked.process.wait_for(rf"helpdesk event=offer-reopened session={listed} .*heartbeat-listed")
    # the kept "connected" report: connected at the relay's time, not refused as ended
    reported = expired_offer(clocked)
    sent = time.time()
    body, headers = signed(connected(relay_id, reported, sent - 125), SECRET, sent)
    answer = post(clocked, body, headers).json()
    assert answer["ended"] == []
    session = row(clocked, reported)
    assert session.state == "connected" and session.offered_at is not None
    assert 3 < (epoch(session.connected_at) - epoch(session.offered_at)) < 8
    # the session then ends as any other
    assert report(clocked, {"event": "ended", "relay_id": relay_id, "session_id": reported}) == 200
    assert row(clocked, reported).state == "ended"


def test_an_expiry_stands_against_a_relay_silent_too_long_or_a_new_offer(clocked: Server) -> None:
    relay_id = "late-" + secrets.token_hex(4)
    stale = expired_offer(clocked)
    clocked.advance(601)  # more than a relay lapse after the expiry: that relay was gone
    heartbeat(clocked, relay_id, [stale])
    assert row(clocked, stale).end_reason == "not-joined"
    # an agent connected to the customer again: the new offer is the customer's session
    agent, customer = agent_of(clocked), HelpdeskClient(clocked.http_url, timeout_s=10)
    device = "dev-" + secrets.token_hex(8)
    try:
        reg = customer.register("demo", device, FIELDS)
        old = agent.connect(reg.partner_id, reg.password).session_id
        clocked.advance(130)
        wait_until(lambda: row(clocked, old).state == "ended")
        reg = customer.register("demo", device, FIELDS)  # online again
        new = agent.connect(reg.partner_id, reg.password).session_id
        # its poll takes it (an offer it never took would give way: relay_dating._make_way)
        taken = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers
        assert [o.session_id for o in taken] == [new]
    finally:
        agent.close()
        customer.close()
    heartbeat(clocked, relay_id, [old])
    assert row(clocked, old).end_reason == "not-joined"
    assert row(clocked, new).state == "offered"
