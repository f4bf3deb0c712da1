"""The decoder never trusts its input: only RemoteProtocolError, bounded memory, and a
key frame always recovers."""

from __future__ import annotations

import contextlib
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec import ScreenDecoder, ScreenEncoder
from remoteapp.codec.update_format import (
    COPY_OP,
    CURSOR_OP,
    HEADER,
    MAGIC,
    MAX_BODY_OVERHEAD,
    OP_SIZE,
    PIXELS_OP,
    VERSION,
    OpKind,
)
from remoteapp.codec.zstd_stream import StreamCompressor
from remoteapp.errors import DecoderDesynchronized, MalformedUpdate, RemoteProtocolError
from tests.codec.frames import noise, texty


def session(n: int = 3) -> tuple[list[bytes], list[np.ndarray]]:
    enc = ScreenEncoder()
    frames = [texty(90, 130, 1)]
    for i in range(1, n):
        f = frames[-1].copy()
        f[10 * i : 10 * i + 30, 5 * i : 5 * i + 40] = noise(30, 40, i)
        frames.append(f)
    return [enc.encode(f, (3, 4)) for f in frames], frames


def header(
    width: int = 64,
    height: int = 64,
    ops: int = 0,
    body: int = 0,
    raw: int = 0,
    flags: int = 1,
    magic: bytes = MAGIC,
    version: int = VERSION,
    reserved: int = 0,
) -> bytes:
    return HEADER.pack(magic, version, flags, reserved, 0, width, height, ops, body, raw)


def pixels(codec: int, x: int, y: int, w: int, h: int, length: int | None = None) -> bytes:
    """A PIXELS op; its length is raw BGRA's unless given."""
    return PIXELS_OP.pack(OpKind.PIXELS, codec, x, y, w, h, w * h * 4 if length is None else length)


def test_every_truncation_is_refused_and_a_key_frame_recovers() -> None:
    updates, frames = session()
    for cut in range(len(updates[0])):
        dec = ScreenDecoder()
        with pytest.raises(MalformedUpdate):
            dec.decode(updates[0][:cut])
    dec = ScreenDecoder()
    dec.decode(updates[0])
    with pytest.raises(MalformedUpdate):
        dec.decode(updates[1][:-1])
    with pytest.raises(DecoderDesynchronized):
        dec.decode(updates[2])  # a block of the stream was lost: only a key frame helps
    enc = ScreenEncoder()
    dec.decode(enc.encode(frames[2]))
    assert np.array_equal(dec.framebuffer, frames[2])


def test_trailing_bytes_are_refused() -> None:
    updates, _ = session(1)
    with pytest.raises(MalformedUpdate, match="header says"):
        ScreenDecoder().decode(updates[0] + b"\0")


def test_delta_before_any_key_frame_is_refused() -> None:
    updates, _ = session(2)
    with pytest.raises(DecoderDesynchronized):
        ScreenDecoder().decode(updates[1])


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_random_bytes_only_raise_protocol_errors(data: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        ScreenDecoder().decode(data)


@given(st.binary(max_size=200))
@settings(max_examples=200, deadline=None)
def test_random_bytes_behind_a_valid_header_only_raise_protocol_errors(data: bytes) -> None:
    ops = len(data) // OP_SIZE
    crafted = header(ops=ops, body=len(data) - ops * OP_SIZE, raw=64) + data
    with pytest.raises(RemoteProtocolError):
        ScreenDecoder().decode(crafted)


_UPDATES, _FRAMES = session(3)


@given(st.integers(0, 2), st.data())
@settings(max_examples=300, deadline=None)
def test_bit_flips_decode_or_raise_protocol_errors(which: int, data: st.DataObject) -> None:
    update = bytearray(_UPDATES[which])
    pos = data.draw(st.integers(0, len(update) - 1))
    update[pos] ^= 1 << data.draw(st.integers(0, 7))
    dec = ScreenDecoder()
    for good in _UPDATES[:which]:
        dec.decode(good)
    # refusing is right; decoding different pixels is also acceptable (no checksum)
    with contextlib.suppress(RemoteProtocolError):
        dec.decode(bytes(update))


def test_every_single_bit_flip_of_a_key_frame() -> None:
    """Exhaustive over one update: hypothesis found that a flipped 'last block' bit made
    zstd raise EOFError on the next call, which escaped as a non-protocol error."""
    update = _UPDATES[0]
    for pos in range(len(update)):
        for bit in range(8):
            flipped = bytearray(update)
            flipped[pos] ^= 1 << bit
            dec = ScreenDecoder()
            with contextlib.suppress(RemoteProtocolError):
                dec.decode(bytes(flipped))
            with contextlib.suppress(RemoteProtocolError):
                dec.decode(_UPDATES[1])  # the next update must also fail cleanly or apply


@pytest.mark.parametrize(
    ("crafted", "message"),
    [
        (header(magic=b"XXXX"), "bad magic"),
        (header(version=9), "version 9"),
        (header(version=1), "version 1 is not supported \\(this remoteapp reads 2\\)"),
        (header(flags=0x80), "unknown header flags"),
        (header(reserved=1), "reserved bits"),
        (header(width=0), "out of range"),
        (header(width=20000), "out of range"),
        (header(ops=1), "header says"),
        (header(ops=1) + pixels(0, 60, 60, 10, 10), "outside the frame"),
        (header(ops=1) + pixels(0, 0, 0, 0, 10), "outside the frame"),
        (header(ops=1, raw=4) + pixels(9, 0, 0, 1, 1), "pixel codec 9 is unknown"),
        (header(ops=1, raw=15) + pixels(0, 0, 0, 2, 2, 15), "raw-bgra payload of 15 bytes"),
        (header(ops=1, raw=17) + pixels(0, 0, 0, 2, 2, 17), "allowed 16..16"),
        (header(ops=1) + COPY_OP.pack(OpKind.COPY, 1, 0, 0, 0, 0, 10, 10), "copy with argument"),
        (header(ops=1) + CURSOR_OP.pack(OpKind.CURSOR, 2, 0, 0, bytes(8)), "unknown bits"),
        (header(ops=1) + CURSOR_OP.pack(OpKind.CURSOR, 1, 0, 0, b"\x01" * 8), "unknown bits"),
        (header(ops=1) + COPY_OP.pack(OpKind.COPY, 0, 60, 0, 0, 0, 10, 10), "source"),
        (header(ops=1) + COPY_OP.pack(OpKind.COPY, 0, 0, 0, 60, 0, 10, 10), "target"),
        (header(ops=1) + COPY_OP.pack(77, 0, 0, 0, 0, 0, 0, 0), "unknown kind"),
        (header(ops=1, raw=4) + pixels(0, 0, 0, 2, 2), "need 16 bytes"),
        (header(raw=64 * 64 * 4 + MAX_BODY_OVERHEAD + 1), "exceeds the frame"),
    ],
)
def test_crafted_updates_are_refused_with_a_reason(crafted: bytes, message: str) -> None:
    with pytest.raises(MalformedUpdate, match=message):
        ScreenDecoder().decode(crafted)


def test_oversize_frame_is_refused_before_allocating() -> None:
    crafted = header(width=16384, height=16384, ops=1, raw=4) + pixels(0, 0, 0, 1, 1)
    tracemalloc.start()
    try:
        with pytest.raises(MalformedUpdate, match="pixel limit"):
            ScreenDecoder().decode(crafted)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_decompression_bomb_is_cut_at_the_declared_size() -> None:
    """A tiny body that would inflate to 256 MB stops at the 16 KB the header allows."""
    bomb = StreamCompressor().compress([bytes(256 * 1024 * 1024)])
    assert len(bomb) < 100_000
    ops = pixels(0, 0, 0, 64, 64)
    crafted = header(ops=1, body=len(bomb), raw=64 * 64 * 4) + ops + bomb
    tracemalloc.start()
    try:
        with pytest.raises(MalformedUpdate, match="more than"):
            ScreenDecoder().decode(crafted)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


def test_short_body_is_refused() -> None:
    body = StreamCompressor().compress([bytes(100)])
    ops = pixels(0, 0, 0, 64, 64)
    crafted = header(ops=1, body=len(body), raw=64 * 64 * 4) + ops + body
    with pytest.raises(MalformedUpdate, match="body holds 100 bytes"):
        ScreenDecoder().decode(crafted)


def test_garbage_body_is_refused() -> None:
    ops = pixels(0, 0, 0, 1, 1)
    crafted = header(ops=1, body=8, raw=4) + ops + struct.pack("<Q", 0xDEADBEEF)
    with pytest.raises(MalformedUpdate, match="does not decompress"):
        ScreenDecoder().decode(crafted)
