"""The RECORD stream's framing as bytes: whole, byte by byte and with trailing data, both
byte orders, the element headers, big requests, and every malformed reply refused (the
live stream is in test_record_stream.py, against a real Xvfb)."""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remoteapp.capture.x11_record import (
    CLIENT_DIED,
    CLIENT_STARTED,
    END_OF_DATA,
    FROM_CLIENT,
    FROM_CLIENT_SEQUENCE,
    FROM_CLIENT_TIME,
    FROM_SERVER,
    FROM_SERVER_TIME,
    START_OF_DATA,
    ClientDied,
    ClientStarted,
    CopyArea,
    Delivered,
    Ended,
    RecordEvent,
    RecordReader,
    Request,
    Started,
)
from remoteapp.capture.x11_wire import MAX_PACKET, XRequestError, XWireError

NATIVE = "<" if sys.byteorder == "little" else ">"
OTHER = ">" if NATIVE == "<" else "<"
PAINTER = 0x600000


def reply(category: int, body: bytes = b"", *, flags: int = 0, swapped: bool = False,
          client: int = PAINTER) -> bytes:  # fmt: skip
    """An EnableContext reply, its header in the recording client's (native) order."""
    assert len(body) % 4 == 0
    head = struct.pack(
        "=BBHIBBxxIII8x", 1, category, 7, len(body) // 4, flags, swapped, client, 1234, 9
    )
    return head + body


def request(major: int, minor: int, payload: bytes, order: str = NATIVE) -> bytes:
    assert len(payload) % 4 == 0
    return struct.pack(order + "BBH", major, minor, 1 + len(payload) // 4) + payload


def big_request(major: int, payload: bytes, order: str = NATIVE) -> bytes:
    return struct.pack(order + "BBHI", major, 0, 0, 2 + len(payload) // 4) + payload


def copy_area(order: str = NATIVE, src_y: int = 13, dst_y: int = -2) -> bytes:
    return struct.pack(
        order + "BBHIIIhhhhHH", 62, 0, 7, 0x600000, 0x600000, 0x600001, 0, src_y, 0, dst_y, 300, 187
    )


def sequenced(*elements: tuple[int, bytes]) -> bytes:
    """Elements each after its sequence number, in the recording client's (native) order
    whatever the elements' own."""
    return b"".join(struct.pack(NATIVE + "I", seq) + element for seq, element in elements)


def event(code: int) -> bytes:
    return bytes([code, 0]) + struct.pack("=H", 5) + bytes(28)


COPY = CopyArea(PAINTER, 25, 0x600000, 0x600000, 0x600001, 0, 13, 0, -2, 300, 187)
CHANGE_GC = request(56, 0, struct.pack("=III", 0x600001, 4, 0xF0F0F0))
#: a generic event as recorded: its first 32 bytes, whatever its length says
GENERIC = struct.pack("=BBHIH", 35, 131, 31, 26, 17) + bytes(22)
ERROR = bytes([0, 13]) + struct.pack("=HI", 25, 0x600099) + bytes(24)

STREAM = [
    reply(START_OF_DATA, client=0),
    reply(CLIENT_STARTED, b"\x01" * 8),
    reply(FROM_CLIENT, sequenced((25, copy_area()), (26, CHANGE_GC)), flags=FROM_CLIENT_SEQUENCE),
    reply(FROM_SERVER, event(12) + GENERIC + ERROR),
    reply(CLIENT_DIED),
    reply(END_OF_DATA, client=0),
]
EVENTS: list[RecordEvent] = [
    Started(),
    ClientStarted(PAINTER),
    COPY,
    Request(PAINTER, 26, 56, 0, CHANGE_GC, NATIVE),
    Delivered(PAINTER, event(12), NATIVE),
    Delivered(PAINTER, GENERIC, NATIVE),
    Delivered(PAINTER, ERROR, NATIVE),
    ClientDied(PAINTER),
    Ended(),
]


Drain = Callable[[RecordReader], list[RecordEvent]]


def _one_by_one(reader: RecordReader) -> list[RecordEvent]:
    out = []
    while (e := reader.next_event()) is not None:
        out.append(e)
    return out


@pytest.fixture(scope="module", params=["next_event", "next_events"])
def drain(request: pytest.FixtureRequest) -> Drain:
    """Every test that frames a stream frames it both ways: event by event, and all the
    events whole replies hold at once (the stream's reader)."""
    return _one_by_one if request.param == "next_event" else RecordReader.next_events


def test_a_stream_framed_whole(drain: Drain) -> None:
    reader = RecordReader(b"".join(STREAM))
    assert drain(reader) == EVENTS
    assert reader.ended and reader.buffered == 0


def test_a_stream_framed_byte_by_byte(drain: Drain) -> None:
    reader, out = RecordReader(), []
    for byte in b"".join(STREAM):
        reader.receive_data(bytes([byte]))
        out += drain(reader)
    assert out == EVENTS


def test_a_partial_reply_waits_for_the_rest(drain: Drain) -> None:
    data = b"".join(STREAM[:3])
    reader = RecordReader(data[:-1])
    assert drain(reader) == EVENTS[:2]
    assert reader.buffered == len(STREAM[2]) - 1 and not reader.ended
    reader.receive_data(data[-1:])
    assert drain(reader) == EVENTS[2:4]


def test_a_client_of_the_other_byte_order(drain: Drain) -> None:
    change = request(56, 0, struct.pack(OTHER + "III", 0x600001, 4, 7), OTHER)
    body = sequenced((25, copy_area(OTHER)), (26, change))
    reader = RecordReader(reply(FROM_CLIENT, body, flags=FROM_CLIENT_SEQUENCE, swapped=True))
    assert drain(reader) == [COPY, Request(PAINTER, 26, 56, 0, change, OTHER)]


def test_times_are_skipped_and_sequences_read(drain: Drain) -> None:
    time_then_sequence = struct.pack("=II", 777, 25) + copy_area()
    reader = RecordReader(
        reply(FROM_CLIENT, time_then_sequence, flags=FROM_CLIENT_TIME | FROM_CLIENT_SEQUENCE)
    )
    assert drain(reader) == [COPY]
    reader.receive_data(
        reply(FROM_CLIENT, struct.pack("=I", 777) + CHANGE_GC, flags=FROM_CLIENT_TIME)
    )
    assert drain(reader) == [Request(PAINTER, -1, 56, 0, CHANGE_GC, NATIVE)]
    reader.receive_data(reply(FROM_SERVER, struct.pack("=I", 888) + ERROR, flags=FROM_SERVER_TIME))
    assert drain(reader) == [Delivered(PAINTER, ERROR, NATIVE)]


def unbig(request: bytes) -> bytes:
    """A big request as the server reads it: without its extended length."""
    return request[:4] + request[8:]


def test_a_big_request_is_framed_by_its_extended_length_and_read_without_it(drain: Drain) -> None:
    big = big_request(72, b"\xee" * 4096)
    reader = RecordReader(reply(FROM_CLIENT, big + copy_area()))
    copy = CopyArea(PAINTER, -1, 0x600000, 0x600000, 0x600001, 0, 13, 0, -2, 300, 187)
    assert drain(reader) == [Request(PAINTER, -1, 72, 0, unbig(big), NATIVE), copy]


def test_a_copy_area_sent_as_a_big_request_is_a_copy_area(drain: Drain) -> None:
    """(The server takes the extended length out and runs it; helper-68's review: a GC
    request in that form had been read with its fields four bytes off.)"""
    big = big_request(62, copy_area()[4:])
    copy = CopyArea(PAINTER, -1, 0x600000, 0x600000, 0x600001, 0, 13, 0, -2, 300, 187)
    assert len(big) == 32 and drain(RecordReader(reply(FROM_CLIENT, big))) == [copy]
    short = big_request(62, copy_area()[8:])  # (a field short: the server refuses it)
    assert drain(RecordReader(reply(FROM_CLIENT, short))) == [
        Request(PAINTER, -1, 62, 0, unbig(short), NATIVE)
    ]


def test_a_copy_area_of_the_wrong_length_is_a_plain_request(drain: Drain) -> None:
    """The server refuses it (BadLength) after RECORD saw it: nothing to trust."""
    short = request(62, 0, copy_area()[4:24])
    assert drain(RecordReader(reply(FROM_CLIENT, short))) == [
        Request(PAINTER, -1, 62, 0, short, NATIVE)
    ]


MALFORMED = [
    pytest.param(
        reply(FROM_CLIENT, struct.pack("=BBH", 56, 0, 9) + bytes(8)), XWireError, id="past-end"
    ),
    pytest.param(
        reply(FROM_CLIENT, big_request(72, b"")[:4] + struct.pack("=I", 1)),
        XWireError,
        id="big-short",
    ),
    pytest.param(reply(FROM_CLIENT, b"\x38\0\0\0"), XWireError, id="big-no-length"),
    pytest.param(
        reply(FROM_CLIENT, struct.pack("=I", 5), flags=FROM_CLIENT_SEQUENCE),
        XWireError,
        id="lone-sequence",
    ),
    pytest.param(reply(FROM_SERVER, bytes(36)), XWireError, id="event-past-end"),
    pytest.param(reply(FROM_SERVER, bytes(28)), XWireError, id="short-event"),
    pytest.param(reply(6), XWireError, id="unknown-category"),
    pytest.param(ERROR, XRequestError, id="our-error"),
    pytest.param(
        struct.pack("=BBHI", 1, 1, 0, MAX_PACKET // 4) + bytes(24), XWireError, id="oversize"
    ),
]


@pytest.mark.parametrize(("packet", "error"), MALFORMED)
def test_a_malformed_reply_is_refused_before_any_of_its_events(
    packet: bytes, error: type[Exception]
) -> None:
    reader = RecordReader(STREAM[0] + packet)
    assert reader.next_event() == Started()
    with pytest.raises(error):
        reader.next_event()


@pytest.mark.parametrize(("packet", "error"), MALFORMED)
def test_a_malformed_reply_fails_the_whole_call_of_next_events(
    packet: bytes, error: type[Exception]
) -> None:
    """All or the error: the good replies before a bad one are not handed out with it."""
    reader = RecordReader(b"".join(STREAM[:3]) + packet)
    with pytest.raises(error):
        reader.next_events()
    assert not reader.ended
    # (an oversize packet consumes nothing, as next_packet; a bad reply is consumed with
    # the replies around it: the stream is over)
    oversize = struct.unpack_from("=I", packet, 4)[0] == MAX_PACKET // 4
    assert reader.buffered == (len(b"".join(STREAM[:3])) + 32 if oversize else 0)


def test_next_events_hands_out_what_next_event_left_first() -> None:
    """A reply of two requests read one event in: the other, then the rest, in order."""
    reader = RecordReader(b"".join(STREAM))
    first = [reader.next_event() for _ in range(3)]
    assert first + reader.next_events() == EVENTS and reader.next_events() == []
    assert reader.ended and reader.buffered == 0


def test_an_error_for_the_record_connection_carries_its_code() -> None:
    with pytest.raises(XRequestError) as raised:
        RecordReader(ERROR).next_event()
    assert raised.value.code == 13


REQUESTS = st.lists(
    st.tuples(
        st.integers(0, 255),
        st.integers(0, 255),
        st.binary(max_size=48).map(lambda b: b.ljust(-(-len(b) // 4) * 4, b"\0")),
        st.booleans(),
    ),
    max_size=12,
)


@given(requests=REQUESTS, swapped=st.booleans(), cuts=st.lists(st.integers(0, 400), max_size=6))
def test_requests_round_trip_in_any_order_and_split(
    drain: Drain, requests: list[tuple[int, int, bytes, bool]], swapped: bool, cuts: list[int]
) -> None:
    order = OTHER if swapped else NATIVE
    packed = [
        big_request(major, payload, order) if big else request(major, minor, payload, order)
        for major, minor, payload, big in requests
    ]
    body = sequenced(*enumerate(packed, 100))
    data = reply(FROM_CLIENT, body, flags=FROM_CLIENT_SEQUENCE, swapped=swapped)
    reader, out, at = RecordReader(), [], 0
    for cut in [*sorted(cuts), len(data)]:
        reader.receive_data(data[at : max(at, cut)])
        at = max(at, cut)
        out += drain(reader)
    read = [
        unbig(element) if big else element
        for element, (*_, big) in zip(packed, requests, strict=True)
    ]
    expected = [
        CopyArea(PAINTER, seq, *struct.unpack_from(order + "4xIIIhhhhHH", element))
        if element[0] == 62 and len(element) == 28
        else Request(PAINTER, seq, element[0], element[1], element, order)
        for seq, element in enumerate(read, 100)
    ]
    assert out == expected and reader.buffered == 0


def test_a_skipped_event_is_never_taken_for_the_end_of_data(drain: Drain) -> None:
    """MappingNotify with a detail of 5 (EndOfData's category, at the same byte)."""
    reader = RecordReader(STREAM[0] + struct.pack("=BBH", 34, 5, 7) + bytes(28))
    assert drain(reader) == [Started()] and not reader.ended and reader.buffered == 0


def test_an_event_every_client_gets_is_skipped(drain: Drain) -> None:
    """The server sends MappingNotify (34) to every client, the data connection too
    (a keyboard remapped by the agent's typing): skipped, the stream framed on."""
    mapping = struct.pack("=BxH", 34, 7) + bytes(28)
    reader = RecordReader(STREAM[0] + mapping + b"".join(STREAM[1:]))
    assert drain(reader) == EVENTS
