"""An offer the parties joined during a cut between its relay and a server that stays up
survives the cut, however long; an offer nobody joined still ends.

The reviewer's find: the sweep's grace counted from the server's start only. With the
server up and the relay cut off (its reports failing), the parties joined the offer on
the relay, the tokens expired and the sweep ended the offer as ``not-joined``; the cut
ended more than a relay lapse later, too late for the relay's kept "connected" report or
its heartbeat to reopen it, and the heartbeat's answer listed it as ended: the relay
closed a live session. Now the sweep expires an offer only once its relay has been heard
from since the expiry (``relay_events.expirable``), or ``OFFER_HOLD_S`` after it.

Real processes: the clocked server, the relay (``python -m remoterelay``) reporting to it
through a link the test cuts (a TCP forwarder it closes and opens again), real tokens
over real sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from helpdesk.services.relay_events import OFFER_HOLD_S
from remotewire.relay_join import open_relay
from tests.helpdesk.conftest import db_args, wait_until
from tests.helpdesk.server_process import Server, free_port, start_server
from tests.helpdesk.test_outage_keeps_offers import CLOCKED, RETAINED_S, bystander, forgotten
from tests.helpdesk.test_relay_connected_retry import close_all, offered_session
from tests.helpdesk.test_relay_end_retry import (
    FALLBACK,
    joined_offer,
    relay_registered,
    report,
    row,
)
from tests.helpdesk.test_restart_keeps_sessions import heard_after
from tests.scale.helpers import start_relay

LAPSE_S = 600  # CLOCKED's relay lapse
TTL_S = 120  # the default token lifetime


class Link:
    """A TCP forwarder from its own port to ``target``: the relay's way to the server,
    which the test cuts (``down``: new connections refused, open ones closed) and mends
    (``up``)."""

    def __init__(self, target: int) -> None:
        self.port, self.target = free_port(), target
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def down(self) -> None:
        listener, self._listener = self._listener, None
        assert listener is not None
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes its accept()
        listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                inbound, _ = listener.accept()
            except OSError:
                return  # down
            outbound = socket.create_connection(("127.0.0.1", self.target))
            with self._lock:
                self._open += [inbound, outbound]
            for source, sink in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def clocked(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """A server whose clock the test moves, past its start's grace at once; without its
    own relay (only the relays of the tests place sessions)."""
    args = [*db_args(request), "--no-relay", "--public-relay", FALLBACK]
    server = start_server(tmp_path_factory.mktemp("relay-cut"), CLOCKED, args, clocked=True)
    server.advance(LAPSE_S + 100)
    yield server
    assert server.process.stop(timeout_s=30) == 0, "".join(server.process.log[-30:])


def swept_after(server: Server, seconds: float) -> None:
    """Move the server's clock on and wait for a sweep after the move (it forgets a device
    last seen ``RETAINED_S`` before: the sign that a sweep ran)."""
    assert seconds > RETAINED_S
    marker = bystander(server)
    server.advance(seconds)
    wait_until(lambda: forgotten(server, marker))


def test_an_offer_joined_during_a_cut_longer_than_the_relay_lapse_survives(
    clocked: Server,
) -> None:
    link = Link(int(clocked.http_url.rsplit(":", 1)[1]))
    link.up()
    relay_port = free_port()
    address = f"127.0.0.1:{relay_port}"
    relay = start_relay(f"http://127.0.0.1:{link.port}", relay_port, env=CLOCKED)
    try:
        wait_until(lambda: relay_registered(clocked, address), 15)
        grant, offer = joined_offer(clocked)
        joined = grant.session_id
        unjoined = offered_session(clocked)
        assert {row(clocked, sid).relay_address for sid in (joined, unjoined)} == {address}
        link.down()  # the cut begins
        relay.wait_for(r"relay event=report-failed event_=heartbeat")

        async def through_the_cut() -> None:
            (a_read, a_write), (c_read, c_write) = await asyncio.gather(
                open_relay(address, grant.token), open_relay(address, offer.token)
            )
            try:
                await asyncio.to_thread(
                    relay.wait_for, rf"relay event=connect-report-kept session={joined}"
                )
                # the tokens expire, then the cut outlasts a relay lapse: the offers wait
                await asyncio.to_thread(swept_after, clocked, TTL_S + 10)
                await asyncio.to_thread(swept_after, clocked, LAPSE_S + 1)
                for sid in (joined, unjoined):
                    assert (await asyncio.to_thread(row, clocked, sid)).state == "offered"
                link.up()  # the cut ends
                back = time.time()
                await asyncio.to_thread(
                    relay.wait_for, rf"relay event=connect-report-delivered session={joined}"
                )
                await asyncio.to_thread(wait_until, lambda: heard_after(clocked, address, back))
                # the relay was heard from since the expiry: the offer nobody joined ends
                await asyncio.to_thread(wait_until, lambda: row(clocked, unjoined).state == "ended")
                # the session goes on: both sides still talk through the relay
                for writer, reader, data in ((a_write, c_read, b"agent"), (c_write, a_read, b"c")):
                    writer.write(data)
                    await writer.drain()
                    assert await asyncio.wait_for(reader.readexactly(len(data)), 5) == data
                session = await asyncio.to_thread(row, clocked, joined)
                assert (session.state, session.end_reason) == ("connected", None)
            finally:
                await close_all([a_write, c_write])

        asyncio.run(through_the_cut())
        assert row(clocked, unjoined).end_reason == "not-joined"
        assert not any(f"offer-reopened session={joined}" in ln for ln in clocked.process.log)
    finally:
        relay.stop()
        with contextlib.suppress(AssertionError):
            link.down()


def test_an_offer_on_a_relay_that_never_comes_back_ends_after_the_hold(clocked: Server) -> None:
    clocked.advance(LAPSE_S + 1)  # every relay heard before is silent: none gets the offer
    relay_id, address = "gone-" + secrets.token_hex(4), f"127.0.0.1:{free_port()}"
    beat = {"event": "heartbeat", "relay_id": relay_id, "sessions": [], "address": address}
    assert report(clocked, beat) == 200
    sid = offered_session(clocked)
    assert row(clocked, sid).relay_address == address
    swept_after(clocked, TTL_S + 10)
    assert row(clocked, sid).state == "offered"  # held: its relay may still say it runs
    clocked.advance(OFFER_HOLD_S)
    wait_until(lambda: row(clocked, sid).state == "ended")
    assert row(clocked, sid).end_reason == "not-joined"
