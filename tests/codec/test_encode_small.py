"""A typed key's update in one C call (``Stream.encode_small``: the small box's diff, the
region tracker's books and the packing): encoder for encoder, the same updates, the same
``changed`` and stats, and the same tracker books as without it, over any history of
keys, photos, videos and pauses, in every lossy mode, adopting or not; it hands the
planner what is the planner's (a tile due for its measure, a rectangle of JPEG's size);
it takes the boxes its Python twin takes (``tiles.small_box_rects``); it refuses what
is not two frames."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from remoteapp.codec import ScreenEncoder, zstd_stream
from remoteapp.codec.copy_guesses import MOTION_MIN_AREA
from remoteapp.codec.geometry import Rect
from remoteapp.codec.lossy import LossyMode
from remoteapp.codec.tiles import TILE
from remoteapp.codec.vp8_codec import available
from remoteapp.errors import LocalProtocolError
from tests.codec.frames import texty
from tests.codec.test_plan_small import HEIGHT, WIDTH, Clock, photo
from tests.native import built

pytestmark = pytest.mark.usefixtures("fixed_vp8_speed")  # (two encoders' bytes)

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


#: frame sizes: whole tiles, and edge tiles cut to 14x10 px and to 5x4 px (under the
#: photo measure's 8x8: scored 0)
SIZES = [(WIDTH, HEIGHT), (398, 266), (389, 260)]


def steps(width: int, height: int, typing: bool = False) -> st.SearchStrategy[Step]:
    """Each step: ("key", x, y) a typed character (often the same few places, so tiles
    fall due for their photo measure, some of them at the frame's edge); ("keys", x, y)
    nine of them in a row there (one falls due again); ("under", x, y) a key, a photo
    painted over its tile (not due: measured just before), a pause, nine keys (the tile
    falls due on the lane, photo-like); ("cover", x, y) text painted over the tile, then
    seventeen keys (a photo-like tile falls due as text, twice); ("word", x, y) a word's
    box, of JPEG's size; ("photo", x, y) a photo, ("text", x, y) text over one;
    ("wait", tenths); ("video", t).  ``typing``: the keys' and photos' steps only."""
    spots = [(8, 20), (16, 20), (200, 140), (264, 140), (width - 8, height - 14)]
    blocks = [(192, 128), (width - 96, height - 64)]
    anywhere = st.tuples(st.integers(0, width - 96), st.integers(0, height - 64))
    keys = st.sampled_from(["key", "keys", "under", "cover"])
    typed = st.one_of(
        st.tuples(keys, st.sampled_from(spots)).map(_flat),
        st.tuples(st.sampled_from(["photo", "text"]), st.sampled_from(blocks) | anywhere).map(
            _flat
        ),
        st.tuples(st.just("wait"), st.integers(1, 40), st.just(0)),
    )
    if typing:
        return typed
    return st.one_of(
        typed,
        st.tuples(st.just("key"), st.integers(0, width - 8), st.integers(0, height - 14)),
        st.tuples(st.just("word"), st.sampled_from([8, 16, 200]), st.sampled_from([20, 140])),
        st.tuples(st.just("video"), st.integers(0, 50), st.just(0)),
    )


Step = tuple[str, int, int]


def _flat(step: tuple[str, tuple[int, int]]) -> Step:
    return step[0], *step[1]


def _updates(kind: str, a: int, b: int) -> list[Step]:
    """A step's updates: one, or the several of "keys", "under" and "cover"."""
    key = ("key", a, b)
    if kind == "keys":
        return [key] * 9
    if kind == "under":
        return [key, ("tile photo", a, b), ("wait", 4, 0), *[key] * 9]
    if kind == "cover":
        return [("tile text", a, b), *[key] * 17]
    return [(kind, a, b)]


def _state(encoder: ScreenEncoder) -> tuple[object, ...]:
    planner = encoder._planner
    books: tuple[object, ...] = ()
    if planner is not None:
        t = planner.tracker
        books = (
            t.freq.tobytes(), t._tested.tobytes(), t.photo.tobytes(), t._photo_tiles, t._frame,
            [list(r) for r in t._recent], [(g.rect, g.generation) for g in t.regions],
            planner.dirty.tobytes(),
        )  # fmt: skip
    return (encoder.changed, encoder.last_stats, books)


class Taken(Counter[str]):
    """What the lane did: "whole" (the update in one call), "measured" (of those, with
    due tiles measured in C), "edge" (a tile under 64 px among them), "photo halved" (a
    tile's score above 0 among them), "handed" (due tiles handed to the planner),
    "crossed" (of those, a tile turned photo-like)."""

    EVENTS = ("whole", "measured", "edge", "photo halved", "handed", "crossed")


def _lockstep(
    steps: list[Step], codecs: frozenset[str], mode: LossyMode, adopt: bool,
    size: tuple[int, int] = (WIDTH, HEIGHT),
) -> Iterator[tuple[bytes, bytes, Taken]]:  # fmt: skip
    """Each step's update from an encoder with the lane and one without (their states
    compared as they go), and what the lane did so far."""
    width, height = size
    clocks = Clock(), Clock()
    encoders = [ScreenEncoder(lossy_codecs=codecs, mode=mode, clock=c) for c in clocks]
    lane, plain = encoders
    plain.small_path = False
    taken = Taken()

    def encode(frame: np.ndarray, cursor: tuple[int, int], damage: list[Rect]) -> list[bytes]:
        """Both encoders' updates of ``frame``, what the lane did counted in ``taken``."""
        t = None if lane._planner is None else lane._planner.tracker
        was = 0 if t is None else t._photo_tiles
        whole, handed = lane.small_taken, lane.small_handed
        got = [enc.encode(frame.copy(), cursor, damage=damage, adopt=adopt) for enc in encoders]
        if t is not None and lane.small_handed > handed:
            taken.update(["handed"] + ["crossed"] * (t._photo_tiles > was))
        elif lane.small_taken > whole:
            taken["whole"] += 1
            measured = [] if t is None else np.argwhere(t._tested == t._frame)
            if len(measured):
                assert t is not None
                taken["measured"] += 1
                edge = [(ty + 1) * TILE > height or (tx + 1) * TILE > width for ty, tx in measured]
                taken["edge"] += any(edge)
                taken["photo halved"] += any(t.photo[ty, tx] > 0 for ty, tx in measured)
        return got

    frame = texty(height, width, 1)
    frames = [frame.copy(), frame.copy()]
    yield lane.encode(frames[0], adopt=adopt), plain.encode(frames[1], adopt=adopt), taken
    seed = 0
    for i, step in enumerate(steps):
        for kind, a, b in _updates(*step):
            seed += 1
            frame = frame.copy()
            box = _paint(frame, kind, a, b, seed)
            if not box.w:
                for c in clocks:
                    c.now += a / 10
            for c in clocks:
                c.now += 1 / 30
            got = encode(frame, (i, i), [box] if box.w else [])
            assert _state(lane) == _state(plain), f"step {i}: {kind}"
            yield got[0], got[1], taken


def _paint(frame: np.ndarray, kind: str, a: int, b: int, i: int) -> Rect:
    """Paint an update on ``frame`` (``i``: its seed): its box (empty for a wait)."""
    if kind.startswith("tile"):  # (the 64 px tile of (a, b), cut at the frame's edge)
        height, width = frame.shape[:2]
        x, y = a // TILE * TILE, b // TILE * TILE
        box = Rect(x, y, min(TILE, width - x), min(TILE, height - y))
        paint = photo if kind == "tile photo" else texty
        frame[box.y : box.bottom, box.x : box.right] = paint(box.h, box.w, i)
    elif kind == "key":
        box = Rect(a, b, 7, 12)
        rng = np.random.default_rng(i)  # (a glyph: texty's lines need a taller box)
        glyph = rng.random((box.h, box.w)) < 0.45
        frame[box.y : box.bottom, box.x : box.right, :3] = 245
        frame[box.y : box.bottom, box.x : box.right][glyph, :3] = rng.integers(0, 90, 3)
    elif kind in ("word", "text"):  # (a word: a rectangle of JPEG's size)
        box = Rect(a, b, 60, 18) if kind == "word" else Rect(a, b, 96, 64)
        frame[box.y : box.bottom, box.x : box.right] = texty(box.h, box.w, i)
    elif kind in ("photo", "video"):
        box = Rect(a, b, 96, 64) if kind == "photo" else Rect(32, 32, 160, 128)
        frame[box.y : box.bottom, box.x : box.right] = photo(box.h, box.w, i + a)
    else:
        box = Rect(0, 0, 0, 0)
    return box


@pytest.mark.skipif(not available(), reason="PyAV with libvpx is not installed")
@pytest.mark.parametrize(("codecs", "mode"), MODES)
@pytest.mark.parametrize("adopt", [True, False])
def test_typing_after_photos_and_videos_gives_the_same_updates_and_books(
    stream: object, codecs: frozenset[str], mode: LossyMode, adopt: bool
) -> None:
    steps = [("key", 8 * (i % 3), 20) for i in range(24)]  # (the same tiles: due tiles)
    # keys at the frame's edge (a 14x10 px tile), then over a photo painted while their
    # tiles were not due (measured just before): one falls due on the lane, photo-like
    steps += [("keys", 390, 252), ("key", 200, 140), ("key", 264, 140), ("photo", 192, 128)]
    steps += [("wait", 40, 0), ("keys", 200, 140), ("cover", 200, 140)]
    # a word where the keys' tiles were measured lately (JPEG's size: the planner's)
    steps += [("word", 8, 20), ("word", 16, 20)]
    steps += [("photo", 100, 80), ("photo", 100, 80), ("key", 10, 40), ("wait", 40, 0)]
    steps += [("key", 20, 40)]
    steps += [("video", t, 0) for t in range(8)] + [("wait", 40, 0)]
    steps += [("key", 30 + 8 * i, 140) for i in range(12)]
    results = list(_lockstep(steps, codecs, mode, adopt, (398, 266)))
    assert all(lane == plain for lane, plain, _ in results)
    taken = results[-1][2]
    # most keys went whole through the lane, their due tiles measured in C (at the edge
    # too), and some crossed to photo-like on it; SPEED's tracker needs no photo-like tile
    # to start a region, so its books never end at the counts (the planner takes each
    # key); without VP8 or in QUALITY the planner asks the tracker nothing
    if mode is LossyMode.SPEED:
        assert taken["whole"] == 0
    else:
        assert taken["whole"] >= 20
    if mode is LossyMode.AUTO and "vp8" in codecs:
        assert taken["measured"] >= 5 and taken["edge"] >= 1 and taken["crossed"] >= 1
        # (text painted over the photo: measured as such twice, the lane on again)
        assert taken["photo halved"] >= 1


@pytest.mark.skipif(not available(), reason="PyAV with libvpx is not installed")
@settings(max_examples=30, deadline=None)
@given(
    data=st.data(),
    which=st.sampled_from(range(len(MODES))),
    adopt=st.booleans(),
    size=st.sampled_from(SIZES),
)
def test_any_history_gives_the_same_updates_and_books(
    stream: object, data: st.DataObject, which: int, adopt: bool, size: tuple[int, int]
) -> None:
    codecs, mode = MODES[which]
    history = data.draw(st.lists(steps(*size), max_size=20), label="steps")
    _check(history, codecs, mode, adopt, size)


@pytest.mark.skipif(not available(), reason="PyAV with libvpx is not installed")
@settings(max_examples=40, deadline=None)
@given(data=st.data(), adopt=st.booleans(), size=st.sampled_from(SIZES))
def test_any_typing_over_photos_keeps_the_photo_books(
    stream: object, data: st.DataObject, adopt: bool, size: tuple[int, int]
) -> None:
    """Where the lane measures (AUTO with VP8): keys over text, photos and text again."""
    history = data.draw(st.lists(steps(*size, typing=True), min_size=2, max_size=8), "steps")
    _check(history, *MODES[0], adopt, size)


def _check(
    history: list[Step], codecs: frozenset[str], mode: LossyMode, adopt: bool,
    size: tuple[int, int],
) -> None:  # fmt: skip
    results = list(_lockstep(history, codecs, mode, adopt, size))
    assert all(lane == plain for lane, plain, _ in results)
    taken = results[-1][2]
    for what in Taken.EVENTS:  # (what the lane met: --hypothesis-show-statistics)
        event(what if taken[what] else f"no {what}")


def test_what_is_not_a_small_box_is_left_to_the_encoder(stream: object) -> None:
    """No damage, damage whose bounds reach the motion search's area, a box off the
    frame: None, nothing done (the stream not fed either)."""
    s = zstd_stream.native.Stream(3, 20)
    cur = texty(64, 128, 1)
    ref = texty(64, 128, 2)
    big = MOTION_MIN_AREA

    def small(damage: list[Rect]) -> Any:
        return s.encode_small(cur, ref, 128, 64, damage, None, 0, big, 0, 1 << 62, Rect, None)

    assert small([]) is None
    assert small([Rect(0, 0, 64, 64), Rect(100, 40, 28, 24)]) is not None
    assert small([Rect(120, 0, 16, 16)]) is None  # (off the frame: TileDiff clips)
    assert small([Rect(-1, 0, 8, 8)]) is None
    for far in (2**31, -(2**40), 2**70):  # (any int: off the frame, not an error)
        assert small([Rect(0, 0, 8, 8), Rect(far, 0, 1, 1)]) is None
    odd_cursor = s.encode_small(cur, ref, 128, 64, [Rect(120, 0, 16, 16)], (1, 2, 3), 0, big, 0,
                                1 << 62, Rect, None)  # fmt: skip
    assert odd_cursor is None  # (not small: the cursor is the general path's to judge)
    wide = s.encode_small(cur, ref, 128, 64, [Rect(0, 0, 128, 64)], None, 0, 128 * 64, 0, 1 << 62,
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
        s.encode_small(cur, cur[:32], 128, 64, box, None, 0, 1, 0, 1, Rect, None)
    for seq in (1 << 32, (1 << 64) + 5, -1):  # (range-checked, not masked)
        with pytest.raises(ValueError, match="32-bit"):
            s.encode_small(cur, cur, 128, 64, box, None, seq, 1, 0, 1, Rect, None)
    for not_named in (list, tuple, os.stat_result, int):  # (stat_result: fields of its own)
        with pytest.raises(TypeError, match="named tuple"):
            s.encode_small(cur, cur, 128, 64, box, None, 0, 1 << 20, 0, 1, not_named, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tracker"):
        s.encode_small(cur, cur, 128, 64, box, None, 0, 1 << 20, 0, 1, Rect, [1])  # type: ignore[arg-type]
    freq = np.zeros((1, 2), np.float64)  # (not float32)
    tested = np.zeros((1, 2), np.int64)
    with pytest.raises(ValueError, match="float32, int64"):
        s.encode_small(cur, cur, 128, 64, box, None, 0, 1 << 20, 0, 1, Rect,
                       (1, freq, tested, 0.75, 1.0, 8, 64, 16, freq, 0.5, 64))  # fmt: skip
    with pytest.raises(TypeError):
        s.encode_small(cur, cur, 128, 64, box, None, 0, 1 << 20, 0, 1, Rect, (freq,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cursor"):
        s.encode_small(cur, cur, 128, 64, box, (1,), 0, 1 << 20, 0, 1, Rect, None)  # type: ignore[arg-type]


def test_frames_not_4_byte_aligned_are_left_to_numpy(stream: object) -> None:
    """The C reads 32-bit pixels: a frame at an odd address is the general path's, and
    the encoder sends what it sends for an aligned one."""
    ref, cur = texty(64, 128, 1), texty(64, 128, 2)
    buf = bytearray(cur.nbytes + 1)
    odd = np.frombuffer(buf, np.uint8, cur.nbytes, offset=1).reshape(cur.shape)
    odd[:] = cur
    s = zstd_stream.native.Stream(3, 20)
    box = [Rect(0, 0, 16, 16)]
    assert s.encode_small(odd, ref, 128, 64, box, None, 0, 1 << 20, 0, 1 << 20, Rect, None) is None
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
