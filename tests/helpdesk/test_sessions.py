"""Sessions end to end: helpdesk grants, customer long poll, real relay, state reports."""

from __future__ import annotations

import asyncio
import base64
import threading
import time

import pytest

from helpdesk.db import db_factory, make_engine
from helpdesk.models import RemoteSession
from remoteapp.net.helpdesk import (
    Conflict,
    ErrorCode,
    HelpdeskClient,
    NotAllowed,
    NotAuthenticated,
    PollResult,
    RateLimited,
    SessionState,
)
from remotewire.errors import RelayRefused
from remotewire.relay_join import open_relay
from tests.helpdesk.conftest import FAST, device, login, presence_seen, wait_until
from tests.helpdesk.server_process import Server, spawn

FIELDS = {"name": "Session Sam", "email": "sam@example.com"}


def state(agent: HelpdeskClient, session_id: str) -> SessionState:
    return agent.session_state(session_id)


async def talk(
    agent_addr: str,
    agent_token: str,
    customer_addr: str,
    customer_token: str,
    close_who: str = "agent",
) -> None:
    """Both sides dial, exchange bytes both ways, then one side hangs up."""
    a, c = await asyncio.wait_for(
        asyncio.gather(
            open_relay(agent_addr, agent_token), open_relay(customer_addr, customer_token)
        ),
        10,
    )
    a[1].write(b"screen please")
    c[1].write(b"here it comes")
    assert await asyncio.wait_for(c[0].readexactly(13), 5) == b"screen please"
    assert await asyncio.wait_for(a[0].readexactly(13), 5) == b"here it comes"
    closer, other = (a, c) if close_who == "agent" else (c, a)
    closer[1].close()
    assert await asyncio.wait_for(other[0].read(), 5) == b""
    other[1].close()


def test_connect_with_password_full_session(
    agent: HelpdeskClient, customer: HelpdeskClient, server: Server
) -> None:
    reg = customer.register("demo", device(), FIELDS)
    registered = presence_seen(server, reg.partner_id)
    polled: list[PollResult] = []

    def poll_until_offered() -> None:
        """As the app: poll again as each ends (this server lets one go after 1.33 s),
        until one brings an offer; bounded. (That the offer wakes a held poll is
        test_poll_wake.py's, on a server that holds polls as long as production.)"""
        give_up = time.monotonic() + 15
        while not polled or (not polled[-1].offers and time.monotonic() < give_up):
            polled.append(customer.poll(reg.partner_id, reg.presence_key, wait_s=1.5))

    poller = threading.Thread(target=poll_until_offered)
    poller.start()
    wait_until(lambda: presence_seen(server, reg.partner_id) > registered)  # the poll is held
    grant = agent.connect(reg.partner_id, reg.password)
    poller.join(20)
    offers = polled[-1].offers
    assert [o.session_id for o in offers] == [grant.session_id]
    assert grant.relay == server.relay
    assert state(agent, grant.session_id).state == "offered"
    with pytest.raises(Conflict):  # one session per customer at a time
        agent.connect(reg.partner_id, reg.password)
    asyncio.run(talk(grant.relay, grant.token, offers[0].relay, offers[0].token))
    wait_until(lambda: state(agent, grant.session_id).state == "ended")
    final = state(agent, grant.session_id)
    assert final.end_reason == "agent-left"
    assert final.connected_at is not None and final.ended_at is not None
    # The password rotated after the session.
    assert customer.poll(reg.partner_id, reg.presence_key, wait_s=0).password != reg.password


def test_connect_from_queue_and_customer_ends(
    agent: HelpdeskClient, customer: HelpdeskClient
) -> None:
    reg = customer.register("demo", device(), {**FIELDS, "name": "Queued Quinn"})
    entry = next(w for w in agent.queue("demo") if w.name == "Queued Quinn")
    grant = agent.connect_from_queue(entry.queue_ref)
    assert all(w.name != "Queued Quinn" for w in agent.queue("demo"))
    offer = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers[0]
    assert offer.session_id == grant.session_id
    ended = customer.end_session(
        grant.session_id, "customer-declined", presence_key=reg.presence_key
    )
    assert (ended.state, ended.end_reason) == ("ended", "customer-declined")
    # While offered the customer left the queue; once ended it is back, waiting anew.
    assert any(w.name == "Queued Quinn" for w in agent.queue("demo"))


def test_refusals_by_role(customer: HelpdeskClient, admin: HelpdeskClient, server: Server) -> None:
    reg = customer.register("demo", device(), {**FIELDS, "name": "Refusing Rita"})
    entry = next(w for w in admin.queue("demo") if w.name == "Refusing Rita")
    with pytest.raises(NotAllowed, match="only agents"):  # admin, not agent: cannot connect
        admin.connect(reg.partner_id, reg.password)
    with pytest.raises(NotAllowed):
        admin.connect_from_queue(entry.queue_ref)
    stranger = login(server, "stranger")
    with pytest.raises(NotAllowed):
        stranger.connect(reg.partner_id, reg.password)
    with pytest.raises(NotAllowed):
        stranger.connect_from_queue(entry.queue_ref)
    stranger.close()
    anonymous = HelpdeskClient(server.http_url)
    with pytest.raises(NotAuthenticated):
        anonymous.connect(reg.partner_id, reg.password)
    anonymous.close()


def test_indicators_count_a_real_session(customer: HelpdeskClient, server: Server) -> None:
    both = login(server, "both")  # administrator and agent of the demo app
    before = both.indicators("demo")
    reg = customer.register("demo", device(), {**FIELDS, "name": "Counted Carl"})
    waiting = both.indicators("demo")["customers_waiting"]
    assert waiting >= 1
    grant = both.connect(reg.partner_id, reg.password)
    offer = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers[0]

    async def scenario() -> None:
        a, c = await asyncio.gather(
            open_relay(grant.relay, grant.token), open_relay(offer.relay, offer.token)
        )
        await asyncio.to_thread(
            wait_until, lambda: state(both, grant.session_id).state == "connected"
        )
        during = await asyncio.to_thread(both.indicators, "demo")
        assert during["sessions_in_progress"] >= 1
        await asyncio.to_thread(server.advance, 0.5)  # half a second of session
        a[1].close()
        assert await asyncio.wait_for(c[0].read(), 5) == b""
        c[1].close()

    asyncio.run(scenario())
    wait_until(lambda: state(both, grant.session_id).state == "ended")
    after = both.indicators("demo")
    assert after["sessions_today"] == before["sessions_today"] + 1
    assert after["sessions_7_days"] == before["sessions_7_days"] + 1
    assert (
        after["sessions_per_agent"].get("Admin Agent", 0)
        == before["sessions_per_agent"].get("Admin Agent", 0) + 1
    )
    assert after["total_duration_s"] >= before["total_duration_s"] + 0.4
    assert after["average_duration_s"] > 0 and after["average_queue_wait_s"] >= 0
    both.close()


def test_brute_force_is_limited_and_rotates_the_password(
    customer: HelpdeskClient, server: Server
) -> None:
    brute = login(server, "brute")
    reg = customer.register("demo", device(), FIELDS)
    for _ in range(6):
        with pytest.raises(NotAllowed, match="wrong partner ID or password"):
            brute.connect(reg.partner_id, "guess")
    with pytest.raises(RateLimited, match=r"try again in \d+ s") as blocked:
        brute.connect(reg.partner_id, reg.password)  # even the right one, while blocked
    assert 1 <= blocked.value.retry_after <= float(FAST["REMOTEAPP_RATE_WINDOW_S"])
    assert blocked.value.code == ErrorCode.TOO_MANY_FAILED_ATTEMPTS
    server.advance(blocked.value.retry_after + 0.1)
    for _ in range(4):
        with pytest.raises(NotAllowed):
            brute.connect(reg.partner_id, "guess")
    # 10 failures: the password rotated, so the old one no longer works.
    new_password = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).password
    assert new_password != reg.password
    server.advance(float(FAST["REMOTEAPP_RATE_WINDOW_S"]) + 0.1)  # the failures leave the window
    with pytest.raises(NotAllowed):
        brute.connect(reg.partner_id, reg.password)
    customer.poll(reg.partner_id, reg.presence_key, wait_s=0)  # stay online (lapse is 2 s)
    grant = brute.connect(reg.partner_id, new_password)
    brute.end_session(grant.session_id, "test-done")
    brute.close()


def test_login_failures_are_limited(server: Server) -> None:
    client = HelpdeskClient(server.http_url)
    for _ in range(6):
        with pytest.raises(NotAuthenticated):
            client.login("nobody@example.com", "guess")
    with pytest.raises(RateLimited, match=r"try again in \d+ s") as blocked:
        client.login("nobody@example.com", "guess")
    assert blocked.value.code == ErrorCode.TOO_MANY_FAILED_LOGINS and blocked.value.retry_after
    client.close()


def test_unknown_partner_fails_like_a_wrong_password(agent: HelpdeskClient) -> None:
    with pytest.raises(NotAllowed, match="wrong partner ID or password"):
        agent.connect("000000000", "whatever")


def test_relay_refuses_reuse_of_a_session_token(
    agent: HelpdeskClient, customer: HelpdeskClient
) -> None:
    reg = customer.register("demo", device(), FIELDS)
    grant = agent.connect(reg.partner_id, reg.password)
    offer = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers[0]

    async def scenario() -> None:
        a, c = await asyncio.gather(
            open_relay(grant.relay, grant.token), open_relay(offer.relay, offer.token)
        )
        with pytest.raises(RelayRefused) as refused:
            await open_relay(grant.relay, grant.token)
        assert refused.value.reason in ("token-reused", "session-full")
        a[1].close()
        c[1].close()

    asyncio.run(scenario())
    wait_until(lambda: state(agent, grant.session_id).state == "ended")


def test_relay_killed_mid_session_ends_it_with_a_reason(
    agent: HelpdeskClient, customer: HelpdeskClient, server: Server
) -> None:
    relay = spawn(
        [
            "-m",
            "remoterelay",
            "--port",
            "0",
            "--relay-host",
            "127.0.0.1",
            "--helpdesk-url",
            server.http_url,
            "--heartbeat",
            "0.3",
        ],
        FAST,
    )
    try:
        port = relay.wait_for(r"relay event=listening .*port=(\d+)").group(1)
        reg = customer.register("demo", device(), FIELDS)
        grant = agent.connect(reg.partner_id, reg.password)
        offer = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers[0]
        address = f"127.0.0.1:{port}"

        async def scenario() -> None:
            a, c = await asyncio.gather(
                open_relay(address, grant.token), open_relay(address, offer.token)
            )
            a[1].write(b"ping")
            assert await asyncio.wait_for(c[0].readexactly(4), 5) == b"ping"
            await asyncio.to_thread(
                wait_until, lambda: state(agent, grant.session_id).state == "connected"
            )
            relay.proc.kill()  # SIGKILL: no goodbye report
            assert await asyncio.wait_for(a[0].read(), 5) == b""
            a[1].close()
            c[1].close()

        asyncio.run(scenario())
        server.advance(float(FAST["REMOTEAPP_RELAY_LAPSE_S"]) + 0.5)  # the relay fell silent
        wait_until(lambda: state(agent, grant.session_id).state == "ended")  # the next sweep
        assert state(agent, grant.session_id).end_reason == "relay-lost"
    finally:
        relay.stop()


def test_sessions_in_progress_are_listed_for_the_apps_agents_and_admins(
    agent: HelpdeskClient, admin: HelpdeskClient, customer: HelpdeskClient, server: Server
) -> None:
    reg = customer.register("demo", device(), {**FIELDS, "name": "Progress Pia"})
    grant = agent.connect(reg.partner_id, reg.password)
    offer = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers[0]

    def listed(client: HelpdeskClient) -> list:
        return [s for s in client.sessions_in_progress("demo") if s.session_id == grant.session_id]

    [offered] = listed(agent)  # offered: listed, connecting (it has left the queue)
    assert offered.connecting and offered.connected_at is None

    async def scenario() -> None:
        a, c = await asyncio.gather(
            open_relay(grant.relay, grant.token), open_relay(offer.relay, offer.token)
        )
        await asyncio.to_thread(wait_until, lambda: not listed(agent)[0].connecting)
        [mine] = listed(agent)
        assert mine.connected_at is not None
        assert (mine.agent, mine.customer, mine.mine) == ("Demo Agent", "Progress Pia", True)
        [seen] = listed(admin)
        assert not seen.mine and seen.customer == "Progress Pia"
        stranger = login(server, "stranger")
        with pytest.raises(NotAllowed):
            stranger.sessions_in_progress("demo")
        stranger.close()
        a[1].close()
        c[1].close()

    asyncio.run(scenario())
    wait_until(lambda: not listed(agent))


def stored_keys(server: Server, session_id: str) -> tuple[bytes | None, bytes | None]:
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            row = db.get(RemoteSession, session_id)
            assert row is not None
            return row.e2e_salt, row.e2e_psk
    finally:
        engine.dispose()


def token_claims(token: str) -> bytes:
    body = token.split(".")[1]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def test_every_session_gets_its_own_secrets_over_https_only(
    agent: HelpdeskClient, customer: HelpdeskClient, server: Server
) -> None:
    """Issue 10 §1: a salt per session, a psk for queue connects only, the same in the
    grant, the offer and the database, and never in a relay token or the session state."""
    reg = customer.register("demo", device(), {**FIELDS, "name": "Keyed Kim"})
    by_password = agent.connect(reg.partner_id, reg.password)
    offer = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers[0]
    assert (by_password.via, offer.via) == ("password", "password")
    assert len(by_password.salt) == 32 and offer.salt == by_password.salt
    assert by_password.psk is None and offer.psk is None
    assert offer.partner_id == reg.partner_id
    assert stored_keys(server, by_password.session_id) == (by_password.salt, None)
    customer.end_session(by_password.session_id, presence_key=reg.presence_key)

    entry = next(w for w in agent.queue("demo") if w.name == "Keyed Kim")
    by_queue = agent.connect_from_queue(entry.queue_ref)
    offer = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers[0]
    assert (by_queue.via, offer.via) == ("queue", "queue")
    assert by_queue.psk is not None and len(by_queue.psk) == 32
    assert (offer.salt, offer.psk) == (by_queue.salt, by_queue.psk)
    assert by_queue.salt not in (by_password.salt, by_queue.psk)
    assert stored_keys(server, by_queue.session_id) == (by_queue.salt, by_queue.psk)
    for token in (by_password.token, by_queue.token, offer.token):
        claims = token_claims(token)
        for secret in (by_password.salt, by_queue.salt, by_queue.psk):
            assert secret not in claims and secret.hex().encode() not in claims
            assert secret.hex() not in token
    raw = agent._http.call("GET", f"/api/sessions/{by_queue.session_id}", headers=agent._auth())
    assert not {"salt", "psk"} & set(raw)
    customer.end_session(by_queue.session_id, presence_key=reg.presence_key)
    entry = next(w for w in agent.queue("demo") if w.name == "Keyed Kim")
    again = agent.connect_from_queue(entry.queue_ref)  # every session: new secrets
    assert again.psk is not None and again.psk != by_queue.psk
    assert again.salt not in (by_queue.salt, by_password.salt)
    customer.end_session(again.session_id, presence_key=reg.presence_key)
