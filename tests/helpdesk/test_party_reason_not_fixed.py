"""A party's reason never passes for an event only the server records.

The reviewer's find: the server reads which event ended a session from its reason text
(``lifecycle.ended_by``, ``recorded_by``), and a party's reason is free text. A hand-made
client that ended its session with "not-joined" made it reopenable (a relay's heartbeat
or "connected" report brought it back to ``connected``), and one that ended it with
"ended-unreported" made its end correctable (the relay's "ended" report replaced the
party's end). Now such a reason is recorded as ``ended-by-user`` (``lifecycle.end_reason``).

Through the real HTTP API and signed relay reports, on a clocked server whose relay lapse
(600 s) covers every expiry here, so only the reason decides.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest

from remoteapp.net.helpdesk import HelpdeskClient
from tests.helpdesk.server_process import Server
from tests.helpdesk.test_relay_connected_retry import connected
from tests.helpdesk.test_relay_end_retry import (
    FIELDS,
    SECRET,
    agent_of,
    clocked_server,
    ended,
    report,
    row,
)
from tests.helpdesk.test_relay_reports import post, signed


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def clocked(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    with clocked_server(tmp_path_factory, request, "party-reason") as server:
        yield server


def ended_by_agent(server: Server, reason: str, relay_id: str | None = None) -> str:
    """A session (offered, or connected on ``relay_id`` by its heartbeat) that its agent
    ends through ``POST /api/sessions/{id}/end`` with ``reason``."""
    agent, customer = agent_of(server), HelpdeskClient(server.http_url, timeout_s=10)
    try:
        reg = customer.register("demo", "dev-" + secrets.token_hex(8), FIELDS)
        sid = agent.connect(reg.partner_id, reg.password).session_id
        if relay_id is not None:
            beat = {"event": "heartbeat", "relay_id": relay_id, "sessions": [sid]}
            assert report(server, beat) == 200
            assert row(server, sid).state == "connected"
        state = agent.end_session(sid, reason)
    finally:
        agent.close()
        customer.close()
    assert (state.state, state.end_reason) == ("ended", "ended-by-user")
    return sid


@pytest.mark.parametrize("reason", ["not-joined", "ended-unreported", "relay-lost"])
def test_a_party_cannot_end_a_session_with_a_servers_reason(clocked: Server, reason: str) -> None:
    relay_id = "party-" + secrets.token_hex(4)
    sid = ended_by_agent(clocked, reason)
    stamped = row(clocked, sid)
    # the relay's word that it runs neither reopens it nor goes unanswered
    beat = {"event": "heartbeat", "relay_id": relay_id, "sessions": [sid]}
    answer = post(clocked, *signed(beat, SECRET)).json()
    assert sid in [e["session_id"] for e in answer["ended"]]
    answer = post(clocked, *signed(connected(relay_id, sid, time.time()), SECRET)).json()
    assert answer["ended"] == [{"session_id": sid, "reason": "ended-by-user"}]
    after = row(clocked, sid)
    assert (after.state, after.end_reason, after.ended_at) == (
        "ended",
        "ended-by-user",
        stamped.ended_at,
    )


def test_a_partys_end_of_a_connected_session_is_not_corrected_by_its_relay(
    clocked: Server,
) -> None:
    relay_id = "party-" + secrets.token_hex(4)
    sid = ended_by_agent(clocked, "ended-unreported", relay_id)
    stamped = row(clocked, sid)
    clocked.advance(30)
    # the session's own relay, with an end before the party's: the party's stands
    assert report(clocked, ended(relay_id, sid, time.time() - 20)) == 200
    after = row(clocked, sid)
    assert (after.end_reason, after.ended_at) == ("ended-by-user", stamped.ended_at)


def test_a_partys_own_words_are_kept(clocked: Server) -> None:
    agent, customer = agent_of(clocked), HelpdeskClient(clocked.http_url, timeout_s=10)
    try:
        reg = customer.register("demo", "dev-" + secrets.token_hex(8), FIELDS)
        sid = agent.connect(reg.partner_id, reg.password).session_id
        assert agent.end_session(sid, "not-joined yet, wrong customer").end_reason == (
            "not-joined yet, wrong customer"
        )
    finally:
        agent.close()
        customer.close()
