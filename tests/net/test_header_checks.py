"""Each frame is judged from its 5-byte header, before its payload is buffered: a header
announcing 1 MiB of PING (limit 8), of KEYFRAME_REQUEST (limit 0), of an unknown type or
of what this peer may not send is refused at its last byte (it returned NEED_DATA and
waited for the megabyte, then refused it at the megabyte's last byte).  Valid streams
still decode whole, byte by byte and with trailing data (``test_session_parsers.py``,
``test_message_bounds.py``); here the frame reader on its own."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.errors import RemoteProtocolError
from remoteapp.net.messages import MAX_PAYLOAD
from remoteapp.net.session import (
    Bye,
    ConnectionClosed,
    KeyFrameRequest,
    Msg,
    Ping,
    SessionConnection,
)
from remoteapp.net.session_state import Role
from remotewire.errors import OversizeFrame
from remotewire.framing import HEADER, HEADER_SIZE, NEED_DATA, Frame, FrameReader, pack_frame
from tests.net.session_peers import HELLO, drain, peer_sends

MIB = 1 << 20


def after_hello() -> SessionConnection:
    """A customer that has the agent's Hello (the agent may send input from now on)."""
    conn = peer_sends(HELLO)
    assert len(drain(conn)) == 1
    return conn


@pytest.mark.parametrize(
    ("frame_type", "length", "error", "message"),
    [
        (Msg.PING, MIB, OversizeFrame, "PING of 1048576 bytes is over its limit of 8"),
        (Msg.PING, MAX_PAYLOAD[Msg.PING] + 1, OversizeFrame, "PING of 9 bytes"),
        (Msg.KEYFRAME_REQUEST, MIB, OversizeFrame, "KEYFRAME_REQUEST of 1048576 bytes"),
        (Msg.KEYFRAME_REQUEST, 1, OversizeFrame, "over its limit of 0"),
        (200, MIB, RemoteProtocolError, "unknown message type 200"),
        (200, 0, RemoteProtocolError, "unknown message type 200"),
        (Msg.CLIPBOARD, MIB + 1, OversizeFrame, "1048577 bytes"),
        (Msg.SCREEN_INFO, 100, RemoteProtocolError, "agent may not send ScreenInfo"),
        (Msg.UPDATE_CHUNK, 5 + 1000, RemoteProtocolError, "agent may not send ScreenUpdate"),
        (Msg.HELLO, 100, RemoteProtocolError, "agent may not send Hello in state active"),
    ],
)
def test_a_header_is_refused_at_its_last_byte(
    frame_type: int, length: int, error: type[RemoteProtocolError], message: str
) -> None:
    conn = after_hello()
    header = HEADER.pack(length, frame_type)
    for byte in header[:-1]:
        conn.receive_data(bytes([byte]))
        assert conn.next_event() is NEED_DATA
    conn.receive_data(header[-1:])
    with pytest.raises(error, match=message):
        conn.next_event()
    assert conn._reader.buffered == HEADER_SIZE  # the header, nothing of its payload


@pytest.mark.parametrize("frame_type", [Msg.PING, Msg.KEYFRAME_REQUEST, 200])
def test_a_header_is_refused_whatever_of_its_payload_came_with_it(frame_type: int) -> None:
    conn = after_hello()
    conn.receive_data(HEADER.pack(MIB, frame_type) + bytes(100))
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


def test_before_hello_only_hello_or_bye_may_come() -> None:
    customer = SessionConnection(Role.CUSTOMER)
    customer.receive_data(HEADER.pack(8, Msg.PING))
    with pytest.raises(RemoteProtocolError, match="agent may not send Ping in state handshake"):
        customer.next_event()


def test_after_bye_a_header_is_refused_at_once() -> None:
    conn = peer_sends(HELLO, pack_frame(Msg.BYE, b"done"))
    assert drain(conn)[-1] == Bye("done")
    conn.receive_data(HEADER.pack(8, Msg.PING))
    with pytest.raises(RemoteProtocolError, match="after Bye"):
        conn.next_event()


def test_frames_at_their_limits_still_pass() -> None:
    conn = peer_sends(
        HELLO,
        pack_frame(Msg.KEYFRAME_REQUEST, b""),
        pack_frame(Msg.PING, (7).to_bytes(8, "big")),
    )
    assert drain(conn)[1:] == [KeyFrameRequest(), Ping(7)]


def test_a_frame_cut_short_in_its_payload_is_not_a_clean_end() -> None:
    """Its header counts as buffered: the stream ended inside a frame."""
    conn = after_hello()
    conn.receive_data(HEADER.pack(8, Msg.PING))
    assert conn.next_event() is NEED_DATA
    conn.receive_data(b"")
    assert conn.next_event() == ConnectionClosed(False, "connection lost")


# -- the reader on its own: frames whole, byte by byte, with trailing data


def no_check(frame_type: int, length: int) -> None:
    pass


FRAMES = st.lists(st.builds(Frame, st.integers(0, 255), st.binary(max_size=40)), max_size=6)


@given(FRAMES)
@settings(max_examples=200, deadline=None)
def test_the_reader_gives_back_each_frame_whole_byte_by_byte_and_with_trailing_data(
    frames: list[Frame],
) -> None:
    data = b"".join(pack_frame(f.type, f.payload) for f in frames)
    whole = FrameReader(check=no_check)
    whole.receive_data(data + b"\x00\x00")  # (trailing: a header's first bytes)
    got: list[Frame] = []
    while (frame := whole.next_frame()) is not NEED_DATA:
        got.append(frame)
    assert got == frames and whole.buffered == 2
    bytewise, got = FrameReader(check=no_check), list[Frame]()
    for i in range(len(data)):
        bytewise.receive_data(data[i : i + 1])
        while (frame := bytewise.next_frame()) is not NEED_DATA:
            got.append(frame)
    assert got == frames and bytewise.buffered == 0


def test_the_reader_checks_each_header_once_and_before_its_payload() -> None:
    seen: list[tuple[int, int]] = []

    def check(frame_type: int, length: int) -> None:
        seen.append((frame_type, length))

    reader = FrameReader(check=check)
    reader.receive_data(HEADER.pack(3, 9))
    assert reader.next_frame() is NEED_DATA and reader.next_frame() is NEED_DATA
    assert seen == [(9, 3)]
    reader.receive_data(b"abc")
    assert reader.next_frame() == Frame(9, b"abc") and seen == [(9, 3)]
