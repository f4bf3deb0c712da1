"""A typed key's update in one C call (``Stream.encode_small``: the small box's diff, the
region tracker's books and the packing): encoder for encoder, the same updates, the same
``changed`` and stats, and the same tracker books as without it, over any history of
keys, photos, videos and pauses, in every lossy mode, adopting or not; it hands the
planner what is the planner's (a tile due for its measure, a rectangle of JPEG's size);
it refuses what is not two frames."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec import ScreenEncoder, zstd_stream
from remoteapp.codec.copy_guesses import MOTION_MIN_AREA
from remoteapp.codec.geometry import Rect
from remoteapp.codec.lossy import LossyMode
from remoteapp.codec.vp8_codec import available
from remoteapp.errors import LocalProtocolError
from tests.codec.frames import texty
from tests.codec.test_plan_small import HEIGHT, WIDTH, Clock, photo
from tests.native import built

MODES = [
    (frozenset({"vp8", "jpeg"}), LossyMode.AUTO),
    (frozenset({"vp8", "jpeg"}), LossyMode.SPEED),
    (frozenset({"vp8", "jpeg"}), LossyMode.QUALITY),
    (frozenset({"jpeg"}), LossyMode.AUTO),
    (frozenset(), LossyMode.AUTO),
]


@pytest.fixture(scope="module")
def stream() -> object:
    return built(zstd_stream.native, "the C zstd stream (_zstream)")


# each step: ("key", x, y) a typed character (often the same few places, so tiles fall
# due for their photo measure); ("word", x, y) a word's box, of JPEG's size; ("photo",
# x, y); ("wait", tenths); ("video", t)
STEP = st.one_of(
    st.tuples(st.just("key"), st.sampled_from([8, 16, 200]), st.sampled_from([20, 140])),
    st.tuples(st.just("key"), st.integers(0, WIDTH - 8), st.integers(0, HEIGHT - 14)),
    st.tuples(st.just("word"), st.sampled_from([8, 16, 200]), st.sampled_from([20, 140])),
    st.tuples(st.just("photo"), st.integers(0, WIDTH - 96), st.integers(0, HEIGHT - 64)),
    st.tuples(st.just("wait"), st.integers(1, 40), st.just(0)),
    st.tuples(st.just("video"), st.integers(0, 50), st.just(0)),
)


def _state(encoder: ScreenEncoder) -> tuple[object, ...]:
    planner = encoder._planner
    books: tuple[object, ...] = ()
    if planner is not None:
        t = planner.tracker
        books = (
            t.freq.tobytes(), t._tested.tobytes(), t._frame, [list(r) for r in t._recent],
            [(g.rect, g.generation) for g in t.regions], planner.dirty.tobytes(),
        )  # fmt: skip
    return (encoder.changed, encoder.last_stats, books)


def _lockstep(
    steps: list[tuple[str, int, int]], codecs: frozenset[str], mode: LossyMode, adopt: bool
) -> Iterator[tuple[bytes, bytes, int]]:
    """Each step's update from an encoder with the lane and one without (their states
    compared as they go), and how many updates the lane took whole so far."""
    clocks = Clock(), Clock()
    encoders = [ScreenEncoder(lossy_codecs=codecs, mode=mode, clock=c) for c in clocks]
    lane, plain = encoders
    plain._small = lambda *args: None  # type: ignore[method-assign]
    taken = [0]
    real = lane._small

    def counted(*args: object) -> bytes | None:
        update = real(*args)  # type: ignore[arg-type]
        taken[0] += update is not None
        return update

    lane._small = counted  # type: ignore[method-assign, assignment]
    frame = texty(HEIGHT, WIDTH, 1)
    frames = [frame.copy(), frame.copy()]
    yield lane.encode(frames[0], adopt=adopt), plain.encode(frames[1], adopt=adopt), 0
    for i, (kind, a, b) in enumerate(steps):
        frame = frame.copy()
        if kind in ("key", "word"):  # (a word: a rectangle of JPEG's size, text)
            box = Rect(a, b, 7, 12) if kind == "key" else Rect(a, b, 60, 18)
            frame[box.y : box.bottom, box.x : box.right] = texty(box.h, box.w, i)
        elif kind in ("photo", "video"):
            box = Rect(a, b, 96, 64) if kind == "photo" else Rect(32, 32, 160, 128)
            frame[box.y : box.bottom, box.x : box.right] = photo(box.h, box.w, i + a)
        else:
            box = Rect(0, 0, 0, 0)
            for c in clocks:
                c.now += a / 10
        for c in clocks:
            c.now += 1 / 30
        damage = [box] if box.w else []
        got = [enc.encode(frame.copy(), (i, i), damage=damage, adopt=adopt) for enc in encoders]
        assert _state(lane) == _state(plain), f"step {i}: {kind}"
        yield got[0], got[1], taken[0]


@pytest.mark.skipif(not available(), reason="PyAV with libvpx is not installed")
@pytest.mark.parametrize(("codecs", "mode"), MODES)
@pytest.mark.parametrize("adopt", [True, False])
def test_typing_after_photos_and_videos_gives_the_same_updates_and_books(
    stream: object, codecs: frozenset[str], mode: LossyMode, adopt: bool
) -> None:
    steps = [("key", 8 * (i % 3), 20) for i in range(24)]  # (the same tiles: due tiles)
    # a word where the keys' tiles were measured lately (JPEG's size: the planner's)
    steps += [("word", 8, 20), ("word", 16, 20)]
    steps += [("photo", 100, 80), ("photo", 100, 80), ("key", 10, 40), ("wait", 40, 0)]
    steps += [("key", 20, 40)]
    steps += [("video", t, 0) for t in range(8)] + [("wait", 40, 0)]
    steps += [("key", 30 + 8 * i, 140) for i in range(12)]
    results = list(_lockstep(steps, codecs, mode, adopt))
    assert all(lane == plain for lane, plain, _ in results)
    taken = results[-1][2]
    # most keys went whole through the lane; SPEED's tracker needs no photo-like tile to
    # start a region, so its books never end at the counts (the planner takes each key)
    assert taken >= 20 if mode is not LossyMode.SPEED else taken == 0


@pytest.mark.skipif(not available(), reason="PyAV with libvpx is not installed")
@settings(max_examples=30, deadline=None)
@given(
    steps=st.lists(STEP, max_size=20),
    which=st.sampled_from(range(len(MODES))),
    adopt=st.booleans(),
)
def test_any_history_gives_the_same_updates_and_books(
    stream: object, steps: list[tuple[str, int, int]], which: int, adopt: bool
) -> None:
    codecs, mode = MODES[which]
    for lane, plain, _ in _lockstep(steps, codecs, mode, adopt):
        assert lane == plain


def test_what_is_not_a_small_box_is_left_to_the_encoder(stream: object) -> None:
    """No damage, damage whose bounds reach the motion search's area, a box off the
    frame: None, nothing done (the stream not fed either)."""
    s = zstd_stream.native.Stream(3, 20)
    cur = texty(64, 128, 1)
    ref = texty(64, 128, 2)
    big = MOTION_MIN_AREA

    def small(damage: list[Rect]) -> Any:
        return s.encode_small(cur, ref, 128, 64, damage, None, 0, big, 1 << 62, Rect, None)

    assert small([]) is None
    assert small([Rect(0, 0, 64, 64), Rect(100, 40, 28, 24)]) is not None
    assert small([Rect(120, 0, 16, 16)]) is None  # (off the frame: TileDiff clips)
    assert small([Rect(-1, 0, 8, 8)]) is None
    for far in (2**31, -(2**40), 2**70):  # (any int: off the frame, not an error)
        assert small([Rect(0, 0, 8, 8), Rect(far, 0, 1, 1)]) is None
    odd_cursor = s.encode_small(cur, ref, 128, 64, [Rect(120, 0, 16, 16)], (1, 2, 3), 0, big,
                                1 << 62, Rect, None)  # fmt: skip
    assert odd_cursor is None  # (not small: the cursor is the general path's to judge)
    wide = s.encode_small(cur, ref, 128, 64, [Rect(0, 0, 128, 64)], None, 0, 128 * 64, 1 << 62,
                          Rect, None)  # fmt: skip
    assert wide is None
    update, rects, due, body, raw = small([Rect(0, 0, 16, 16)])
    assert update is not None and due is None and rects and all(type(r) is Rect for r in rects)
    assert raw == sum(r.w * r.h * 4 for r in rects) and body > 0


def test_bad_frames_and_books_are_refused(stream: object) -> None:
    s = zstd_stream.native.Stream(3, 20)
    cur = texty(64, 128, 1)
    box = [Rect(0, 0, 8, 8)]
    with pytest.raises(ValueError, match="width x height"):
        s.encode_small(cur, cur[:32], 128, 64, box, None, 0, 1, 1, Rect, None)
    for seq in (1 << 32, (1 << 64) + 5, -1):  # (range-checked, not masked)
        with pytest.raises(ValueError, match="32-bit"):
            s.encode_small(cur, cur, 128, 64, box, None, seq, 1, 1, Rect, None)
    for not_named in (list, tuple, os.stat_result, int):  # (stat_result: fields of its own)
        with pytest.raises(TypeError, match="named tuple"):
            s.encode_small(cur, cur, 128, 64, box, None, 0, 1 << 20, 1, not_named, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tracker"):
        s.encode_small(cur, cur, 128, 64, box, None, 0, 1 << 20, 1, Rect, [1])  # type: ignore[arg-type]
    freq = np.zeros((1, 2), np.float64)  # (not float32)
    tested = np.zeros((1, 2), np.int64)
    with pytest.raises(ValueError, match="float32, int64"):
        s.encode_small(cur, cur, 128, 64, box, None, 0, 1 << 20, 1, Rect,
                       (freq, tested, 1, 0.75, 1.0, 8, 64, 16))  # fmt: skip
    with pytest.raises(TypeError):
        s.encode_small(cur, cur, 128, 64, box, None, 0, 1 << 20, 1, Rect, (freq,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cursor"):
        s.encode_small(cur, cur, 128, 64, box, (1,), 0, 1 << 20, 1, Rect, None)  # type: ignore[arg-type]


def test_frames_not_4_byte_aligned_are_left_to_numpy(stream: object) -> None:
    """The C reads 32-bit pixels: a frame at an odd address is the general path's, and
    the encoder sends what it sends for an aligned one."""
    ref, cur = texty(64, 128, 1), texty(64, 128, 2)
    buf = bytearray(cur.nbytes + 1)
    odd = np.frombuffer(buf, np.uint8, cur.nbytes, offset=1).reshape(cur.shape)
    odd[:] = cur
    s = zstd_stream.native.Stream(3, 20)
    box = [Rect(0, 0, 16, 16)]
    assert s.encode_small(odd, ref, 128, 64, box, None, 0, 1 << 20, 1 << 20, Rect, None) is None
    updates = []
    for frame in (cur, odd):
        encoder = ScreenEncoder()
        encoder.encode(ref)
        updates.append(encoder.encode(frame, damage=box))
    assert updates[0] == updates[1]


def test_after_an_exception_the_next_update_is_a_key_frame(stream: object) -> None:
    """An encode that raised may have put a block in the stream the viewer never gets, or
    counted a frame in the region books that was not sent: the next update starts over."""
    encoder = ScreenEncoder()
    first, second = texty(64, 128, 1), texty(64, 128, 2)
    encoder.encode(first)
    assert encoder.last_stats is not None and encoder.last_stats.key
    with pytest.raises(LocalProtocolError):
        encoder.encode(second[:, :, :3])  # (not a BGRA frame)
    encoder.encode(second, damage=[Rect(0, 0, 16, 16)])
    assert encoder.last_stats is not None and encoder.last_stats.key


def test_a_key_over_a_tile_corner_takes_the_small_path(stream: object) -> None:
    """A glyph and its caret over a corner of the 64-px tiles damage those four tiles,
    128x128: the motion search's area exactly.  The small path takes that box (it went
    the general way, some 70 Python lines more a key), with the general path's bytes."""
    frame = texty(256, 256, 1)
    lane, plain = ScreenEncoder(), ScreenEncoder()
    plain._small = lambda *args: None  # type: ignore[method-assign]
    taken: list[bytes | None] = []
    real = lane._small

    def counted(*args: object) -> bytes | None:
        taken.append(real(*args))  # type: ignore[arg-type]
        return taken[-1]

    lane._small = counted  # type: ignore[method-assign, assignment]
    for encoder in (lane, plain):
        encoder.encode(frame.copy(), adopt=True)
    key = frame.copy()
    key[58:70, 60:67] = texty(12, 7, 5)  # (over the corner at (64, 64))
    box = [Rect(0, 0, 128, 128)]
    assert MOTION_MIN_AREA == 128 * 128
    assert lane.encode_key(key.copy(), None, box) == plain.encode_key(key.copy(), None, box)
    assert len(taken) == 1 and taken[0] is not None
    assert lane.changed == plain.changed
