"""The C stream (``_zstream.Stream``): its blocks decode with the viewer's decompressor,
in order and after a reset; ``pack_raw`` gives exactly the bytes of the Python
packing (ops, ``pack_update``) on the same stream, for any rectangles and cursor; hostile
arguments are refused and the stream goes on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec import update_format as uf
from remoteapp.codec import zstd_stream
from remoteapp.codec.geometry import Rect
from remoteapp.codec.zstd_stream import DEFAULT_LEVEL, WINDOW_LOG, StreamDecompressor
from tests.native import built

HEAD = 28  #: the update header (update_format.HEADER.size)


def stream() -> Any:
    return built(zstd_stream.native, "_zstream").Stream(DEFAULT_LEVEL, WINDOW_LOG)  # type: ignore[attr-defined]


def python_pack(s: Any, frame: np.ndarray, rects: list[Rect], cursor: Any, seq: int) -> bytes:
    """What the encoder's Python does: a PIXELS op per rectangle, the cursor, pack_update."""
    height, width = frame.shape[:2]
    ops: list[uf.Op] = []
    chunks = []
    for r in rects:
        block = np.ascontiguousarray(frame[r.y : r.bottom, r.x : r.right]).tobytes()
        chunks.append(block)
        ops.append(uf.PixelsOp(r, 0, len(block)))
    if cursor is not None:
        ops.append(uf.CursorOp(*cursor))
    body = s.compress(chunks)
    raw_len = sum(len(c) for c in chunks)
    header = uf.UpdateHeader(uf.Flag(0), seq, width, height, len(ops), len(body), raw_len)
    return uf.pack_update(header, ops, body)


@st.composite
def scenes(draw: st.DrawFn) -> tuple[np.ndarray, list[list[Rect]], list[Any]]:
    width, height = draw(st.integers(1, 90)), draw(st.integers(1, 70))
    seed = draw(st.integers(0, 2**32 - 1))
    frame = (np.random.default_rng(seed).integers(0, 4, (height, width, 4)) * 60).astype(np.uint8)
    rect = st.builds(
        lambda x, y, w, h: Rect(x, y, max(1, min(w, width - x)), max(1, min(h, height - y))),
        st.integers(0, width - 1),
        st.integers(0, height - 1),
        st.integers(1, width),
        st.integers(1, height),
    )
    updates = draw(st.lists(st.lists(rect, max_size=6), min_size=1, max_size=4))
    coord = st.integers(-(2**40), 2**40)
    cursors = draw(
        st.lists(st.none() | st.tuples(coord, coord), min_size=len(updates), max_size=len(updates))
    )
    return frame, updates, cursors


@settings(max_examples=60, deadline=None)
@given(scenes(), st.integers(0, 2**32 - 1))
def test_pack_raw_is_the_python_packing_byte_for_byte(
    scene: tuple[np.ndarray, list[list[Rect]], list[Any]], seq: int
) -> None:
    frame, updates, cursors = scene
    height, width = frame.shape[:2]
    c, py, viewer = stream(), stream(), StreamDecompressor()
    for rects, cursor in zip(updates, cursors, strict=True):
        update, body_len, raw_len = c.pack_raw(frame, width, height, rects, cursor, 0, seq)
        assert update == python_pack(py, frame, rects, cursor, seq)
        header = uf.parse_header(update)
        assert (header.body_len, header.raw_len, header.seq) == (body_len, raw_len, seq)
        raw = viewer.decompress(uf.body_of(update, header), header.raw_len)
        pos = 0
        for op in uf.parse_ops(update, header):
            if isinstance(op, uf.PixelsOp):
                r = op.rect
                got = np.frombuffer(raw[pos : pos + op.length], np.uint8).reshape(r.h, r.w, 4)
                assert np.array_equal(got, frame[r.y : r.bottom, r.x : r.right])
                pos += op.length


def test_blocks_decode_in_order_and_after_a_reset() -> None:
    s, viewer = stream(), StreamDecompressor()
    texts = [b"hello " * 50, b"hello " * 50 + b"world", b"", b"x" * 200_000]
    for text in texts:
        assert viewer.decompress(s.compress([text[:7], memoryview(text)[7:]]), len(text)) == text
    s.reset()
    viewer.reset()
    assert viewer.decompress(s.compress([b"again"]), 5) == b"again"


@dataclass
class Odd:
    x: Any
    y: Any
    w: Any = 1
    h: Any = 1


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((bytes(16), 2, 3, [], None, 0, 0), ValueError, "width x height"),
        ((bytes(0), 0, 0, [], None, 0, 0), ValueError, "width x height"),
        ((bytes(4 * 16385), 16385, 1, [], None, 0, 0), ValueError, "width x height"),
        ((bytes(16), 2, 2, [], None, 2, 0), ValueError, "flags"),
        ((bytes(16), 2, 2, [], None, 0, 2**32), ValueError, "seq"),
        ((bytes(16), 2, 2, [Rect(1, 1, 2, 1)], None, 0, 0), ValueError, "off the frame"),
        ((bytes(16), 2, 2, [Rect(0, 0, 0, 1)], None, 0, 0), ValueError, "empty"),
        ((bytes(16), 2, 2, [Odd(-1, 0)], None, 0, 0), ValueError, "off the frame"),
        ((bytes(16), 2, 2, [Odd(2**70, 0)], None, 0, 0), ValueError, "off the frame"),
        ((bytes(16), 2, 2, [Odd("0", 0)], None, 0, 0), ValueError, "not an int"),
        ((bytes(16), 2, 2, [], None, 2**32 + 1, 0), ValueError, "flags"),
        ((bytes(16), 2, 2, [], None, 0, 2**64 + 5), ValueError, "seq"),
        ((bytes(16), 2, 2, [], None, -1, 0), ValueError, "flags"),
        ((bytes(16), 2, 2, [object()], None, 0, 0), AttributeError, "x"),
        ((bytes(16), 2, 2, [], (1,), 0, 0), TypeError, "cursor"),
        ((bytes(16), 2, 2, [], ("a", 1), 0, 0), TypeError, "cursor"),
        ((bytes(16), 2, 2, [], 5, 0, 0), TypeError, "cursor"),
        ((bytes(16), 2, 2, [Rect(0, 0, 1, 1)] * 65535, (0, 0), 0, 0), ValueError, "limit"),
    ],
)
def test_hostile_arguments_are_refused_and_the_stream_goes_on(
    args: tuple[Any, ...], error: type[Exception], match: str
) -> None:
    s, viewer = stream(), StreamDecompressor()
    assert viewer.decompress(s.compress([b"before"]), 6) == b"before"
    with pytest.raises(error, match=match):
        s.pack_raw(*args)
    assert viewer.decompress(s.compress([b"after"]), 5) == b"after"


def test_an_uninitialised_or_twice_initialised_stream_is_refused() -> None:
    cls = type(stream())
    with pytest.raises(RuntimeError, match="__init__"):
        cls.__new__(cls).compress([b"x"])
    with pytest.raises(RuntimeError, match="once"):
        stream().__init__(1, 24)
    with pytest.raises(ValueError, match="level or window_log"):
        cls(1, 99)


def test_numpy_ints_and_a_cursor_list_pack_as_python_ints() -> None:
    frame = np.arange(8 * 6 * 4, dtype=np.uint8).reshape(6, 8, 4)
    a, b = stream(), stream()
    numpy_rect = Odd(np.int64(2), np.int32(1), np.uint16(3), np.int64(4))
    got = a.pack_raw(frame, 8, 6, [numpy_rect], [np.int64(-5), 7], 0, np.uint32(9))
    assert got == b.pack_raw(frame, 8, 6, [Rect(2, 1, 3, 4)], (-5, 7), 0, 9)


def test_the_level_and_window_reach_libzstd() -> None:
    """The frame header names the 16 MiB window (as backports.zstd's does), and another
    level compresses otherwise: the parameters are not ignored."""
    text = bytes(range(256)) * 64 + b"tail" * 1000
    ours = stream().compress([text])
    theirs = zstd_stream.StreamCompressor.__new__(zstd_stream.StreamCompressor)
    theirs.native = None
    theirs._options = {
        zstd_stream.zstd.CompressionParameter.compression_level: DEFAULT_LEVEL,
        zstd_stream.zstd.CompressionParameter.window_log: WINDOW_LOG,
    }
    theirs.reset()
    assert ours[:6] == theirs.compress([text])[:6]  # magic, frame header, window
    other = built(zstd_stream.native, "_zstream").Stream(19, WINDOW_LOG)  # type: ignore[attr-defined]
    assert other.compress([text]) != ours


@pytest.mark.parametrize("adopt", [False, True])
def test_the_encoders_two_paths_agree_on_changed_and_stats(
    adopt: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An update of raw rectangles through ``pack_raw`` and through the ops: the same
    update, ``changed``, stats and reference, frame after frame."""
    from remoteapp.codec import ScreenEncoder
    from tests.codec.test_encoder_exact import typing_frames

    built(zstd_stream.native, "_zstream")
    frames = [f.copy() for f in typing_frames(12)]
    runs = []
    for lane in ("c", "python"):
        if lane == "python":
            monkeypatch.setattr(zstd_stream, "native", None)
        enc, seen = ScreenEncoder(), []
        for i, frame in enumerate(frames):
            held = frame.copy()  # (adopting, the encoder keeps the frame itself)
            update = enc.encode(held, (i, i), adopt=adopt)
            stats = enc.last_stats
            assert stats is not None  # (the compressed sizes may differ by zstd version)
            stats = stats._replace(body_bytes=0, update_bytes=0)
            head = update[:20] + update[24:HEAD]
            seen.append((head, enc.changed, stats, enc._ref.tobytes()))
        runs.append(seen)
    c, py = runs
    assert c == py


def test_a_block_that_went_in_and_never_came_out_spoils_the_stream() -> None:
    """Fault injection (CPython's ``_testcapi``): whichever one allocation fails in a
    call, the call raises, and the next call is either refused (the stream is spoiled
    until ``reset``) or decodes on the viewer: a block the viewer never got is never
    referred to."""
    testcapi = pytest.importorskip("_testcapi")
    frame = np.random.default_rng(0).integers(0, 4, (64, 64, 4), dtype=np.uint8)
    rect = [Rect(0, 0, 32, 32)]

    def packed(s: Any, seq: int) -> bytes:
        return bytes(s.pack_raw(frame, 64, 64, rect, None, 0, seq)[0])

    text, other = [bytes(range(256)) * 8], np.zeros_like(frame)  # (made before the faults)
    calls = {  # (each the C call alone: a copy of its result failing is the caller's loss)
        "compress": lambda s: s.compress(text),
        "pack_raw": lambda s: s.pack_raw(frame, 64, 64, rect, None, 0, 1),
        "encode_small": lambda s: s.encode_small(
            frame, other, 64, 64, rect, None, 1, 1 << 20, 0, 1 << 20, Rect, None
        ),
    }
    for name, call in calls.items():
        failures = 0
        for k in range(60):
            s, viewer = stream(), StreamDecompressor()
            first = packed(s, 0)
            viewer.decompress(*_body(first))
            testcapi.set_nomemory(k, k + 1)  # exactly the k-th allocation fails
            try:
                call(s)
            except MemoryError:
                failures += 1
            else:
                continue
            finally:
                testcapi.remove_mem_hooks()
            try:
                after = packed(s, 2)
            except RuntimeError:  # spoiled: a key frame (reset) is the way on
                s.reset()
                continue
            body, raw_len = _body(after)
            assert viewer.decompress(body, raw_len) == frame[:32, :32].tobytes(), (name, k)
        assert failures, f"{name}: no allocation failed"


def _body(update: bytes) -> tuple[bytes, int]:
    head = uf.parse_header(update)
    return update[HEAD + head.op_count * uf.OP_SIZE :], head.raw_len
