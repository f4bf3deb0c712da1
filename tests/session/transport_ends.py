"""Two Transport ends over real TCP through taps (tests/streams.py), and the steps the
transport's contract tests share: an ``End`` records what its reader delivered and how
it ended; ``ends`` secures a pair; ``stall_writer`` leaves the agent's writer stuck in
the middle of a record; ``until`` polls, bounded, for what another thread reaches."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from remoteapp.net.session import (
    Clipboard,
    Event,
    Hello,
    Key,
    Ping,
    PointerButton,
    PointerMove,
    Pong,
    SessionConnection,
    Text,
    Wheel,
)
from remoteapp.net.session_state import Role
from remoteapp.secure import SecureParams
from remoteapp.session.transport import Transport
from tests.streams import StreamPair

WAIT_S = 10.0  #: bound of every wait for something that should happen


KEY = bytes(range(32))  #: both ends' direct session key


class End:
    """A Transport with what its reader delivered and how it ended."""

    def __init__(self, sock: socket.socket, role: Role, **options: Any) -> None:
        options.setdefault("secure", SecureParams.for_direct(role, KEY))
        self.transport = Transport(sock, SessionConnection(role), **options)
        self.events: list[Event] = []
        self.arrived = threading.Condition()
        self.ended = threading.Event()
        self.secured = threading.Event()
        self.reasons: list[str] = []

    def start(self, name: str) -> None:
        self.transport.start(
            self._on_event, self._on_end, name=name, on_secured=lambda code: self.secured.set()
        )

    def wait_secured(self) -> None:
        assert self.secured.wait(WAIT_S), self.reasons

    def _on_event(self, event: Event) -> None:
        with self.arrived:
            self.events.append(event)
            self.arrived.notify_all()

    def _on_end(self, reason: str) -> None:
        self.reasons.append(reason)
        self.ended.set()

    def wait_for(self, event: Event) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: event in self.events, WAIT_S), self.events[-5:]

    def end_reason(self) -> str:
        assert self.ended.wait(WAIT_S), "the session did not end"
        assert len(self.reasons) == 1, self.reasons  # on_end exactly once
        return self.reasons[0]


def ends(pair: StreamPair, **agent_options: Any) -> tuple[End, End]:
    """The agent on ``a``, the customer on ``b``, both said Hello, secured the stream and
    are reading (the Hellos were queued before the handshake: they go out after it)."""
    agent = End(pair.a, Role.AGENT, **agent_options)
    customer = End(pair.b, Role.CUSTOMER)
    assert agent.transport.send(Hello(Role.AGENT, "Ana"))
    assert customer.transport.send(Hello(Role.CUSTOMER, "Maria"))
    agent.start("agent-net")
    customer.start("customer-net")
    agent.wait_secured()
    customer.wait_secured()
    assert agent.transport.verification_code == customer.transport.verification_code
    # each has read the other's Hello: nothing unread, so a close is a FIN after the bytes
    # in flight, never a reset that drops them (which the end reasons below depend on)
    agent.wait_for(Hello(Role.CUSTOMER, "Maria"))
    customer.wait_for(Hello(Role.AGENT, "Ana"))
    return agent, customer


def undroppable(events: list[Event]) -> list[Event]:
    return [e for e in events if not isinstance(e, PointerMove | Ping | Pong)]


def input_burst(count: int) -> list[Event]:
    """Moves with a button, a wheel step, a key and text among them every 100."""
    events: list[Event] = []
    for i in range(count):
        events.append(PointerMove(i, i // 2))
        if i % 100 == 50:
            events += [
                PointerButton(i, i // 2, "left", True),
                PointerButton(i, i // 2, "left", False),
                Wheel(i, 0, 0, -1),
                Key("a", True, frozenset({"shift"})),
                Key("a", False),
                Text(f"typed {i}"),
            ]
    return [*events, PointerMove(4321, 1234)]


#: bytes held at a stalled tap that only a large record's writing leaves there (a Ping,
#: an Ack or a Pong is a few dozen): a rule of thumb, well under the socket buffers
INSIDE_A_RECORD = 1024


def stall_writer(agent: End, pair: StreamPair) -> None:
    """The customer's side stops reading; a 1 MiB clipboard text fills every buffer on
    the way, so the agent's writer is stuck in the middle of it.  Stuck, not just about
    to start: taken off the queue, the text is still to be encoded and sealed, and an
    end that came first would find the writer between records (no half record then)."""
    pair.a_to_b.stall()
    assert agent.transport.send(Clipboard("x" * (1 << 20)))
    assert until(lambda: agent.transport.queued == 0)  # taken by the writer
    assert until(lambda: pair.a_to_b.held() > INSIDE_A_RECORD)


def turn_free(transport: Transport) -> bool:
    """Wait (bounded) until nothing is queued and the writer has given its write turn
    back after its last write: only then does a small send go out by its sender
    (``direct_writes``).  The writer gives the turn back a moment after the peer may
    already have read what it wrote, so the peer's receipt does not say so."""
    return until(lambda: transport.queued == 0 and not transport._busy)


def until(done: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    """Poll (bounded) for a state another thread reaches and does not signal."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        threading.Event().wait(0.002)
    return True
