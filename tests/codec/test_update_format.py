"""Update format v2: every op parsed whole, cut at every byte, and with trailing data;
pack/parse round trips over any valid op table; what the packer refuses to send."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec.geometry import Rect
from remoteapp.codec.update_format import (
    HEADER,
    MAX_DIMENSION,
    OP_SIZE,
    VERSION,
    CopyOp,
    CursorOp,
    Flag,
    Op,
    PixelsOp,
    UpdateHeader,
    body_of,
    pack_update,
    parse_header,
    parse_ops,
)
from remoteapp.errors import LocalProtocolError, MalformedUpdate

W, H = 300, 200


def update_of(ops: list[Op], body: bytes = b"", width: int = W, height: int = H) -> bytes:
    raw = sum(op.length for op in ops if isinstance(op, PixelsOp))
    header = UpdateHeader(Flag.KEY, 7, width, height, len(ops), len(body), raw)
    return pack_update(header, ops, body)


def parse(data: bytes) -> tuple[UpdateHeader, list[Op], bytes]:
    header = parse_header(data)
    return header, parse_ops(data, header), bytes(body_of(data, header))


ONE_OF_EACH: list[Op] = [
    CopyOp(0, 10, Rect(0, 0, 300, 190)),
    PixelsOp(Rect(0, 190, 300, 10), 0, 300 * 10 * 4),
    PixelsOp(Rect(5, 6, 7, 8), 201, 123_456),  # a codec this module knows nothing about
    CursorOp(-5, 70_000, visible=False),
]


@pytest.mark.parametrize("op", ONE_OF_EACH, ids=lambda op: type(op).__name__)
def test_each_op_whole_cut_at_every_byte_and_with_trailing_data(op: Op) -> None:
    data = update_of([op], b"zstd")
    assert len(data) == HEADER.size + OP_SIZE + 4
    header, ops, body = parse(data)
    expected = CursorOp(-5, 32767, visible=False) if isinstance(op, CursorOp) else op
    assert (header.seq, header.width, header.height, header.is_key) == (7, W, H, True)
    assert (ops, body) == ([expected], b"zstd")
    for cut in range(len(data)):
        with pytest.raises(MalformedUpdate):
            parse(data[:cut])
    for extra in (b"\0", b"trailing data"):
        with pytest.raises(MalformedUpdate, match="header says"):
            parse(data + extra)


def test_the_pixels_op_carries_its_codec_and_payload_length_at_fixed_offsets() -> None:
    """Byte layout of docs/protocol.md: a receiver finds each payload without the codec."""
    op = update_of([PixelsOp(Rect(1, 2, 3, 4), 201, 0x01020304)])[HEADER.size :]
    assert op == bytes([2, 201, 1, 0, 2, 0, 3, 0, 4, 0, 4, 3, 2, 1])
    copy = update_of([CopyOp(1, 2, Rect(3, 4, 5, 6))])[HEADER.size :]
    assert copy == bytes([1, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0])
    cursor = update_of([CursorOp(-1, 2)])[HEADER.size :]
    assert cursor == bytes([3, 1, 0xFF, 0x7F, 2, 0x80]) + bytes(8)
    head = update_of([])[: HEADER.size]
    assert head[:6] == b"RAUP" + bytes([VERSION, Flag.KEY])


rects = st.builds(
    lambda x, y, w, h: Rect(x, y, min(w, W - x), min(h, H - y)),
    st.integers(0, W - 1),
    st.integers(0, H - 1),
    st.integers(1, W),
    st.integers(1, H),
)
ops_strategy = st.lists(
    st.one_of(
        st.builds(
            lambda r, dx, dy: CopyOp(
                min(max(r.x + dx, 0), W - r.w), min(max(r.y + dy, 0), H - r.h), r
            ),
            rects,
            st.integers(-50, 50),
            st.integers(-50, 50),
        ),
        st.builds(PixelsOp, rects, st.integers(0, 255), st.integers(0, 2**20)),
        st.builds(CursorOp, st.integers(-32768, 32767), st.integers(-32768, 32767), st.booleans()),
    ),
    max_size=40,
)


@given(ops_strategy, st.binary(max_size=64), st.integers(0, 2**32 - 1), st.booleans())
@settings(max_examples=300, deadline=None)
def test_any_valid_update_round_trips(ops: list[Op], body: bytes, seq: int, key: bool) -> None:
    raw = sum(op.length for op in ops if isinstance(op, PixelsOp))
    if raw > W * H * 4:
        raw = 0
        ops = [op for op in ops if not isinstance(op, PixelsOp)]
    header = UpdateHeader(Flag.KEY if key else Flag(0), seq, W, H, len(ops), len(body), raw)
    data = pack_update(header, ops, body)
    assert parse(data) == (header, ops, body)


@given(st.integers(1, MAX_DIMENSION), st.integers(1, MAX_DIMENSION))
@settings(max_examples=50, deadline=None)
def test_any_frame_size_round_trips(width: int, height: int) -> None:
    op = PixelsOp(Rect(width - 1, height - 1, 1, 1), 0, 4)
    header, ops, _ = parse(update_of([op], width=width, height=height))
    assert (header.width, header.height, ops) == (width, height, [op])


@pytest.mark.parametrize(
    ("header", "ops", "message"),
    [
        (UpdateHeader(Flag.KEY, 0, 0, 10, 0, 0, 0), [], "out of range"),
        (UpdateHeader(Flag.KEY, 0, 10, 10, 1, 0, 0), [], "disagrees"),
        (UpdateHeader(Flag.KEY, 0, 10, 10, 1, 0, 5), [PixelsOp(Rect(0, 0, 1, 1), 0, 4)], "raw"),
        (UpdateHeader(Flag.KEY, 0, 10, 10, 1, 0, 4), [PixelsOp(Rect(0, 0, 1, 1), 256, 4)], "pack"),
        (UpdateHeader(Flag.KEY, 0, 10, 10, 1, 0, 0), [CopyOp(-1, 0, Rect(0, 0, 1, 1))], "pack"),
    ],
)
def test_the_packer_refuses_what_a_receiver_would(
    header: UpdateHeader, ops: list[Op], message: str
) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        pack_update(header, ops, b"")
