"""Held, cumulative acks (HELD_ACKS): the small updates' own window, acks that cover every
update before theirs and say how long they were held, the agent's policy of when to send
them, an older customer still acked one by one, and hostile acks refused."""

from __future__ import annotations

import pytest

from remoteapp.errors import LocalProtocolError, RemoteProtocolError
from remoteapp.net.acks import ACK_BATCH, ACK_HOLD_S, LEGACY_HOLD_S, AckPolicy, policy_for
from remoteapp.net.in_flight import PyInFlight
from remoteapp.net.messages import (
    HELD_ACKS,
    LEGACY_SMALL_WINDOW,
    MAX_HELD_US,
    SMALL_UPDATE,
    SMALL_WINDOW,
    WIDE_SMALL_WINDOW,
)
from remoteapp.net.session import (
    MAX_UNACKED,
    Hello,
    Msg,
    ScreenUpdate,
    SessionConnection,
    UpdateAck,
)
from remoteapp.net.session_state import Role
from remotewire.framing import NEED_DATA, FrameReader, pack_frame

pytestmark = pytest.mark.usefixtures("each_books")  # (conftest: C and Python books)

SMALL, LARGE = b"s" * SMALL_UPDATE, b"L" * (SMALL_UPDATE + 1)


class Link:
    """A customer (announcing HELD_ACKS or not) and an agent, past their Hellos."""

    def __init__(self, *, held: bool = True, wide: bool = True, **customer: int) -> None:
        self.cust = SessionConnection(Role.CUSTOMER, **customer)
        self.agent = SessionConnection(Role.AGENT)
        caps = ((HELD_ACKS,) if held else ()) + ((WIDE_SMALL_WINDOW,) if wide else ())
        self.agent.receive_data(self.cust.send(Hello(Role.CUSTOMER, "Maria", capabilities=caps)))
        self.cust.receive_data(self.agent.send(Hello(Role.AGENT, "Ana")))
        assert isinstance(self.agent.next_event(), Hello)
        assert isinstance(self.cust.next_event(), Hello)
        self.seq = 0  #: the next update's

    def updates(self, *datas: bytes) -> None:
        """One update per ``datas`` from the customer, received by the agent."""
        for data in datas:
            self.agent.receive_data(self.cust.send(ScreenUpdate(self.seq, data)))
            assert self.agent.next_event() == ScreenUpdate(self.seq, data)
            self.seq += 1

    def ack(self, event: UpdateAck) -> None:
        self.cust.receive_data(self.agent.send(event))
        assert self.cust.next_event() == event


def test_small_updates_have_a_window_of_their_own() -> None:
    link = Link()
    link.updates(*[SMALL] * SMALL_WINDOW)
    assert link.cust.credits == 0
    with pytest.raises(LocalProtocolError, match="no credit"):
        link.cust.send(ScreenUpdate(99, SMALL))
    link.ack(UpdateAck(4, held_us=1500))  # cumulative: 0..4
    assert link.cust.credits == 5
    link.ack(UpdateAck(SMALL_WINDOW - 1))
    assert link.cust.credits == SMALL_WINDOW


def test_a_large_update_in_flight_brings_the_window_of_two_back() -> None:
    link = Link()
    link.updates(SMALL, LARGE)
    assert link.cust.credits == 0
    link.ack(UpdateAck(0))
    assert link.cust.credits == 1  # the large one still out
    link.ack(UpdateAck(1))
    assert link.cust.credits == SMALL_WINDOW
    link.updates(LARGE, SMALL)
    assert link.cust.credits == 0


def test_an_agent_acks_only_what_it_received_and_once() -> None:
    link = Link()
    with pytest.raises(LocalProtocolError, match="not received"):
        link.agent.send(UpdateAck(0))
    link.updates(SMALL, SMALL)
    link.ack(UpdateAck(1, held_us=20))
    with pytest.raises(LocalProtocolError, match="already acked"):
        link.agent.send(UpdateAck(0))


def test_an_older_customer_is_acked_one_by_one_with_the_four_byte_ack() -> None:
    link = Link(held=False)
    link.updates(SMALL, SMALL)
    with pytest.raises(LocalProtocolError, match="one by one"):
        link.agent.send(UpdateAck(1))  # would skip 0
    with pytest.raises(LocalProtocolError, match="one by one"):
        link.agent.send(UpdateAck(0, held_us=10))
    data = link.agent.send(UpdateAck(0))
    reader = FrameReader(max_payload=64)
    reader.receive_data(data)
    frame = reader.next_frame()
    assert frame is not NEED_DATA and frame.type == Msg.UPDATE_ACK and len(frame.payload) == 4


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ((7).to_bytes(4, "big"), "not outstanding"),
        ((0).to_bytes(4, "big") + (MAX_HELD_US + 1).to_bytes(4, "big"), "held"),
        (b"\x00" * 6, "malformed"),
        (b"\x00" * 9, "over its limit"),
    ],
)
def test_hostile_acks_are_refused(payload: bytes, match: str) -> None:
    link = Link()
    link.updates(SMALL)
    link.cust.receive_data(pack_frame(Msg.UPDATE_ACK, payload, max_payload=64))
    with pytest.raises(RemoteProtocolError, match=match):
        link.cust.next_event()


def test_a_customer_past_its_credits_is_refused() -> None:
    link = Link(window=MAX_UNACKED + 1)
    link.updates(*[LARGE] * MAX_UNACKED)
    link.agent.receive_data(link.cust.send(ScreenUpdate(link.seq, LARGE)))
    with pytest.raises(RemoteProtocolError, match="without credit"):
        link.agent.next_event()


def test_held_ack_bytes_round_trip_whole_and_byte_by_byte() -> None:
    link = Link()
    link.updates(SMALL, SMALL, SMALL)
    data = link.agent.send(UpdateAck(2, held_us=MAX_HELD_US))
    for i in range(len(data)):
        link.cust.receive_data(data[i : i + 1])
        event = link.cust.next_event()
        assert (event is NEED_DATA) == (i < len(data) - 1)
    assert event == UpdateAck(2, MAX_HELD_US) and link.cust.credits == SMALL_WINDOW
    link.updates(SMALL)
    with pytest.raises(LocalProtocolError, match="over its bound"):
        link.agent.send(UpdateAck(3, MAX_HELD_US + 1))
    link.ack(UpdateAck(3, MAX_HELD_US))  # the refused one left it owed


# -- the agent's policy


def test_a_large_update_is_acked_at_once_with_those_held_before_it() -> None:
    policy = AckPolicy()
    assert policy.decoded(0, SMALL_UPDATE, 10.0) is None
    assert policy.due() == 10.0 + ACK_HOLD_S
    assert policy.decoded(1, SMALL_UPDATE + 1, 10.1) == UpdateAck(1)
    assert policy.due() is None and policy.take(11.0) is None


def test_small_updates_are_acked_by_the_batch_or_when_the_first_waited_long_enough() -> None:
    policy = AckPolicy()
    for seq in range(ACK_BATCH - 1):
        assert policy.decoded(seq, 100, 10.0 + seq * 0.1) is None
    assert policy.decoded(ACK_BATCH - 1, 100, 10.9) == UpdateAck(ACK_BATCH - 1)
    assert policy.decoded(ACK_BATCH, 100, 20.0) is None
    assert policy.decoded(ACK_BATCH + 1, 100, 20.2) is None
    assert policy.due() == 20.0 + ACK_HOLD_S
    # the newest waited 0.3 s: rate control takes that off its round trip
    assert policy.take(20.5) == UpdateAck(ACK_BATCH + 1, 300_000)
    assert policy.due() is None and policy.take(21.0) is None


@pytest.mark.parametrize("wide", [True, False])
def test_the_agent_holds_half_the_small_window_the_customer_announced(wide: bool) -> None:
    """A customer announcing WIDE_SMALL_WINDOW has 16 small credits, and the agent holds
    up to 8 acks for 1 s; an older one (HELD_ACKS alone) has 8, and gets 4 held 0.5 s."""
    link = Link(wide=wide)
    window = link.agent.peer_small_window
    assert window == (SMALL_WINDOW if wide else LEGACY_SMALL_WINDOW)
    policy = policy_for(window)
    for seq in range(window // 2 - 1):
        assert policy.decoded(seq, 100, 10.0) is None
    assert policy.due() == 10.0 + (ACK_HOLD_S if wide else LEGACY_HOLD_S)
    assert policy.decoded(window // 2 - 1, 100, 10.1) == UpdateAck(window // 2 - 1)
    sender = Link(wide=wide, small_window=window)  # (an older customer's is 8)
    sender.updates(*[SMALL] * (window // 2))  # what the agent holds leaves it credits
    assert sender.cust.credits == window - window // 2 > 0


def test_a_late_timer_never_claims_more_than_the_bound() -> None:
    policy = AckPolicy()
    policy.decoded(3, 10, 0.0)
    assert policy.take(3600.0) == UpdateAck(3, MAX_HELD_US)


def test_the_books_are_the_ones_asked_for(each_books: str) -> None:
    """(conftest's fixture swaps them: this module runs over both)"""
    books = SessionConnection(Role.CUSTOMER)._in_flight
    assert isinstance(books, PyInFlight) == (each_books == "python-books")
