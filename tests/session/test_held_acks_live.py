"""Held acks live: the real AgentSession over real TCP (through taps) acks a customer's
small updates together, once ACK_BATCH of them are in or the first has waited
ACK_HOLD_S, and a large one at once; a customer without WIDE_SMALL_WINDOW gets half its
window of 8; an older customer (no HELD_ACKS in its HELLO) gets one ack per update, as
before.  A ping goes out with an ack, and held acks with a ping: one wake-up of the
customer for both."""

from __future__ import annotations

import time

import numpy as np
import pytest

from remoteapp.codec import ScreenEncoder
from remoteapp.net.acks import ACK_BATCH, ACK_HOLD_S
from remoteapp.net.messages import HELD_ACKS, LEGACY_SMALL_WINDOW, SMALL_UPDATE, WIDE_SMALL_WINDOW
from remoteapp.net.session import (
    Event,
    Hello,
    MonitorInfo,
    Ping,
    Pong,
    ScreenInfo,
    ScreenUpdate,
    UpdateAck,
)
from remoteapp.net.session_state import Role
from remoteapp.secure import SecureParams
from remoteapp.session import AgentSession
from remoteapp.session.agent import PING_INTERVAL
from tests.session.transport_ends import KEY, WAIT_S, End, until
from tests.streams import StreamPair


class Customer:
    """A customer end that sends real updates of a 64x64 screen and collects the acks."""

    def __init__(
        self, pair: StreamPair, *, held: bool, hold_s: float | None = None, wide: bool = True,
        ping_s: float = PING_INTERVAL,
    ) -> None:  # fmt: skip
        secure = SecureParams.for_direct(Role.AGENT, KEY)
        self.agent = AgentSession(
            pair.a, "Ana", secure=secure, ack_hold_s=hold_s, ping_interval_s=ping_s
        )
        self.end = End(pair.b, Role.CUSTOMER)
        caps = ("clipboard", HELD_ACKS) if held else ("clipboard",)
        caps += (WIDE_SMALL_WINDOW,) if wide else ()
        assert self.end.transport.send(Hello(Role.CUSTOMER, "Maria", capabilities=caps))
        self.end.start("customer-net")
        self.agent.start()
        self.frame = np.zeros((64, 64, 4), np.uint8)
        self.encoder = ScreenEncoder()
        self.seq = 0
        assert self.end.transport.send(ScreenInfo((MonitorInfo(1, 0, 0, 64, 64, True),), 0))

    def small(self) -> None:
        self.frame[self.seq % 64, self.seq % 64] = (0, 0, 255, 255)
        self._send(self.encoder.encode(self.frame), large=False)

    def large(self) -> None:
        self.frame[:] = np.random.default_rng(self.seq).integers(0, 256, self.frame.shape)
        self._send(self.encoder.encode(self.frame), large=True)

    def _send(self, data: bytes, *, large: bool) -> None:
        assert (len(data) > SMALL_UPDATE) == large, len(data)
        assert self.end.transport.send(ScreenUpdate(self.seq, data), wait=WAIT_S)
        self.seq += 1

    def acks(self, until: int) -> list[UpdateAck]:
        """The acks so far, once one for update ``until`` is among them (bounded wait)."""
        with self.end.arrived:
            assert self.end.arrived.wait_for(
                lambda: any(isinstance(e, UpdateAck) and e.seq == until for e in self.end.events),
                WAIT_S + ACK_HOLD_S,
            ), self.end.events[-5:]
            return [e for e in self.end.events if isinstance(e, UpdateAck)]

    def before(self, ack: UpdateAck) -> Event:
        """The event the customer read just before ``ack``."""
        with self.end.arrived:
            return self.end.events[self.end.events.index(ack) - 1]

    def close(self) -> None:
        self.agent.end("test over")
        assert self.end.ended.wait(WAIT_S)


def test_a_small_update_is_acked_once_its_hold_is_up(pair: StreamPair) -> None:
    customer = Customer(pair, held=True)
    try:
        customer.small()
        (held,) = customer.acks(until=0)
        assert held.held_us > 0  # what rate control takes off the round trip
    finally:
        customer.close()


@pytest.mark.parametrize("wide", [True, False])
def test_small_updates_share_one_ack_and_a_large_one_is_acked_at_once(
    pair: StreamPair, wide: bool
) -> None:
    customer = Customer(pair, held=True, hold_s=10 * WAIT_S, wide=wide)  # (counts only)
    batch = ACK_BATCH if wide else LEGACY_SMALL_WINDOW // 2
    try:
        for _ in range(batch):  # the last of them is acked at once, with the rest
            customer.small()
        assert customer.acks(until=batch - 1) == [UpdateAck(batch - 1)]
        customer.small()
        customer.large()  # at once, with the small one held before it
        assert customer.acks(until=customer.seq - 1)[1:] == [UpdateAck(customer.seq - 1)]
        assert customer.agent.frames == customer.seq
    finally:
        customer.close()


def test_an_older_customer_gets_one_ack_per_update(pair: StreamPair) -> None:
    customer = Customer(pair, held=False)
    try:
        for _ in range(3):
            customer.small()
        assert customer.acks(until=2) == [UpdateAck(0), UpdateAck(1), UpdateAck(2)]
    finally:
        customer.close()


def test_a_ping_due_within_half_its_interval_goes_out_with_an_ack(pair: StreamPair) -> None:
    """The rule the network thread applies to each ack it sends (``now`` passed in)."""
    customer = Customer(pair, held=True, ping_s=60.0)  # (the timer's one ping: at start)
    try:
        agent = customer.agent
        with agent._acks_lock:
            assert agent._ping(1e6, 30.0) is not None  # due long ago: goes now
            assert agent._ping(1e6 + 29.9, 30.0) is None  # due in 30.1 s: not yet
            assert agent._ping(1e6 + 30.0, 30.0) is not None  # due in 30 s: goes early
            assert agent._ping(1e6 + 30.0, 0.0) is None  # (the next: 60 s on)
            # on its schedule: the early one (due at 1e6 + 60) puts the next at 1e6 + 120,
            # not 60 s after it went (riding every ack would double the pings' rate)
            assert agent._ping(1e6 + 90.0, 0.0) is None
            assert agent._ping(1e6 + 90.0, 30.0) is not None
    finally:
        customer.close()


def test_held_acks_go_out_with_the_next_ping(pair: StreamPair) -> None:
    """An ack held for far longer than the ping interval goes with the next ping."""
    customer = Customer(pair, held=True, hold_s=10 * WAIT_S, ping_s=0.2)
    try:
        customer.small()
        (held,) = customer.acks(until=0)
        assert held.held_us > 0 and isinstance(customer.before(held), Ping)
    finally:
        customer.close()


def test_an_ack_the_network_thread_sends_takes_a_ping_due_soon(pair: StreamPair) -> None:
    """The network thread's path (not the timer's): a large update's ack goes out at once,
    and a ping due within half its interval goes with it; its pong gives the latency."""
    customer = Customer(pair, held=True, ping_s=60.0)  # (the timer's one ping: at start)
    try:
        agent = customer.agent
        customer.small()
        customer.acks(until=0)  # (held, then flushed: the start ping is long answered)
        with agent._acks_lock:
            agent._next_ping = time.monotonic() + 20.0  # due within 30 s: early enough
            agent.latency_ms = None
        customer.large()
        (ack,) = customer.acks(until=1)[1:]
        assert customer.before(ack) == Ping(2)
        assert customer.end.transport.send(Pong(2))  # (as CustomerSession answers it)
        assert until(lambda: agent.latency_ms is not None)
    finally:
        customer.close()


def test_a_held_ack_goes_when_its_hold_is_up_with_no_ping_due(pair: StreamPair) -> None:
    """The timer's other branch: the hold ends before the next ping is due, so the ack
    goes alone, having waited the whole hold."""
    customer = Customer(pair, held=True, hold_s=0.2, ping_s=60.0)  # (one ping: at start)
    try:
        customer.small()
        (held,) = customer.acks(until=0)
        assert held.held_us >= 200_000
        with customer.end.arrived:
            assert [e for e in customer.end.events if isinstance(e, Ping)] == [Ping(1)]
    finally:
        customer.close()
