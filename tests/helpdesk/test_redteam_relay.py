"""Red-team findings on the relay (issue 10 §3.8, §3.10): ending a session reaches the
relay; reports are signed over a timestamp and the body, fresh and never replayed;
refused connections are logged a few times per source, then summed up."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

import pytest
import requests

from remoteapp.net.helpdesk import HelpdeskClient
from remoterelay.server import Relay, RelayConfig
from remotewire import constants as c
from remotewire.errors import RelayRefused
from remotewire.framing import FrameType, pack_frame
from remotewire.relay_join import open_relay
from remotewire.shared_secret import report_key
from tests.helpdesk.conftest import SECRET, device
from tests.helpdesk.server_process import Server
from tests.helpdesk.test_relay_reports import post, signed

FIELDS = {"name": "Ended Early", "email": "ended-early@example.com"}
HEARTBEAT = {"event": "heartbeat", "relay_id": "redteam", "sessions": []}


def offered_session(agent: HelpdeskClient, customer: HelpdeskClient) -> tuple[str, str, str]:
    """A session offered to a customer: its id, the agent's and the customer's tokens."""
    reg = customer.register("demo", device(), FIELDS)
    grant = agent.connect(reg.partner_id, reg.password)
    offers = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers
    assert [o.session_id for o in offers] == [grant.session_id]
    return grant.session_id, grant.token, offers[0].token


async def refused(relay: str, token: str) -> str:
    """Join the relay; the refusal's reason (a pairing fails the test)."""
    with pytest.raises(RelayRefused) as caught:
        _, writer = await open_relay(relay, token, pair_timeout_s=10)
        writer.close()
    return caught.value.reason


def test_a_session_ended_before_anyone_joined_is_refused_by_the_relay(
    server: Server, agent: HelpdeskClient, customer: HelpdeskClient
) -> None:
    """The real server's relay, real tokens, real sockets: once ended, never paired."""
    session_id, agent_token, customer_token = offered_session(agent, customer)
    agent.end_session(session_id)
    # the customer may park until the next heartbeat answer; then it is refused
    assert asyncio.run(refused(server.relay, customer_token)) == c.REFUSE_SESSION_ENDED
    assert asyncio.run(refused(server.relay, agent_token)) == c.REFUSE_SESSION_ENDED
    assert agent.session_state(session_id).state == "ended"


def test_a_parked_side_is_refused_when_the_session_ends(
    server: Server, agent: HelpdeskClient, customer: HelpdeskClient
) -> None:
    session_id, agent_token, customer_token = offered_session(agent, customer)

    async def scenario() -> str:
        parked = asyncio.ensure_future(refused(server.relay, customer_token))
        await asyncio.sleep(0.3)  # let it park (a join is no signal we can see)
        assert not parked.done()
        await asyncio.to_thread(agent.end_session, session_id)
        return await asyncio.wait_for(parked, 10)

    assert asyncio.run(scenario()) == c.REFUSE_SESSION_ENDED
    assert asyncio.run(refused(server.relay, agent_token)) == c.REFUSE_SESSION_ENDED


def test_a_running_session_the_server_ended_is_closed_by_the_relay(
    server: Server, agent: HelpdeskClient, customer: HelpdeskClient
) -> None:
    """Both apps keep their connections open; the server's end still closes them."""
    session_id, agent_token, customer_token = offered_session(agent, customer)

    async def scenario() -> list[bytes]:
        (a_read, a_write), (c_read, c_write) = await asyncio.gather(
            open_relay(server.relay, agent_token), open_relay(server.relay, customer_token)
        )
        try:
            await asyncio.to_thread(agent.end_session, session_id)
            # nobody hangs up: only the relay, told by a heartbeat answer, can end it
            reads = await asyncio.wait_for(asyncio.gather(a_read.read(), c_read.read()), 10)
            return list(reads)
        finally:
            a_write.close()
            c_write.close()

    assert asyncio.run(scenario()) == [b"", b""]


def test_heartbeat_answer_lists_ended_sessions_and_a_cursor(
    server: Server, agent: HelpdeskClient, customer: HelpdeskClient
) -> None:
    session_id, _, _ = offered_session(agent, customer)
    agent.end_session(session_id, "changed-mind")
    answer = post(server, *signed(HEARTBEAT, at=time.time())).json()
    assert {"session_id": session_id, "reason": "changed-mind"} in answer["ended"]
    later = post(server, *signed({**HEARTBEAT, "ended_since": answer["cursor"]}, at=time.time()))
    assert later.status_code == 200 and isinstance(later.json()["cursor"], str)


def test_reports_are_signed_over_timestamp_and_body(server: Server) -> None:
    now = time.time()
    body, headers = signed(HEARTBEAT, at=now)
    assert post(server, body, headers).status_code == 200
    # the very same report again: a replay
    again = post(server, body, headers)
    assert (again.status_code, again.json()["code"]) == (401, "stale-relay-report")
    # the body altered under a valid signature
    fresh_body, fresh_headers = signed(HEARTBEAT, at=now + 0.001)
    altered = fresh_body.replace(b"redteam", b"redteaM")
    assert post(server, altered, fresh_headers).status_code == 401
    # signed with another secret, or with no signature: the old static header is not enough
    assert post(server, *signed(HEARTBEAT, "other-secret", at=now + 0.002)).status_code == 401
    static = {"Content-Type": "application/json", "X-Relay-Secret": report_key(SECRET.encode())}
    assert post(server, fresh_body, static).status_code == 401
    # too old and too far ahead, each validly signed
    for skew in (-120, 120):
        stale = post(server, *signed(HEARTBEAT, at=now + skew))
        assert (stale.status_code, stale.json()["code"]) == (401, "stale-relay-report")
    bad_stamp = {**fresh_headers, "X-Relay-Timestamp": "1e9"}
    assert post(server, fresh_body, bad_stamp).status_code == 401


def test_malformed_signed_report_is_a_clean_4xx(server: Server) -> None:
    body, headers = signed({"event": "heartbeat"}, at=time.time())  # no relay_id
    assert post(server, body, headers).status_code in (400, 422)
    response = requests.post(f"{server.http_url}/relay/events", data=b"{", timeout=10)
    assert response.status_code == 401


def test_refusals_are_logged_a_few_times_per_source_then_summed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A client hammering the relay: 200 refusals give 5 full lines and one summary."""
    hammer = 200

    async def scenario() -> None:
        relay = Relay(RelayConfig(secret=secrets.token_bytes(32), refusal_summary_s=600))
        await relay.start()
        try:
            for _ in range(hammer):
                reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
                writer.write(pack_frame(FrameType.PAIRED, b"not a token"))
                await reader.read()  # REFUSED, then EOF
                writer.close()
                await writer.wait_closed()
        finally:
            await relay.close()  # flushes the window's summary

    with caplog.at_level(logging.INFO, logger="remoteapp.relay"):
        asyncio.run(scenario())
    lines = [r.getMessage() for r in caplog.records if r.name == "remoteapp.relay"]
    full = [line for line in lines if "event=refused " in line]
    summaries = [line for line in lines if "event=refused-summary" in line]
    assert len(full) == 5
    assert len(summaries) == 1
    assert "source=127.0.0.1" in summaries[0]
    assert f"suppressed={hammer - 5}" in summaries[0]
    assert f"{c.REFUSE_FIRST_FRAME_NOT_TOKEN}:{hammer - 5}" in summaries[0]
