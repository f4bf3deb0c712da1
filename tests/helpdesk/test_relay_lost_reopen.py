"""A session running on a relay through a cut between it and the server is not lost.

The limit docs/server.md listed: sessions already connected on a relay when a cut longer
than the relay lapse began were ended ``relay-lost`` by the sweep a lapse into it, and
stayed so: the relay's heartbeat listing them once back changed nothing; the answer told
the relay to close them only if that end was within its look-back (so a cut of half a
minute killed every running session there), and after a longer cut not at all (the relay
ran them on, the server had them ended, their customers shown free, and the relay's own
end report was ignored). Now the relay's word once back reopens such a session within a
lapse of its return (``relay_dating.reopenable``), from its own start; what the server
does not reopen, the answer names ended whatever its age (``relay_events.listed_ended``);
and the relay's own end report corrects the sweep's stamp (``lifecycle.CORRECTIONS``).

A real server (SQLite and PostgreSQL) whose clock the test moves; the relay is its
signed reports, sent as a relay sends them (its clock the real one, the server's ahead).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from helpdesk.db import db_factory, make_engine
from helpdesk.models import Presence
from remoteapp.net.helpdesk import HelpdeskClient
from tests.helpdesk.conftest import wait_until
from tests.helpdesk.server_process import Server
from tests.helpdesk.test_relay_cut_reopen import (
    LAPSE_S,
    TTL_S,
    Customer,
    cut_server,
    dated_as_joined,
    end,
    ended_ids,
    expire,
    heartbeat,
    is_reopened,
    kept_connect,
    send,
)
from tests.helpdesk.test_relay_end_retry import agent_of, epoch, row

LOOK_BACK_S = TTL_S + 10
"""How far back a heartbeat's answer lists ends without a cursor (``ended_for``)."""
STAMPED_S = LAPSE_S + 5
"""How far into the cut the test lets the sweep end the running sessions ``relay-lost``."""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def clocked(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    yield from cut_server(tmp_path_factory, request)


def server_now(server: Server) -> float:
    """The server's clock now, in seconds since the epoch."""
    return time.time() + server.clock_offset


def running(server: Server, customer: Customer | None = None) -> tuple[str, str, Customer]:
    """A new relay, and a session its parties joined on it (its kept "connected", the
    relay then heard from for the last time: the cut begins): relay id, session id,
    customer."""
    relay_id = "lost-" + secrets.token_hex(4)
    customer = customer or Customer(server)
    sid = customer.offer()
    assert sid not in ended_ids(kept_connect(server, relay_id, sid))
    assert row(server, sid).state == "connected"
    return relay_id, sid, customer


def lost(server: Server, *sids: str) -> None:
    """The cut's first ``STAMPED_S``: the sweep ends the running sessions as lost."""
    server.advance(STAMPED_S)
    for sid in sids:
        wait_until(lambda sid=sid: row(server, sid).state == "ended")
        assert row(server, sid).end_reason == "relay-lost"


def waiting_since(server: Server, presence_id: int) -> datetime:
    """Since when the server counts the customer waiting (its queue place, the next
    session's wait in the indicators)."""
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            presence = db.get(Presence, presence_id)
            assert presence is not None
            return presence.waiting_since
    finally:
        engine.dispose()


def in_queue(server: Server, customer: Customer) -> bool:
    """Whether the customer (online again: its next poll) is waiting for an agent."""
    customer.again()
    admin = HelpdeskClient(server.http_url, timeout_s=10)
    admin.login(server.credentials["admin"]["email"], server.credentials["admin"]["password"])
    try:
        return customer.reg.partner_id in [w.partner_id for w in admin.queue("demo")]
    finally:
        admin.close()


@pytest.mark.parametrize("cut_s", [3 * LAPSE_S, 400.0])
def test_a_session_running_through_a_cut_is_reopened_with_its_own_start(
    clocked: Server, cut_s: float
) -> None:
    """Ended ``relay-lost`` a lapse into the cut (its customer shown free meanwhile); the
    relay's first heartbeat once back lists it: connected again from its original start,
    the customer busy again, and the answer does not tell the relay it ended. A cut of
    three lapses, whose stamp is within the answer's look-back (before, the relay was
    told to close it), and one of 400 s, past it (before, it was not told and ran on)."""
    assert (cut_s - STAMPED_S > LOOK_BACK_S) == (cut_s > 3 * LAPSE_S)  # the two cases
    relay_id, sid, customer = running(clocked)
    started = row(clocked, sid).connected_at
    lost(clocked, sid)
    assert in_queue(clocked, customer)  # (as ever: the server has it ended)
    clocked.advance(cut_s - STAMPED_S)
    answer = heartbeat(clocked, relay_id, [sid])
    assert sid not in ended_ids(answer)
    assert is_reopened(clocked, sid, relay_id)
    assert row(clocked, sid).connected_at == started
    clocked.process.wait_for(rf"helpdesk event=session-reopened session={sid} lost=")
    assert not in_queue(clocked, customer)  # in its session again
    assert sid not in ended_ids(heartbeat(clocked, relay_id, [sid]))  # and it stays so
    end(clocked, relay_id, sid)
    assert row(clocked, sid).end_reason == "relay-closed"  # the relay's end, now recorded


def test_its_kept_connect_reopens_it_and_dates_its_start(clocked: Server) -> None:
    """Its "connected" was still kept when the cut began (the heartbeat catch-up had
    stamped the start): once back, that report reopens the session, and moves the start
    back to when the parties joined (``lifecycle.CORRECTIONS``)."""
    relay_id, customer = "lost-" + secrets.token_hex(4), Customer(clocked)
    sid = customer.offer()
    clocked.advance(20)
    heartbeat(clocked, relay_id, [sid])  # the catch-up's start, 20 s after the offer
    lost(clocked, sid)
    clocked.advance(3 * LAPSE_S - STAMPED_S)
    assert sid not in ended_ids(kept_connect(clocked, relay_id, sid))
    assert is_reopened(clocked, sid, relay_id)
    dated_as_joined(clocked, sid)
    clocked.process.wait_for(rf"helpdesk event=session-reopened session={sid} ")
    end(clocked, relay_id, sid)


def test_a_customer_that_took_a_new_offer_during_the_cut_keeps_it(clocked: Server) -> None:
    """An agent connected to the customer shown free during the cut, and the customer's
    app took that offer (it polls only between sessions: it had left the old one): that
    session stands; the old one, which the relay lists once back, stays ended, and the
    answer names it so that the relay closes it, though its end is older than the
    answer's look-back."""
    relay_id, old, customer = running(clocked)
    lost(clocked, old)
    clocked.advance(400 - STAMPED_S - 30)
    assert in_queue(clocked, customer)
    new = customer.offer()
    assert customer.fetch() == [new]
    clocked.advance(30)
    answer = heartbeat(clocked, relay_id, [old])
    assert old in ended_ids(answer)
    assert {"session_id": old, "reason": "relay-lost"} in answer["ended"]
    assert row(clocked, old).end_reason == "relay-lost"
    assert row(clocked, new).state == "offered"
    assert old in ended_ids(heartbeat(clocked, relay_id, [old]))  # until it closes it
    expire(clocked, new)


def test_an_offer_made_during_the_cut_that_never_reached_the_customer_gives_way(
    clocked: Server,
) -> None:
    """The customer's app, in its session all through the cut, polls for no offer: one
    an agent made to the customer shown free never reached it. Once back, the relay's
    heartbeat reopens the session and the offer is withdrawn (``customer-busy``).
    Before, the offer won: the relay was told to close the session the customer was in,
    and the offer lapsed all the same."""
    relay_id, old, customer = running(clocked)
    lost(clocked, old)
    clocked.advance(400 - STAMPED_S - 30)
    assert in_queue(clocked, customer)
    new = customer.offer()
    clocked.advance(30)
    answer = heartbeat(clocked, relay_id, [old])
    assert old not in ended_ids(answer)
    assert is_reopened(clocked, old, relay_id)
    assert (row(clocked, new).state, row(clocked, new).end_reason) == ("ended", "customer-busy")
    clocked.process.wait_for(rf"helpdesk event=offer-withdrawn session={new} reopened={old}")
    assert not in_queue(clocked, customer)  # in its session again, and no offer pending
    assert customer.fetch() == []
    end(clocked, relay_id, old)


def test_the_relays_own_end_corrects_the_relay_lost_stamp(clocked: Server) -> None:
    """The parties left during the cut, after the sweep's stamp: once back, the relay's
    kept "ended" report (its time and reason) replaces the stamp; its heartbeat, which no
    longer lists the session, changes nothing."""
    relay_id, sid, _ = running(clocked)
    cut_from = server_now(clocked)
    lost(clocked, sid)
    stamp = epoch(row(clocked, sid).ended_at)
    left = cut_from + 100  # on the server's clock
    clocked.advance(3 * LAPSE_S - STAMPED_S)
    ended = {"event": "ended", "relay_id": relay_id, "session_id": sid, "reason": "agent-left"}
    send(clocked, {**ended, "ended_at": left - clocked.clock_offset})
    session = row(clocked, sid)
    assert (session.state, session.end_reason) == ("ended", "agent-left")
    assert left - 0.5 < epoch(session.ended_at) < left + 3 and epoch(session.ended_at) > stamp
    assert waiting_since(clocked, session.presence_id) == session.ended_at  # (not the stamp)
    clocked.process.wait_for(rf"helpdesk event=relay-end-corrected session={sid} ")
    heartbeat(clocked, relay_id, [])
    assert row(clocked, sid).end_reason == "agent-left"


def test_the_relays_own_end_before_the_stamp_corrects_it_too(clocked: Server) -> None:
    """The parties left early in the cut, before the sweep noticed the silence."""
    relay_id, sid, _ = running(clocked)
    cut_from = server_now(clocked)
    lost(clocked, sid)
    clocked.advance(3 * LAPSE_S - STAMPED_S)
    ended = {"event": "ended", "relay_id": relay_id, "session_id": sid, "reason": "idle-timeout"}
    send(clocked, {**ended, "ended_at": cut_from + 10 - clocked.clock_offset})
    session = row(clocked, sid)
    assert session.end_reason == "idle-timeout"
    assert cut_from + 9.5 < epoch(session.ended_at) < cut_from + 13


def test_a_relay_that_never_comes_back_leaves_its_sessions_lost(clocked: Server) -> None:
    """As ever: the relay died; its sessions stay ``relay-lost``, their customers free."""
    relay_id, sid, customer = running(clocked)
    lost(clocked, sid)
    clocked.advance(400)
    session = row(clocked, sid)
    assert (session.state, session.end_reason, session.relay_id) == (
        "ended",
        "relay-lost",
        relay_id,
    )
    assert in_queue(clocked, customer)
    new = customer.offer()
    assert row(clocked, new).state == "offered"
    expire(clocked, new)


def test_after_the_window_the_relays_word_no_longer_reopens_it(clocked: Server) -> None:
    """Back from the cut (its first report another session's end, this one not listed
    yet), then heard all along: a heartbeat listing the session more than a lapse after
    the return leaves it ended, and its answer names it, though its end is older than
    the answer's look-back."""
    relay_id, sid, _ = running(clocked)
    lost(clocked, sid)
    clocked.advance(3 * LAPSE_S - STAMPED_S)
    gone = {"event": "ended", "relay_id": relay_id}
    send(clocked, {**gone, "session_id": "gone-" + secrets.token_hex(4)})  # the return
    clocked.advance(LAPSE_S / 2)
    send(clocked, {**gone, "session_id": "gone-" + secrets.token_hex(4)})  # heard
    clocked.advance(LAPSE_S / 2 + 1)
    assert server_now(clocked) - epoch(row(clocked, sid).ended_at) > LOOK_BACK_S
    answer = heartbeat(clocked, relay_id, [sid])
    assert sid in ended_ids(answer)
    assert row(clocked, sid).end_reason == "relay-lost"


def test_another_relay_listing_it_does_not_reopen_it(clocked: Server) -> None:
    """Only the relay whose silence ended it may say it runs, even right after the stamp
    (within a lapse of it, which for an expired offer is enough); another's heartbeat
    is answered that it ended."""
    _, sid, _ = running(clocked)
    lost(clocked, sid)
    stranger = "other-" + secrets.token_hex(4)
    heartbeat(clocked, stranger, [])  # heard once: never silent, but known
    assert sid in ended_ids(heartbeat(clocked, stranger, [sid]))
    assert row(clocked, sid).end_reason == "relay-lost"


def test_a_party_that_ended_it_during_the_cut_is_not_undone_by_the_return(
    clocked: Server,
) -> None:
    """The agent ends the session through the API after the sweep stamped it lost (its
    relay teardown not reported: the cut): the party's reason replaces the stamp's, the
    stamp's time stays; once back, the relay's heartbeat listing it does not reopen it,
    and the answer names it, so the relay closes it (helper-126: the end was dropped, and
    the return reopened the session the agent had ended)."""
    relay_id, sid, _ = running(clocked)
    lost(clocked, sid)
    stamp = row(clocked, sid).ended_at
    agent = agent_of(clocked)
    try:
        agent.end_session(sid, "agent-ended-during-cut")
    finally:
        agent.close()
    assert (row(clocked, sid).end_reason, row(clocked, sid).ended_at) == (
        "agent-ended-during-cut",
        stamp,
    )
    clocked.advance(2 * LAPSE_S)
    assert sid in ended_ids(heartbeat(clocked, relay_id, [sid]))
    assert row(clocked, sid).state == "ended"
