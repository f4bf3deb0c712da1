"""A cut between a real relay and a real server that stays up, end to end.

test_relay_cut_reopen and test_relay_lost_reopen pin the server's rules for such a cut
(docs/server.md, "Cuts between a relay and the server") with signed reports the test
posts. Here the reports are a real relay's (``python -m remoterelay``, its own real
clock and heartbeat) whose ``--helpdesk-url`` is a TCP forwarder the test cuts (every
connection refused, those open closed) and restores; the server (SQLite and
PostgreSQL, ``--no-relay``) runs with a clock the test moves past the relay lapse and
the tokens' lifetime, so a cut that the server's rules see last minutes takes a second.
The sessions are real: a customer registers, an agent connects, and both sides join the
relay with the tokens of the grant and of the customer's offer (``open_relay``), the
relay pairs them and forwards their bytes.

- a session running through the cut, ended ``relay-lost`` by the sweep, is reopened
  from its own start by the relay's heartbeat once the cut ends, and the relay keeps
  forwarding it;
- an offer the parties join during the cut, expired ``not-joined`` by the sweep, is
  reopened by the relay's word once back (its heartbeat listing it, or its kept
  "connected": whichever goes first), and the relay keeps forwarding it;
- a running session whose customer an agent connected to again during the cut (shown
  free once it was lost) is reopened all the same if that offer never reached the
  customer (its app, in the session, polls for none): the offer is withdrawn; if the
  customer's app took the offer, the old session is not reopened: the relay closes it,
  the new offer stands.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from remoteapp.net.helpdesk import HelpdeskClient, Registration, SessionGrant, SessionOffer
from remotewire import constants as c
from remotewire.relay_join import open_relay
from tests.forwarder import Forwarder
from tests.helpdesk.conftest import db_args, wait_until
from tests.helpdesk.server_process import Process, Server, free_port, start_server
from tests.helpdesk.test_relay_cut_reopen import relay_address, relay_node
from tests.helpdesk.test_relay_end_retry import ENV, FALLBACK, FIELDS, agent_of, row
from tests.scale.helpers import start_relay

LAPSE_S = 20.0
"""The server's relay lapse (its default)."""
TTL_S = 120.0
"""The tokens' lifetime (the server's default)."""
HEARTBEAT_S = 0.5
"""The relay's heartbeat period, on its own (the real) clock: well within the lapse, as
its default of 5 s is within the server's default lapse."""
STAMPED_S = LAPSE_S + 5
"""How far into a cut the test lets the sweep end the relay's running sessions
``relay-lost`` (it does a lapse after it last heard the relay)."""
LOOK_BACK_S = TTL_S + 5
"""How far back a heartbeat's answer lists the sessions ended without being asked
(``relay_events.ended_for``, from the relay's cursor): a running session's end
stamped earlier in a cut than that reaches the relay only as one its heartbeat lists
(``relay_events.listed_ended``)."""
CUTS = [3 * LAPSE_S, 400.0]
"""How long cuts of running sessions last (the server's clock): a minute, the
``relay-lost`` stamp within the look-back when the relay is back, and one past it."""
E2E = {**ENV, "REMOTEAPP_RELAY_LAPSE_S": str(LAPSE_S), "REMOTEAPP_TOKEN_TTL_S": str(TTL_S)}
WAIT_S = 10.0


@dataclass
class RealRelay:
    """A relay process reporting to the server through ``forwarder``."""

    process: Process
    forwarder: Forwarder
    address: str
    relay_id: str

    def cut(self) -> None:
        """The cut begins: once the relay has seen a report fail, none gets through."""
        self.forwarder.cut()
        self.process.wait_for(r"relay event=report-failed event_=heartbeat", WAIT_S)

    def restore(self) -> None:
        self.forwarder.restore()

    def closed(self, sid: str) -> bool:
        """Whether the relay closed or ended ``sid`` (its log says so)."""
        lines = "".join(self.process.log)
        return f"event=closing session={sid}" in lines or f"event=ended session={sid}" in lines


@dataclass
class Pair:
    """A session's two sides joined on the relay: ``(reader, writer)`` each."""

    loop: asyncio.AbstractEventLoop
    agent: tuple[asyncio.StreamReader, asyncio.StreamWriter]
    customer: tuple[asyncio.StreamReader, asyncio.StreamWriter]

    def forwards(self) -> None:
        """A byte each way goes through the relay."""
        self.loop.run_until_complete(self._forwards())

    def closed(self) -> None:
        """Both sides' relay connections end (EOF), bounded."""
        self.loop.run_until_complete(self._closed())

    async def _forwards(self) -> None:
        for (_, writer), (reader, _), byte in (
            (self.agent, self.customer, b"a"),
            (self.customer, self.agent, b"c"),
        ):
            writer.write(byte)
            await writer.drain()
            assert await asyncio.wait_for(reader.readexactly(1), WAIT_S) == byte

    async def _closed(self) -> None:
        for reader, _ in (self.agent, self.customer):
            assert await asyncio.wait_for(reader.read(), WAIT_S) == b""


@dataclass
class Sides:
    """The test's event loop and the relay connections it opened (closed at the end)."""

    loop: asyncio.AbstractEventLoop
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    def join(self, address: str, grant: SessionGrant, offer: SessionOffer) -> Pair:
        """Agent and customer join the relay at once, with their tokens; paired."""

        async def both() -> Pair:
            agent, customer = await asyncio.gather(
                open_relay(address, grant.token), open_relay(address, offer.token)
            )
            self.writers += [agent[1], customer[1]]
            return Pair(self.loop, agent, customer)

        return self.loop.run_until_complete(both())

    def close(self) -> None:
        async def close_all() -> None:
            for writer in self.writers:
                writer.close()
            for writer in self.writers:
                with contextlib.suppress(OSError, TimeoutError):
                    await asyncio.wait_for(writer.wait_closed(), 5)

        self.loop.run_until_complete(close_all())
        self.loop.close()


class Customer:
    """A customer device (``register``: online again, as its app's next poll does)."""

    def __init__(self, server: Server) -> None:
        self.server, self.device = server, "dev-" + secrets.token_hex(8)
        self.reg = self.register()

    def register(self) -> Registration:
        client = HelpdeskClient(self.server.http_url, timeout_s=10)
        try:
            self.reg = client.register("demo", self.device, FIELDS)
            return self.reg
        finally:
            client.close()

    def connect(self) -> SessionGrant:
        """An agent connects to this customer: the agent's grant."""
        agent = agent_of(self.server)
        try:
            return agent.connect(self.reg.partner_id, self.reg.password)
        finally:
            agent.close()

    def session(self) -> tuple[SessionGrant, SessionOffer]:
        """An agent's grant and the offer the customer's poll gets: the two tokens."""
        grant = self.connect()
        client = HelpdeskClient(self.server.http_url, timeout_s=10)
        try:
            offers = client.poll(self.reg.partner_id, self.reg.presence_key, wait_s=0).offers
        finally:
            client.close()
        (offer,) = [o for o in offers if o.session_id == grant.session_id]
        return grant, offer


def relay_seen(server: Server, relay_id: str) -> datetime | None:
    """When the server last heard from the relay (its clock)."""
    node = relay_node(server, relay_id)
    return None if node is None else node.last_seen


def heard_again(server: Server, relay: RealRelay, times: int = 3) -> None:
    """Until the server has taken ``times`` more of the relay's reports: the relay sends
    them one by one, acting on each answer before the next, so it has acted on the
    answers of all but the last."""
    for _ in range(times):
        before = relay_seen(server, relay.relay_id)

        def newer(before: datetime | None = before) -> bool:
            return relay_seen(server, relay.relay_id) != before

        wait_until(newer)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """A server whose clock the test moves, past its start's grace at once; no relay of
    its own (offers go to the test's relay while the server hears it, else to
    ``FALLBACK``, where nothing listens)."""
    args = [*db_args(request), "--no-relay", "--public-relay", FALLBACK]
    server = start_server(tmp_path_factory.mktemp("relay-cut-e2e"), E2E, args, clocked=True)
    server.advance(LAPSE_S + 10)
    yield server
    assert server.process.stop(timeout_s=30) == 0, "".join(server.process.log[-30:])


@pytest.fixture
def relay(server: Server) -> Iterator[RealRelay]:
    """A relay of its own for each test (new id, never silent before), reporting through
    a forwarder; stopped at the end (its "stopping": no later offer is placed on it)."""
    host, _, port = server.http_url.removeprefix("http://").rstrip("/").rpartition(":")
    forwarder = Forwarder((host, int(port)))
    relay_port = free_port()
    process = start_relay(forwarder.url, relay_port, env=E2E, heartbeat_s=HEARTBEAT_S)
    try:
        listening = re.search(r"relay event=listening .*relay=(\w+)", "".join(process.log))
        assert listening is not None, "".join(process.log)
        real = RealRelay(process, forwarder, f"127.0.0.1:{relay_port}", listening.group(1))
        wait_until(lambda: relay_address(server, real.relay_id) == real.address)
        yield real
    finally:
        forwarder.restore()
        process.stop()
        forwarder.close()


@pytest.fixture
def sides() -> Iterator[Sides]:
    opened = Sides(asyncio.new_event_loop())
    yield opened
    opened.close()


@pytest.mark.parametrize("cut_s", CUTS)
def test_a_session_running_through_a_cut_is_reopened_and_the_relay_keeps_it(
    server: Server, relay: RealRelay, sides: Sides, cut_s: float
) -> None:
    """Paired before the cut; the sweep ends it ``relay-lost`` a lapse into the cut,
    while the relay forwards on; once the cut ends, more than a lapse after that stamp,
    the relay's next heartbeat lists it: connected again from its original start, and
    the relay, never told it ended, still forwards it."""
    assert (cut_s - STAMPED_S > LOOK_BACK_S) == (cut_s > 3 * LAPSE_S)  # the two cases
    grant, offer = Customer(server).session()
    sid = grant.session_id
    assert grant.relay == relay.address
    pair = sides.join(relay.address, grant, offer)
    wait_until(lambda: row(server, sid).state == "connected")
    started = row(server, sid).connected_at
    pair.forwards()

    relay.cut()
    server.advance(STAMPED_S)
    wait_until(lambda: row(server, sid).state == "ended")
    assert row(server, sid).end_reason == "relay-lost"
    pair.forwards()  # the relay runs it on through the cut
    server.advance(cut_s - STAMPED_S)
    assert relay.forwarder.refused > 0

    relay.restore()
    server.process.wait_for(rf"helpdesk event=session-reopened session={sid} lost=", WAIT_S)
    heard_again(server, relay)
    session = row(server, sid)
    assert (session.state, session.end_reason, session.ended_at) == ("connected", None, None)
    assert session.connected_at == started
    assert session.relay_id == relay.relay_id
    pair.forwards()
    assert not relay.closed(sid), "".join(relay.process.log[-30:])


@pytest.mark.parametrize("offered", ["before the cut", "during the cut"])
def test_an_offer_joined_during_a_cut_is_reopened_and_the_relay_keeps_it(
    server: Server, relay: RealRelay, sides: Sides, offered: str
) -> None:
    """The parties join during the cut (the relay's "connected" fails: kept); the sweep
    expires the offer ``not-joined`` when its tokens' lifetime is over, and the cut
    lasts more than a lapse longer; once it ends, the relay's word (its heartbeat, or
    its kept "connected", then delivered too) reopens the offer, connected no later
    than its tokens' expiry, and the relay still forwards it."""
    customer = Customer(server)
    if offered == "during the cut":
        relay.cut()  # (the server still places it there: it heard the relay a moment ago)
    grant, offer = customer.session()
    sid = grant.session_id
    assert grant.relay == relay.address
    if offered == "before the cut":
        relay.cut()
    pair = sides.join(relay.address, grant, offer)
    relay.process.wait_for(rf"relay event=connect-report-kept session={sid}", WAIT_S)
    assert row(server, sid).state == "offered"

    server.advance(TTL_S + 10)
    wait_until(lambda: row(server, sid).state == "ended")
    assert row(server, sid).end_reason == "not-joined"
    pair.forwards()
    server.advance(LAPSE_S + 5)  # past the window an expiry alone opens

    relay.restore()
    server.process.wait_for(rf"helpdesk event=offer-reopened session={sid} expired=", WAIT_S)
    relay.process.wait_for(rf"relay event=connect-report-delivered session={sid}", WAIT_S)
    heard_again(server, relay)
    session = row(server, sid)
    assert (session.state, session.end_reason, session.ended_at) == ("connected", None, None)
    assert session.relay_id == relay.relay_id
    # (the relay's clock says it joined a moment ago, the server's moved minutes since:
    # its tokens' expiry bounds it)
    assert session.offered_at is not None and session.expires_at is not None
    assert session.connected_at is not None
    assert session.offered_at <= session.connected_at <= session.expires_at
    pair.forwards()
    assert not relay.closed(sid), "".join(relay.process.log[-30:])


def paired_then_lost(
    server: Server, relay: RealRelay, sides: Sides, cut_s: float
) -> tuple[Customer, str, Pair]:
    """A session paired before a cut, ended ``relay-lost`` during it; its customer,
    shown free, online again late in the cut (an agent may connect to it): the
    customer, the session's id, its pair of sides."""
    customer = Customer(server)
    grant, offer = customer.session()
    old = grant.session_id
    assert grant.relay == relay.address
    pair = sides.join(relay.address, grant, offer)
    wait_until(lambda: row(server, old).state == "connected")
    pair.forwards()

    relay.cut()
    server.advance(STAMPED_S)
    wait_until(lambda: row(server, old).state == "ended")
    assert row(server, old).end_reason == "relay-lost"
    server.advance(cut_s - STAMPED_S)
    customer.register()  # (as if its app had polled: online, free)
    return customer, old, pair


@pytest.mark.parametrize("cut_s", CUTS)
def test_an_offer_that_never_reached_the_customer_gives_way_to_its_running_session(
    server: Server, relay: RealRelay, sides: Sides, cut_s: float
) -> None:
    """An agent connects to the customer shown free late in the cut; the customer's app,
    in its session all along, polls for no offer, so the new one never reaches it. Once
    the cut ends, the relay's heartbeat reopens the running session, the offer is
    withdrawn (``customer-busy``), and the relay keeps forwarding. Before, the offer
    won: the relay closed the session the customer was in, and the offer lapsed."""
    customer, old, pair = paired_then_lost(server, relay, sides, cut_s)
    new = customer.connect()
    assert new.relay == FALLBACK  # (the server does not hear the relay: not placed there)
    assert row(server, new.session_id).state == "offered"

    relay.restore()
    server.process.wait_for(rf"helpdesk event=session-reopened session={old} lost=", WAIT_S)
    heard_again(server, relay)
    assert (row(server, old).state, row(server, old).end_reason) == ("connected", None)
    withdrawn = row(server, new.session_id)
    assert (withdrawn.state, withdrawn.end_reason) == ("ended", c.END_CUSTOMER_BUSY)
    pair.forwards()
    assert not relay.closed(old), "".join(relay.process.log[-30:])


@pytest.mark.parametrize("cut_s", CUTS)
def test_a_session_whose_customer_took_a_new_offer_during_a_cut_is_closed(
    server: Server, relay: RealRelay, sides: Sides, cut_s: float
) -> None:
    """An agent connects to the customer shown free late in the cut, and the customer's
    app takes that offer (it had left the old session); once the cut ends, the relay's
    heartbeat lists the old session: not reopened (the customer chose the new one),
    named ended in the answer, and the relay closes it (``ended-by-helpdesk``); the new
    offer stands."""
    customer, old, pair = paired_then_lost(server, relay, sides, cut_s)
    new, _ = customer.session()  # (its poll hands the offer over)
    assert new.relay == FALLBACK
    assert row(server, new.session_id).offer_delivered

    relay.restore()
    relay.process.wait_for(rf"relay event=closing session={old} reason={c.END_BY_HELPDESK}", WAIT_S)
    pair.closed()
    relay.process.wait_for(rf"relay event=ended session={old} reason={c.END_BY_HELPDESK}", WAIT_S)
    heard_again(server, relay)
    assert (row(server, old).state, row(server, old).end_reason) == ("ended", "relay-lost")
    assert row(server, new.session_id).state == "offered"
    assert not any(f"session={old}" in line for line in server.process.log if "reopened" in line)
