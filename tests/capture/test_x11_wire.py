"""The damage source's X11 packets as bytes: framing whole, byte by byte and with trailing
data, the event and reply layouts, and the requests it writes (the live round trips are
in test_damage.py, against a real Xvfb)."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remoteapp.capture import x11_wire
from remoteapp.capture.x11_wire import (
    CONFIGURE_NOTIFY,
    CREATE_NOTIFY,
    DESTROY_NOTIFY,
    GENERIC_EVENT,
    MAX_PACKET,
    PacketReader,
    WindowEvent,
    XRequestError,
    XWireError,
)


def event(code: int, body: bytes = b"") -> bytes:
    return (bytes([code, 0]) + struct.pack("=H", 7) + body).ljust(32, b"\0")


def reply(extra: bytes) -> bytes:
    assert len(extra) % 4 == 0
    return struct.pack("=BBHI", 1, 0, 9, len(extra) // 4).ljust(32, b"\0") + extra


def generic(extension: int, evtype: int, extra: bytes) -> bytes:
    head = struct.pack("=BBHIH", GENERIC_EVENT, extension, 3, len(extra) // 4, evtype)
    return head.ljust(32, b"\0") + extra


STREAM = [
    event(CONFIGURE_NOTIFY, struct.pack("=IIIhhHHH", 1, 0x400001, 0, -5, 6, 100, 50, 2)),
    reply(b"\x01\x02\x03\x04" * 6),
    generic(131, 17, b"\xaa" * 40),
    event(DESTROY_NOTIFY, struct.pack("=II", 1, 0x400001)),
    event(0, b""),  # an error packet is 32 bytes too
]


Drain = Callable[[PacketReader], list[bytes]]


def _one_by_one(reader: PacketReader) -> list[bytes]:
    out = []
    while (packet := reader.next_packet()) is not None:
        out.append(packet)
    return out


@pytest.fixture(params=["next_packet", "next_packets"])
def drain(request: pytest.FixtureRequest) -> Drain:
    """The framing tests run both ways: packet by packet, and all whole ones at once."""
    return _one_by_one if request.param == "next_packet" else PacketReader.next_packets


def test_packets_framed_whole(drain: Drain) -> None:
    reader = PacketReader()
    reader.receive_data(b"".join(STREAM))
    assert drain(reader) == STREAM and reader.buffered == 0


def test_packets_framed_byte_by_byte(drain: Drain) -> None:
    reader = PacketReader()
    got: list[bytes] = []
    for byte in b"".join(STREAM):
        reader.receive_data(bytes([byte]))
        got += drain(reader)
    assert got == STREAM


def test_trailing_partial_packet_waits_and_the_start_can_be_handed_over(drain: Drain) -> None:
    data = b"".join(STREAM)
    reader = PacketReader(data[:40])  # python-xlib's leftover bytes at the switch
    assert drain(reader) == [STREAM[0]] and reader.buffered == 8
    reader.receive_data(data[40:])
    assert drain(reader) == STREAM[1:]


def test_an_oversized_length_is_refused_not_buffered_for() -> None:
    reader = PacketReader()
    reader.receive_data(struct.pack("=BBHI", 1, 0, 1, MAX_PACKET // 4).ljust(32, b"\0"))
    with pytest.raises(XWireError, match="bytes"):
        reader.next_packet()


def test_an_oversized_length_after_good_packets_fails_next_packets_consuming_nothing() -> None:
    reader = PacketReader(b"".join(STREAM))
    reader.receive_data(struct.pack("=BBHI", 1, 0, 1, MAX_PACKET // 4).ljust(32, b"\0"))
    for _ in range(2):  # (as next_packet, it stays at the bad packet: every call fails)
        with pytest.raises(XWireError, match="bytes"):
            reader.next_packets()
        assert reader.buffered == len(b"".join(STREAM)) + 32


def test_window_events_decode_with_the_border_in_the_size() -> None:
    sent = bytes([STREAM[0][0] | 0x80]) + STREAM[0][1:]  # SendEvent's flag is ignored
    assert x11_wire.window_event(sent) == WindowEvent(CONFIGURE_NOTIFY, 0x400001, -5, 6, 104, 54)
    create = event(CREATE_NOTIFY, struct.pack("=IIhhHHH", 1, 0x400002, 10, -20, 30, 40, 1))
    assert x11_wire.window_event(create) == WindowEvent(CREATE_NOTIFY, 0x400002, 10, -20, 32, 42)
    assert x11_wire.window_event(STREAM[3]) == WindowEvent(DESTROY_NOTIFY, 0x400001)
    assert x11_wire.window_event(event(19)) is None  # MapNotify: not a move
    assert x11_wire.generic_kind(STREAM[2]) == (131, 17)


@given(st.lists(st.tuples(st.integers(-32768, 32767), st.integers(-32768, 32767),
                          st.integers(0, 65535), st.integers(0, 65535)), max_size=50))  # fmt: skip
def test_region_rectangles_round_trip(rects: list[tuple[int, int, int, int]]) -> None:
    body = b"".join(struct.pack("=hhHH", *r) for r in rects)
    got = x11_wire.region_rectangles(reply(body))
    assert got == rects


def test_a_truncated_region_reply_is_an_error() -> None:
    with pytest.raises(XWireError):
        x11_wire.region_rectangles(reply(b"\0" * 4))


def test_an_error_packet_names_the_request() -> None:
    packet = struct.pack("=BBHIHB", 0, 16, 5, 0x400003, 3, 143).ljust(32, b"\0")
    err = XRequestError(packet)
    assert (err.code, err.major, err.minor) == (16, 143, 3) and "143.3" in str(err)


def test_requests_carry_their_length_in_words() -> None:
    data = x11_wire.subtract_and_fetch(143, 138, 0x200001, 0x200002)
    subtract, fetch = data[:16], data[16:]
    assert struct.unpack("=BBHIII", subtract) == (143, 3, 4, 0x200001, 0, 0x200002)
    assert struct.unpack("=BBHI", fetch) == (138, 19, 2, 0x200002)
    assert struct.unpack("=BBH", x11_wire.sync_request()) == (43, 0, 1)


def test_shm_get_image_request_and_reply() -> None:
    data = x11_wire.shm_get_image(130, 0x2B3, -4, 7, 640, 64, 0x400001, 4096)
    assert len(data) == 32 and struct.unpack("=BBH", data[:4]) == (130, 4, 8)  # 8 words
    assert struct.unpack("=IhhHHIB3xII", data[4:]) == (
        0x2B3, -4, 7, 640, 64, 0xFFFFFFFF, 2, 0x400001, 4096
    )  # fmt: skip
    assert x11_wire.shm_image_depth(struct.pack("=BBHI", 1, 24, 5, 0).ljust(32, b"\0")) == 24
    with pytest.raises(XWireError):
        x11_wire.shm_image_depth(reply(b"\0" * 4))  # a reply with more than ShmGetImage's


_PACKETS = st.one_of(
    st.sampled_from([0, 2, 12, 34, 127]).map(lambda code: bytes([code]) + bytes(31)),
    st.tuples(st.sampled_from([1, 35]), st.integers(0, 4)).map(
        lambda kind: (
            struct.pack("=BBHI", kind[0], 0, 0, kind[1]).ljust(32, b"\0") + bytes(4 * kind[1])
        )
    ),
)


@given(
    packets=st.lists(_PACKETS, max_size=8),
    tail=st.integers(0, 43),
    cuts=st.lists(st.integers(0, 200), max_size=5),
    batches=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_next_packets_is_next_packet_until_none_for_any_split_and_any_mix(
    packets: list[bytes], tail: int, cuts: list[int], batches: list[bool]
) -> None:
    """Every split of the bytes, each read framed one way or the other: the same packets
    in order, the same bytes left (a partial header, a reply longer than what came)."""
    partial = struct.pack("=BBHI", 1, 0, 0, 3).ljust(32, b"\0") + bytes(12)  # (a reply)
    data = b"".join(packets) + partial[:tail]
    reader, out, at = PacketReader(), [], 0
    for cut, batch in zip([*sorted(cuts), len(data)], batches, strict=False):
        reader.receive_data(data[at : max(at, cut)])
        at = max(at, cut)
        out += reader.next_packets() if batch else _one_by_one(reader)
    reader.receive_data(data[at:])
    out += _one_by_one(reader)
    whole = PacketReader(data)
    assert out == _one_by_one(whole) and reader.buffered == whole.buffered
