"""A cut between a relay and a server that stays up no longer ends a joined offer.

The limit docs/server.md listed: the parties join an offer during a cut longer than the
relay lapse; the server's sweep expires it (``not-joined``: its tokens' lifetime is
over and it cannot hear the relay); when the cut ends, the relay's kept "connected" or
its heartbeat says the session runs, but that came more than a lapse after the expiry,
so the server answered it had ended and the relay closed a live session. Now the relay's
first report after a silence longer than the lapse, whatever it is, marks its return
(``relay_dating.heard``), and an offer expired during the silence is reopenable within a
lapse of that return (``relay_dating.reopenable``). The sweep still expires offers on
time: a customer whose offer sat on a relay that never comes back is in the queue again
at once (a hold until the relay was heard from, tried before, kept it out for an hour).

A real server (SQLite and PostgreSQL) whose clock the test moves; the relay is its
signed reports, sent as a relay sends them (its clock the real one, the server's ahead).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from helpdesk.db import db_factory, make_engine
from helpdesk.models import RelayNode
from remoteapp.net.helpdesk import HelpdeskClient
from tests.helpdesk.conftest import db_args, wait_until
from tests.helpdesk.server_process import Server, start_server
from tests.helpdesk.test_relay_connected_retry import connected
from tests.helpdesk.test_relay_end_retry import (
    ENV,
    FALLBACK,
    FIELDS,
    SECRET,
    agent_of,
    epoch,
    row,
)
from tests.helpdesk.test_relay_reports import post, signed

LAPSE_S = 60.0
TTL_S = 120.0
CUT = {**ENV, "REMOTEAPP_RELAY_LAPSE_S": str(LAPSE_S), "REMOTEAPP_TOKEN_TTL_S": str(TTL_S)}
JOINED_S = 5.0
"""The parties join each offer this long after it was made (by the relay's clock)."""


def cut_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """A server whose clock the test moves, past its start's grace at once; no relay of
    its own (offers go to the test's relays, else nowhere that listens)."""
    args = [*db_args(request), "--no-relay", "--public-relay", FALLBACK]
    server = start_server(tmp_path_factory.mktemp("relay-cut"), CUT, args, clocked=True)
    server.advance(LAPSE_S + 10)
    yield server
    assert server.process.stop(timeout_s=30) == 0, "".join(server.process.log[-30:])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def clocked(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    yield from cut_server(tmp_path_factory, request)


class Customer:
    """A registered customer device (``again``: online again, as its next poll does)."""

    def __init__(self, server: Server) -> None:
        self.server, self.device = server, "dev-" + secrets.token_hex(8)
        self.again()

    def again(self) -> None:
        client = HelpdeskClient(self.server.http_url, timeout_s=10)
        try:
            self.reg = client.register("demo", self.device, FIELDS)
        finally:
            client.close()

    def offer(self) -> str:
        """An agent's new offer to this customer; its session id."""
        agent = agent_of(self.server)
        try:
            return agent.connect(self.reg.partner_id, self.reg.password).session_id
        finally:
            agent.close()

    def fetch(self) -> list[str]:
        """The app's poll (between sessions): the offers it hands over, their ids."""
        client = HelpdeskClient(self.server.http_url, timeout_s=10)
        try:
            polled = client.poll(self.reg.partner_id, self.reg.presence_key, wait_s=0)
        finally:
            client.close()
        return [offer.session_id for offer in polled.offers]


def send(server: Server, payload: dict[str, Any]) -> dict[str, Any]:
    """A relay's signed report, signed now by the relay's (the real) clock."""
    answer = post(server, *signed(payload, SECRET))
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def heartbeat(server: Server, relay_id: str, sessions: list[str]) -> dict[str, Any]:
    return send(server, {"event": "heartbeat", "relay_id": relay_id, "sessions": sessions})


def kept_connect(server: Server, relay_id: str, sid: str) -> dict[str, Any]:
    """The relay's kept "connected" of ``sid``: joined ``JOINED_S`` after the offer, by the
    relay's clock (the server's less its offset), sent now."""
    offered = epoch(row(server, sid).offered_at)
    return send(server, connected(relay_id, sid, offered + JOINED_S - server.clock_offset))


def relay_node(server: Server, relay_id: str) -> RelayNode | None:
    """The server's row of the relay, as committed now."""
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            return db.get(RelayNode, relay_id)
    finally:
        engine.dispose()


def relay_address(server: Server, relay_id: str) -> str | None:
    node = relay_node(server, relay_id)
    return None if node is None else node.address


def ended_ids(answer: dict[str, Any]) -> list[str]:
    return [e["session_id"] for e in answer["ended"]]


def expire(server: Server, *sids: str) -> None:
    """Past the offers' token lifetime: the sweep ends them as not joined, on time."""
    server.advance(TTL_S + 10)
    for sid in sids:
        wait_until(lambda sid=sid: row(server, sid).state == "ended")
        assert row(server, sid).end_reason == "not-joined"


def cut_relay(server: Server) -> str:
    """A relay heard from once (a heartbeat with the address apps reach it at, so new
    offers may be placed on it), then cut off: its id."""
    relay_id = "cut-" + secrets.token_hex(4)
    address = f"127.0.0.1:{20000 + secrets.randbelow(40000)}"
    send(server, {"event": "heartbeat", "relay_id": relay_id, "sessions": [], "address": address})
    return relay_id


def is_reopened(server: Server, sid: str, relay_id: str) -> bool:
    session = row(server, sid)
    return (session.state, session.end_reason, session.ended_at, session.relay_id) == (
        "connected",
        None,
        None,
        relay_id,
    )


def dated_as_joined(server: Server, sid: str) -> None:
    """Connected when the relay said the parties joined, not when its word came."""
    session = row(server, sid)
    joined = epoch(session.connected_at) - epoch(session.offered_at)
    assert JOINED_S - 0.5 < joined < JOINED_S + 3, joined


def end(server: Server, relay_id: str, sid: str) -> None:
    """The parties leave (so no session stays connected while the clock moves on)."""
    send(server, {"event": "ended", "relay_id": relay_id, "session_id": sid})
    assert row(server, sid).state == "ended"


@pytest.mark.parametrize("first", ["connected", "heartbeat"])
def test_an_offer_joined_during_a_cut_is_reopened_by_the_relays_word_once_back(
    clocked: Server, first: str
) -> None:
    """The relay is cut (silent for more than the lapse) while the server runs; the offer
    expires as not joined, on time; the relay is back long after expiry + lapse, and its
    kept "connected" (or, separately, its heartbeat listing the session) reopens it,
    dated by the relay's clock; the relay is not told it ended."""
    relay_id = cut_relay(clocked)
    sid = Customer(clocked).offer()
    expire(clocked, sid)
    clocked.advance(3 * LAPSE_S)  # the cut goes on, well past expiry + lapse
    if first == "connected":
        answer = kept_connect(clocked, relay_id, sid)
        dated_as_joined(clocked, sid)
    else:
        answer = heartbeat(clocked, relay_id, [sid])
        session = row(clocked, sid)  # no later than its tokens' expiry, not the return
        assert session.connected_at == session.expires_at
    assert sid not in ended_ids(answer)
    assert is_reopened(clocked, sid, relay_id)
    clocked.process.wait_for(rf"helpdesk event=offer-reopened session={sid} ")
    if first == "heartbeat":  # its kept "connected", right after, dates the start
        kept_connect(clocked, relay_id, sid)
        dated_as_joined(clocked, sid)
    end(clocked, relay_id, sid)


def test_the_first_report_after_a_cut_being_another_sessions_leaves_the_window_open(
    clocked: Server,
) -> None:
    """What undid the hold tried before: any report counted as the relay heard from.
    Here the first report through after the cut is another session's kept "connected"
    (taken, and it reopens that one); this session's word comes half a lapse later, in
    the heartbeat, and still reopens it."""
    relay_id = cut_relay(clocked)
    sid, other = Customer(clocked).offer(), Customer(clocked).offer()
    expire(clocked, sid, other)
    clocked.advance(2 * LAPSE_S)
    assert other not in ended_ids(kept_connect(clocked, relay_id, other))
    assert is_reopened(clocked, other, relay_id)
    assert row(clocked, sid).end_reason == "not-joined"
    clocked.advance(LAPSE_S / 2)
    assert sid not in ended_ids(heartbeat(clocked, relay_id, [other, sid]))
    assert is_reopened(clocked, sid, relay_id)
    end(clocked, relay_id, sid)
    end(clocked, relay_id, other)


def test_a_relay_that_never_comes_back_holds_nothing(clocked: Server) -> None:
    """The offer on a relay that died without a word expires on time, as ever, and its
    customer is in the queue again at once: not busy, an agent connects anew."""
    clocked.advance(LAPSE_S + 1)  # the other tests' relays are silent: not placed on
    relay_id = cut_relay(clocked)
    customer = Customer(clocked)
    sid = customer.offer()
    assert row(clocked, sid).relay_address == relay_address(clocked, relay_id)
    expires_at = epoch(row(clocked, sid).expires_at)
    expire(clocked, sid)
    assert epoch(row(clocked, sid).ended_at) - expires_at < 10 + 5  # the move, a sweep
    customer.again()  # its next poll: online, and waiting
    admin = HelpdeskClient(clocked.http_url, timeout_s=10)
    admin.login(clocked.credentials["admin"]["email"], clocked.credentials["admin"]["password"])
    try:
        assert customer.reg.partner_id in [w.partner_id for w in admin.queue("demo")]
    finally:
        admin.close()
    new = customer.offer()  # not "customer-busy"
    assert row(clocked, new).state == "offered"
    expire(clocked, new)


def test_the_window_closes_a_lapse_after_the_relays_return(clocked: Server) -> None:
    """Back from the cut, the relay's word reopens an offer expired during it for one
    lapse (the first offer, half a lapse after the return); after that, not (the second,
    just past the lapse): the server answers it ended, as before."""
    relay_id = cut_relay(clocked)
    early, late = Customer(clocked).offer(), Customer(clocked).offer()
    expire(clocked, early, late)
    clocked.advance(2 * LAPSE_S)
    heartbeat(clocked, relay_id, [])  # back: the heartbeat lists neither yet
    clocked.advance(LAPSE_S / 2)
    assert early not in ended_ids(kept_connect(clocked, relay_id, early))
    assert is_reopened(clocked, early, relay_id)
    clocked.advance(LAPSE_S / 2 + 1)  # the window is over (heard all along: no new return)
    assert late in ended_ids(kept_connect(clocked, relay_id, late))
    assert row(clocked, late).end_reason == "not-joined"
    heartbeat(clocked, relay_id, [early, late])  # (its answer lists ends of a token's life)
    assert row(clocked, late).end_reason == "not-joined"
    end(clocked, relay_id, early)


def test_a_customer_that_took_a_new_offer_during_the_cut_keeps_it(clocked: Server) -> None:
    """The existing rule holds for a cut too: an agent connected to the customer again,
    and the customer's app took that offer (it polls only between sessions: it had left
    the old one); the expired one stays ended (while another customer's, in the same
    heartbeat, is reopened)."""
    relay_id = cut_relay(clocked)
    moved_on, waiting = Customer(clocked), Customer(clocked)
    old, other = moved_on.offer(), waiting.offer()
    expire(clocked, old, other)
    moved_on.again()
    new = moved_on.offer()
    assert moved_on.fetch() == [new]
    clocked.advance(LAPSE_S + 5)  # past expiry + lapse, before the new offer's expiry
    answer = heartbeat(clocked, relay_id, [old, other])
    assert old in ended_ids(answer) and other not in ended_ids(answer)
    assert row(clocked, old).end_reason == "not-joined"
    assert row(clocked, new).state == "offered"
    assert is_reopened(clocked, other, relay_id)
    end(clocked, relay_id, other)
    expire(clocked, new)


def test_an_offer_that_never_reached_the_customer_gives_way(clocked: Server) -> None:
    """The customer's app, in the session the server expired during the cut, polls for
    no offer: one an agent made meanwhile never reached it. Once the relay is back, its
    word reopens the session and withdraws that offer (``customer-busy``), which the
    answer names so that a relay refuses its agent. Before, the new offer won: the
    relay closed the session the customer was in, and the offer lapsed all the same."""
    relay_id, customer = cut_relay(clocked), Customer(clocked)
    old = customer.offer()
    assert customer.fetch() == [old]
    expire(clocked, old)
    customer.again()
    new = customer.offer()
    clocked.advance(LAPSE_S + 5)
    answer = heartbeat(clocked, relay_id, [old])
    assert old not in ended_ids(answer)
    assert is_reopened(clocked, old, relay_id)
    assert (row(clocked, new).state, row(clocked, new).end_reason) == ("ended", "customer-busy")
    assert {"session_id": new, "reason": "customer-busy"} in answer["ended"]
    clocked.process.wait_for(rf"helpdesk event=offer-withdrawn session={new} reopened={old}")
    assert customer.fetch() == []
    end(clocked, relay_id, old)


def test_a_relay_cut_again_before_its_window_ran_out_keeps_it(clocked: Server) -> None:
    """Back for a moment (one report, another session's), then cut again longer than the
    lapse: an offer expired during the first cut is still reopened after the second."""
    relay_id = cut_relay(clocked)
    sid = Customer(clocked).offer()
    expire(clocked, sid)
    clocked.advance(LAPSE_S)
    heartbeat(clocked, relay_id, [])  # back, briefly
    clocked.advance(2 * LAPSE_S)  # cut again, past the first return's window
    assert sid not in ended_ids(heartbeat(clocked, relay_id, [sid]))
    assert is_reopened(clocked, sid, relay_id)
    end(clocked, relay_id, sid)


def test_a_relay_never_heard_from_gets_no_window(clocked: Server) -> None:
    """A relay id the server never heard from was never silent: an expiry older than a
    lapse stands against its word."""
    sid = Customer(clocked).offer()
    expire(clocked, sid)
    clocked.advance(2 * LAPSE_S)
    stranger = "new-" + secrets.token_hex(4)
    assert sid in ended_ids(heartbeat(clocked, stranger, [sid]))
    assert row(clocked, sid).end_reason == "not-joined"


def test_an_expiry_just_before_the_silence_began_counts_as_in_it(clocked: Server) -> None:
    """The relay was last heard (another session's end) just after the expiry, its word
    about this session not yet through, and then cut: the expiry's own window (a lapse)
    was cut short by the silence, so it is counted from the relay's return too."""
    relay_id = cut_relay(clocked)
    sid = Customer(clocked).offer()
    for _ in range(3):  # heard all along, up to the expiry
        clocked.advance((TTL_S + 10) / 3)
        heartbeat(clocked, relay_id, [])
    wait_until(lambda: row(clocked, sid).state == "ended")
    gone = "gone-" + secrets.token_hex(4)
    send(clocked, {"event": "ended", "relay_id": relay_id, "session_id": gone})
    clocked.advance(2 * LAPSE_S)  # the cut
    assert sid not in ended_ids(heartbeat(clocked, relay_id, [sid]))
    assert is_reopened(clocked, sid, relay_id)
    end(clocked, relay_id, sid)
