"""Session protocol parsers: fed whole, byte by byte and with trailing data (hypothesis
round trips); what a peer may not send, malformed chunks, oversize frames and random
bytes only raise protocol errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.errors import RemoteProtocolError
from remoteapp.net.messages import HELD_ACKS, MAX_HELD_US
from remoteapp.net.session import (
    CHUNK,
    Clipboard,
    ConnectionClosed,
    Event,
    Hello,
    Key,
    Msg,
    Ping,
    PointerButton,
    PointerMove,
    ScreenUpdate,
    SessionConnection,
    SetQuality,
    Text,
    UpdateAck,
    Wheel,
)
from remoteapp.net.session_state import Role
from remotewire.errors import OversizeFrame
from remotewire.framing import pack_frame
from tests.net.session_peers import HELLO, drain, hello_frame, peer_sends

pytestmark = pytest.mark.usefixtures("each_books")  # (conftest: C and Python books)


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
        ((pack_frame(Msg.HELLO, b"[" * 4000),), "malformed HELLO"),
        ((HELLO, pack_frame(Msg.HELLO, b"[" * 4000)), "may not send Hello in state active"),
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
