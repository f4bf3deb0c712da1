"""Session protocol: the same contract over an in-memory pipe and over real TCP; what each
role may send; a peer with another screen update format (an older remoteapp) is refused
with a reason; a small update's short path gives the general path's bytes.  Parsers and
hostile bytes: ``test_session_parsers.py``."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec.update_format import VERSION as UPDATE_FORMAT
from remoteapp.errors import LocalProtocolError, RemoteProtocolError
from remoteapp.net.messages import SMALL_UPDATE
from remoteapp.net.session import (
    CHUNK,
    Bye,
    Clipboard,
    ConnectionClosed,
    Event,
    Hello,
    Key,
    KeyFrameRequest,
    MonitorInfo,
    Msg,
    Ping,
    PointerButton,
    PointerMove,
    Pong,
    ScreenInfo,
    ScreenUpdate,
    SelectMonitor,
    SessionConnection,
    Text,
    UpdateAck,
    Wheel,
)
from remoteapp.net.session_state import Role, State
from remotewire.framing import NEED_DATA, Frame, FrameReader, pack_frame
from tests.net.session_peers import Pipe, deliver, drain, handshake

pytestmark = pytest.mark.usefixtures("each_books")  # (conftest: C and Python books)


# -- the contract, over both transports


def test_a_whole_session(pipes: tuple[Pipe, Pipe]) -> None:
    to_agent, to_customer = pipes
    customer, agent = handshake(pipes)
    info = ScreenInfo((MonitorInfo(1, 0, 0, 1920, 1080, True, "HDMI-1"),), 0)
    big = bytes(range(256)) * (3 * CHUNK // 256 + 7)  # four chunks
    to_agent.write(customer.send(info) + customer.send(ScreenUpdate(0, big)))
    assert deliver(to_agent, agent) == [info, ScreenUpdate(0, big)]

    inputs: list[Event] = [
        PointerMove(10, 20),
        PointerButton(10, 20, "left", True),
        PointerButton(10, 20, "left", False),
        Wheel(10, 20, 0, -3),
        Key("a", True, frozenset({"ctrl", "shift"})),
        Key("enter", False),
        Text("olá, ação ✓"),
        Clipboard("copiado"),
        SelectMonitor(0),
        KeyFrameRequest(),
        Ping(7),
        UpdateAck(0),
    ]
    to_customer.write(b"".join(agent.send(e) for e in inputs))
    assert deliver(to_customer, customer) == inputs
    to_agent.write(customer.send(Pong(7)) + customer.send(Bye("customer ended the session")))
    assert deliver(to_agent, agent) == [Pong(7), Bye("customer ended the session")]
    agent.receive_data(b"")
    assert agent.next_event() == ConnectionClosed(True, "customer ended the session")
    assert agent.next_event() is NEED_DATA


def test_credits_bound_updates_in_flight(pipes: tuple[Pipe, Pipe]) -> None:
    to_agent, to_customer = pipes
    customer, agent = handshake(pipes)
    large = bytes(SMALL_UPDATE + 1)
    for seq in range(2):
        assert customer.can_send_update()
        to_agent.write(customer.send(ScreenUpdate(seq, large)))
    assert not customer.can_send_update()
    with pytest.raises(LocalProtocolError, match="no credit"):
        customer.send(ScreenUpdate(2, b"x"))
    deliver(to_agent, agent)
    to_customer.write(agent.send(UpdateAck(0)))
    deliver(to_customer, customer)
    assert customer.credits == 1


def test_connection_lost_mid_update(pipes: tuple[Pipe, Pipe]) -> None:
    to_agent, _ = pipes
    customer, agent = handshake(pipes)
    to_agent.write(customer.send(ScreenUpdate(0, bytes(2 * CHUNK)))[: CHUNK // 2])
    assert deliver(to_agent, agent) == []
    agent.receive_data(b"")
    assert agent.next_event() == ConnectionClosed(False, "connection lost")


# -- what each side may send, and what a peer may not


def test_roles_limit_what_can_be_sent() -> None:
    agent = SessionConnection(Role.AGENT)
    with pytest.raises(LocalProtocolError, match="cannot send PointerMove in state handshake"):
        agent.send(PointerMove(1, 1))
    agent.send(Hello(Role.AGENT, "Ana"))
    with pytest.raises(LocalProtocolError, match="agent cannot send ScreenUpdate"):
        agent.send(ScreenUpdate(0, b""))
    agent.send(Bye("done"))
    with pytest.raises(LocalProtocolError, match="state closed"):
        agent.send(Ping(1))


# -- update format negotiation: a remoteapp from before format 2 is told to update

#: Exactly what remoteapp sent before update format 2 existed (no "update_format").
V1_CUSTOMER_HELLO = pack_frame(
    Msg.HELLO, b'{"version":1,"role":"customer","name":"Maria","capabilities":["clipboard"]}'
)
V1_AGENT_HELLO = pack_frame(
    Msg.HELLO, b'{"version":1,"role":"agent","name":"Ana","capabilities":["clipboard"]}'
)
V1_REFUSAL = (
    "the customer runs an older remoteapp (screen update format 1, the agent's uses 2): "
    "update remoteapp on the customer's computer"
)


def test_a_v1_peer_is_refused_and_both_sides_can_show_why(pipes: tuple[Pipe, Pipe]) -> None:
    to_agent, to_customer = pipes
    agent = SessionConnection(Role.AGENT)
    to_customer.write(agent.send(Hello(Role.AGENT, "Ana")))
    to_agent.write(V1_CUSTOMER_HELLO)
    agent.receive_data(to_agent.read())
    with pytest.raises(RemoteProtocolError) as refused:
        agent.next_event()
    assert str(refused.value) == V1_REFUSAL
    assert agent.peer_hello is None
    # the session's Transport ends a protocol error with a Bye that carries the message
    to_customer.write(agent.send(Bye(f"protocol error: {refused.value}")))

    # the v1 side reads our Hello as before (session protocol 1, the keys it knew) and
    # then the Bye: a frame layout that did not change, so it shows the reason
    reader = FrameReader(max_payload=1 << 20)
    reader.receive_data(to_customer.read())
    hello, bye = reader.next_frame(), reader.next_frame()
    assert reader.next_frame() is NEED_DATA
    assert isinstance(hello, Frame) and isinstance(bye, Frame)
    fields = json.loads(hello.payload)
    assert (hello.type, fields["version"], fields["role"], fields["name"]) == (
        Msg.HELLO,
        1,
        "agent",
        "Ana",
    )
    assert fields["capabilities"] == [] and fields["update_format"] == UPDATE_FORMAT
    assert (bye.type, bye.payload.decode()) == (Msg.BYE, f"protocol error: {V1_REFUSAL}")


def test_a_v1_agent_is_refused_by_the_customer_before_any_update() -> None:
    customer = SessionConnection(Role.CUSTOMER)
    customer.send(Hello(Role.CUSTOMER, "Maria"))
    customer.receive_data(V1_AGENT_HELLO)
    with pytest.raises(RemoteProtocolError, match=r"the agent runs an older remoteapp \(screen"):
        drain(customer)
    assert customer.peer_hello is None


def test_hello_carries_this_sides_update_format_and_no_other() -> None:
    customer, agent = SessionConnection(Role.CUSTOMER), SessionConnection(Role.AGENT)
    customer.receive_data(agent.send(Hello(Role.AGENT, "Ana")))
    customer.send(Hello(Role.CUSTOMER, "Maria"))
    assert drain(customer) == [Hello(Role.AGENT, "Ana", update_format=UPDATE_FORMAT)]
    with pytest.raises(LocalProtocolError, match=f"speaks update format {UPDATE_FORMAT}"):
        SessionConnection(Role.AGENT).send(Hello(Role.AGENT, "Ana", update_format=1))


def customer_in_state(
    window: int, small_window: int, in_flight: list[tuple[int, bool]], max_update: int
) -> SessionConnection:
    conn = SessionConnection(
        Role.CUSTOMER, window=window, small_window=small_window, max_update=max_update
    )
    conn.our_state = conn.their_state = State.ACTIVE
    for seq, large in in_flight:  # (what earlier sends left: its own books, as they allow)
        conn._in_flight.book(seq, large)
    return conn


@given(
    size=st.integers(0, SMALL_UPDATE + 2),
    seq=st.integers(0, 0xFFFFFFFF),
    window=st.integers(1, 4),
    small_window=st.integers(1, 9),
    in_flight=st.lists(st.tuples(st.integers(0, 99), st.booleans()), max_size=10),
    max_update=st.integers(0, 2 * SMALL_UPDATE),
)
@settings(max_examples=300, deadline=None)
def test_a_small_updates_short_path_gives_the_general_paths_bytes_and_books(
    size: int,
    seq: int,
    window: int,
    small_window: int,
    in_flight: list[tuple[int, bool]],
    max_update: int,
) -> None:
    """``send`` takes a typed key's update by a short path: the same frame, the same
    credits after it, and the same refusal when no credit is left or it is too big.
    ``small_update`` (the transport's) gives that frame too, or None and no change."""
    short = customer_in_state(window, small_window, in_flight, max_update)
    general = customer_in_state(window, small_window, in_flight, max_update)
    event = ScreenUpdate(seq, bytes(range(256)) * (size // 256) + bytes(size % 256))
    direct = customer_in_state(window, small_window, in_flight, max_update)
    booked = general._in_flight.entries()
    framed = direct.small_update(seq, event.data)
    if framed is None:
        assert direct._in_flight.entries() == booked
    had_credit = general.credits > 0
    try:
        expected = general._pack_update(event) if had_credit else None
    except LocalProtocolError:
        expected = None
    if expected is None:
        with pytest.raises(LocalProtocolError):
            short.send(event)
        return
    assert general._in_flight.book(seq, size > SMALL_UPDATE)
    assert short.send(event) == expected
    assert short._in_flight.entries() == general._in_flight.entries()
    if framed is not None:
        assert framed == expected
        assert direct._in_flight.entries() == general._in_flight.entries()
    assert short.credits == general.credits
    assert short.our_state is State.ACTIVE


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER])
@pytest.mark.parametrize("state", [State.HANDSHAKE, State.CLOSED])
def test_the_short_path_refuses_what_the_general_one_does(role: Role, state: State) -> None:
    """An update before Hello, after Bye, or from the agent: refused either way."""
    conn = SessionConnection(role)
    conn.our_state = state
    with pytest.raises(LocalProtocolError, match="cannot send ScreenUpdate"):
        conn.send(ScreenUpdate(0, b"k"))
    assert not len(conn._in_flight)


def test_text_that_is_not_unicode_goes_out_readable(pipes: tuple[Pipe, Pipe]) -> None:
    """A lone surrogate (a broken clipboard, a reason quoting one) goes out as ``?``, and
    a Bye reason cut at its limit is cut between characters: the peer always reads it."""
    to_agent, to_customer = pipes
    customer, agent = handshake(pipes)
    to_customer.write(agent.send(Text("a\udc80b")) + agent.send(Clipboard("\ud800x")))
    assert deliver(to_customer, customer) == [Text("a?b"), Clipboard("?x")]
    long = "x" + "ç" * 600  # (1201 bytes: the 1024-byte cut falls inside a "ç")
    to_agent.write(customer.send(Bye(long + "\udc80")))
    (bye,) = deliver(to_agent, agent)
    assert isinstance(bye, Bye)
    assert bye.reason == long[:512]  # (1 + 511 x 2 = 1023 bytes: whole characters)
