"""Session protocol: the same contract over an in-memory pipe and over real TCP; parsers
fed whole, byte by byte and with trailing data; hostile bytes only raise protocol errors;
a peer with another screen update format (an older remoteapp) is refused with a reason."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec.update_format import VERSION as UPDATE_FORMAT
from remoteapp.errors import LocalProtocolError, RemoteProtocolError
from remoteapp.net.messages import HELD_ACKS, MAX_HELD_US, SMALL_UPDATE
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
    SetQuality,
    Text,
    UpdateAck,
    Wheel,
)
from remoteapp.net.session_state import Role, State
from remotewire.errors import OversizeFrame
from remotewire.framing import NEED_DATA, Frame, FrameReader, pack_frame

pytestmark = pytest.mark.usefixtures("each_books")  # (conftest: C and Python books)

# -- transports: a byte pipe each way


class MemoryPipe:
    """Bytes written on one end come out of the other, in order, in arbitrary pieces."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def write(self, data: bytes) -> None:
        self.buf += data

    def read(self) -> bytes:
        data, self.buf = bytes(self.buf), bytearray()
        return data

    def close(self) -> None:
        pass


class TcpPipe:
    """A real loopback TCP connection; reads wait (bounded) for what was written."""

    def __init__(self) -> None:
        with socket.create_server(("127.0.0.1", 0)) as server:
            self.out = socket.create_connection(server.getsockname(), timeout=10)
            self.inp, _ = server.accept()
        self.inp.settimeout(10)
        self.pending = 0

    def write(self, data: bytes) -> None:
        self.out.sendall(data)
        self.pending += len(data)

    def read(self) -> bytes:
        chunks = []
        while self.pending:
            chunk = self.inp.recv(min(self.pending, 1 << 16))
            if not chunk:
                break
            self.pending -= len(chunk)
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self.out.close()
        self.inp.close()


Pipe = MemoryPipe | TcpPipe


@pytest.fixture(params=["memory", "tcp"])
def pipes(request: pytest.FixtureRequest) -> Iterator[tuple[Pipe, Pipe]]:
    factory: Callable[[], Pipe] = MemoryPipe if request.param == "memory" else TcpPipe
    to_agent, to_customer = factory(), factory()
    yield to_agent, to_customer
    to_agent.close()
    to_customer.close()


def deliver(pipe: Pipe, conn: SessionConnection) -> list[Event | ConnectionClosed]:
    conn.receive_data(pipe.read())
    events: list[Event | ConnectionClosed] = []
    while (event := conn.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def handshake(pipes: tuple[Pipe, Pipe]) -> tuple[SessionConnection, SessionConnection]:
    to_agent, to_customer = pipes
    customer, agent = SessionConnection(Role.CUSTOMER), SessionConnection(Role.AGENT)
    to_agent.write(customer.send(Hello(Role.CUSTOMER, "Maria (ACME)")))
    to_customer.write(agent.send(Hello(Role.AGENT, "Ana", capabilities=("clipboard",))))
    assert deliver(to_agent, agent) == [Hello(Role.CUSTOMER, "Maria (ACME)")]
    assert deliver(to_customer, customer) == [Hello(Role.AGENT, "Ana", 1, ("clipboard",))]
    assert customer.our_state is customer.their_state is State.ACTIVE
    return customer, agent


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


# -- parsers: whole, byte by byte, with trailing data

EVENTS = st.one_of(
    st.builds(PointerMove, st.integers(-(2**31), 2**31 - 1), st.integers(-(2**31), 2**31 - 1)),
    st.builds(
        PointerButton,
        st.integers(0, 9999),
        st.integers(0, 9999),
        st.sampled_from(["left", "right", "middle", "back", "forward"]),
        st.booleans(),
    ),
    st.builds(
        Wheel,
        st.integers(0, 9999),
        st.integers(0, 9999),
        st.integers(-32768, 32767),
        st.integers(-32768, 32767),
    ),
    st.builds(
        Key,
        st.text(min_size=1, max_size=16),
        st.booleans(),
        st.frozensets(st.sampled_from(["shift", "ctrl", "alt", "meta", "altgr"])),
    ),
    st.builds(Text, st.text(max_size=200)),
    st.builds(Clipboard, st.text(max_size=2000)),
    st.builds(Ping, st.integers(0, 2**64 - 1)),
    st.builds(SetQuality, st.sampled_from(["auto", "quality", "speed"])),
    st.builds(UpdateAck, st.just(0), st.integers(0, MAX_HELD_US)),
)


def agent_stream(events: list[Event]) -> tuple[bytes, SessionConnection]:
    customer = SessionConnection(Role.CUSTOMER)
    to_agent = customer.send(Hello(Role.CUSTOMER, "Maria", capabilities=(HELD_ACKS,)))
    if any(isinstance(e, UpdateAck) for e in events):
        to_agent += customer.send(ScreenUpdate(0, b"u"))  # the one ack the strategy makes
    agent = SessionConnection(Role.AGENT)
    data = agent.send(Hello(Role.AGENT, "Ana"))
    agent.receive_data(to_agent)
    drain(agent)  # (the agent received that update: it may ack it)
    return data + b"".join(agent.send(e) for e in events), customer


def drain(conn: SessionConnection) -> list[Event | ConnectionClosed]:
    out = []
    while (event := conn.next_event()) is not NEED_DATA:
        out.append(event)
    return out


@given(st.lists(EVENTS, max_size=8, unique_by=lambda e: isinstance(e, UpdateAck)))
@settings(max_examples=150, deadline=None)
def test_round_trip_whole_and_byte_by_byte(events: list[Event]) -> None:
    data, whole = agent_stream(events)
    whole.receive_data(data)
    assert drain(whole)[1:] == events
    _, bytewise = agent_stream(events)
    got: list[Event | ConnectionClosed] = []
    for i in range(len(data)):
        bytewise.receive_data(data[i : i + 1])
        got += drain(bytewise)
    assert got[1:] == events


def test_trailing_partial_message_waits_for_the_rest() -> None:
    data, conn = agent_stream([PointerMove(1, 2), Text("abc")])
    conn.receive_data(data[:-2])
    assert drain(conn)[1:] == [PointerMove(1, 2)]
    conn.receive_data(data[-2:])
    assert drain(conn) == [Text("abc")]


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


def peer_sends(*frames: bytes) -> SessionConnection:
    customer = SessionConnection(Role.CUSTOMER)
    customer.send(Hello(Role.CUSTOMER, "Maria"))
    customer.receive_data(b"".join(frames))
    return customer


def hello_frame(**fields: object) -> bytes:
    body = {
        "version": 1,
        "role": "agent",
        "name": "Ana",
        "capabilities": [],
        "update_format": UPDATE_FORMAT,
        **fields,
    }
    return pack_frame(Msg.HELLO, json.dumps(body).encode())


HELLO = hello_frame()


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ((pack_frame(Msg.POINTER_MOVE, bytes(8)),), "may not send PointerMove in state handshake"),
        ((hello_frame(role="customer"),), "both sides claim to be customer"),
        ((hello_frame(role="robot"),), "malformed HELLO"),
        ((hello_frame(version=2),), "protocol 2"),
        ((hello_frame(capabilities=[1]),), "malformed HELLO"),
        ((hello_frame(update_format="2"),), "malformed HELLO"),
        ((hello_frame(update_format=3),), "the customer runs an older remoteapp"),
        ((pack_frame(Msg.HELLO, b"[1, 2]"),), "malformed HELLO"),
        ((pack_frame(Msg.HELLO, b"\xff"),), "malformed HELLO"),
        ((HELLO, pack_frame(Msg.UPDATE_ACK, bytes(4))), "not outstanding"),
        ((HELLO, pack_frame(99, b"")), "unknown message type 99"),
        ((HELLO, pack_frame(Msg.POINTER_MOVE, bytes(7))), "malformed POINTER_MOVE"),
        ((HELLO, pack_frame(Msg.POINTER_MOVE, bytes(9))), "over its limit"),
        ((HELLO, pack_frame(Msg.POINTER_BUTTON, bytes(8) + b"\x09\x01")), "malformed"),
        ((HELLO, pack_frame(Msg.KEY, b"\x01\x00\x00")), "malformed KEY"),
        ((HELLO, pack_frame(Msg.SET_QUALITY, b"\x03")), "malformed SET_QUALITY"),
        ((HELLO, pack_frame(Msg.SET_QUALITY, b"")), "malformed SET_QUALITY"),
        ((HELLO, pack_frame(Msg.SET_QUALITY, b"\x00\x00")), "over its limit"),
        ((HELLO, pack_frame(Msg.KEY, b"\x01\xff\xffa")), "malformed KEY"),
        (
            (
                HELLO,
                pack_frame(
                    Msg.SCREEN_INFO,
                    b'{"monitors":[{"index":1,"left":0,"top":0,"width":9,"height":9}],"active":0}',
                ),
            ),
            "agent may not send ScreenInfo",
        ),
        ((HELLO, pack_frame(Msg.BYE, b"x"), pack_frame(Msg.PING, bytes(8))), "after Bye"),
        ((HELLO, pack_frame(Msg.HELLO, b"[" * 4000)), "malformed HELLO"),
    ],
)
def test_peer_violations_are_remote_protocol_errors(
    frames: tuple[bytes, ...], message: str
) -> None:
    conn = peer_sends(*frames)
    with pytest.raises(RemoteProtocolError, match=message):
        drain(conn)


def test_update_chunks_are_checked() -> None:
    agent = SessionConnection(Role.AGENT, max_update=CHUNK + 10)
    agent.send(Hello(Role.AGENT, "Ana"))
    customer = SessionConnection(Role.CUSTOMER)
    stream = customer.send(Hello(Role.CUSTOMER, "Maria")) + customer.send(
        ScreenUpdate(0, bytes(2 * CHUNK))
    )
    agent.receive_data(stream)
    with pytest.raises(RemoteProtocolError, match="exceeds"):
        drain(agent)
    fresh = SessionConnection(Role.AGENT)
    fresh.send(Hello(Role.AGENT, "Ana"))
    hello = SessionConnection(Role.CUSTOMER).send(Hello(Role.CUSTOMER, "Maria"))
    not_first = pack_frame(Msg.UPDATE_CHUNK, b"\x00\x00\x00\x05\x02data")  # LAST only
    fresh.receive_data(hello + not_first)
    with pytest.raises(RemoteProtocolError, match="out of sequence"):
        drain(fresh)


def test_an_update_of_thousands_of_empty_chunks_is_one_event() -> None:
    """A record full of empty chunks (10 bytes each: some 26,000 in 256 KiB) is read in a
    loop, not one call deep per chunk (a RecursionError killed the reader thread)."""
    agent = SessionConnection(Role.AGENT)
    agent.send(Hello(Role.AGENT, "Ana"))
    hello = SessionConnection(Role.CUSTOMER).send(Hello(Role.CUSTOMER, "Maria"))
    first = pack_frame(Msg.UPDATE_CHUNK, b"\x00\x00\x00\x07\x01")
    empty = pack_frame(Msg.UPDATE_CHUNK, b"\x00\x00\x00\x07\x00")
    last = pack_frame(Msg.UPDATE_CHUNK, b"\x00\x00\x00\x07\x02tail")
    agent.receive_data(hello + first + empty * 30_000 + last)
    events = drain(agent)
    assert events[-1] == ScreenUpdate(7, b"tail") and len(events) == 2


@pytest.mark.parametrize("hello", [b"", HELLO], ids=["before-hello", "after-hello"])
def test_an_update_the_peer_may_not_send_is_refused_at_its_first_chunk(hello: bytes) -> None:
    """The agent sends no screen: its first chunk ends the session, before any of the
    127 MiB an update may hold is buffered."""
    conn = peer_sends(hello, pack_frame(Msg.UPDATE_CHUNK, b"\x00\x00\x00\x07\x01" + bytes(64)))
    with pytest.raises(RemoteProtocolError, match="agent may not send ScreenUpdate"):
        drain(conn)
    assert conn._assembly is None


def test_oversize_frame_is_refused_before_its_bytes_arrive() -> None:
    conn = peer_sends(HELLO)
    drain(conn)
    conn.receive_data((50_000_000).to_bytes(4, "big") + bytes([Msg.CLIPBOARD]))
    with pytest.raises(OversizeFrame):
        drain(conn)


@given(st.binary(max_size=400))
@settings(max_examples=300, deadline=None)
def test_random_bytes_only_raise_protocol_errors(junk: bytes) -> None:
    conn = peer_sends(HELLO, junk)
    try:
        drain(conn)
        conn.receive_data(b"")
        drain(conn)
    except RemoteProtocolError:
        pass


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
