"""The region tracker's few-tile path (a typed key) keeps the same books as its
whole-grid path: tile by tile against the grid, update after update."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec import regions
from remoteapp.codec.geometry import Rect
from remoteapp.codec.regions import DECAY, RETEST_EVERY, TEST_FROM, RegionTracker
from remoteapp.codec.tiles import TILE
from tests.native import built

WIDTH, HEIGHT = 640, 384  #: 10 x 6 tiles: a large rectangle takes the whole-grid path


def _noise(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    return rng.integers(0, 256, (h, w, 4), dtype=np.uint8)


@st.composite
def captures(draw: st.DrawFn) -> list[tuple[list[Rect], bool, float]]:
    """Per capture: the changed rectangles, whether they are painted as noise (photo-like)
    or flat, and the time step."""
    steps = []
    for _ in range(draw(st.integers(1, 40))):
        rects = []
        for _ in range(draw(st.integers(0, 3))):
            x, y = draw(st.integers(0, WIDTH - 1)), draw(st.integers(0, HEIGHT - 1))
            big = draw(st.booleans())
            w = draw(st.integers(1, 400 if big else 70))
            h = draw(st.integers(1, 300 if big else 40))
            rects.append(Rect(x, y, min(w, WIDTH - x), min(h, HEIGHT - y)))
        steps.append((rects, draw(st.booleans()), draw(st.sampled_from([0.01, 0.033, 0.5]))))
    return steps


@pytest.mark.parametrize("lane", ["c", "python"])
@given(captures(), st.booleans(), st.integers(0, 1000))
@settings(max_examples=150, deadline=None)
def test_the_few_tile_path_and_the_skip_keep_the_whole_grid_books(
    lane: str, steps: list[tuple[list[Rect], bool, float]], need_photo: bool, seed: int
) -> None:
    """The few-tile path in C (``_regions``) and in numpy, each against the grid's."""
    native = regions.native if lane == "python" else built(regions.native, "_regions")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(regions, "native", None if lane == "python" else native)
        _same_books(steps, need_photo, seed)


def _same_books(steps: list[tuple[list[Rect], bool, float]], need_photo: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    frame = np.full((HEIGHT, WIDTH, 4), 200, np.uint8)
    fast = RegionTracker(WIDTH, HEIGHT, need_photo=need_photo)
    grid = RegionTracker(WIDTH, HEIGHT, need_photo=need_photo)
    # the reference: never a few-tile update, never the skip of an all-text screen
    grid._photo_tiles += 10**6
    now = 10.0
    for rects, photo, dt in steps:
        now += dt
        for r in rects:
            block = _noise(rng, r.h, r.w) if photo else np.full((r.h, r.w, 4), 30, np.uint8)
            frame[r.y : r.bottom, r.x : r.right] = block
        got = fast.update(frame, rects, now)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(regions, "FEW_TILES", -1)
            want = grid.update(frame, rects, now)
        assert got == want
        assert np.array_equal(fast.freq, grid.freq)
        assert np.array_equal(fast.photo, grid.photo)
        assert fast._photo_tiles == int(np.count_nonzero(fast.photo >= 0.5))


# -- the C extension on its own


@st.composite
def hostile_rects(draw: st.DrawFn) -> list[Rect]:
    """Rectangles off the grid, negative, empty or huge among ordinary ones."""
    coord = st.one_of(
        st.integers(-200, 800), st.integers(-(2**31), 2**31 - 1), st.integers(-(2**70), 2**70)
    )
    count = draw(st.integers(0, 5))
    return [Rect(draw(coord), draw(coord), draw(coord), draw(coord)) for _ in range(count)]


def _beyond_32_bits(rects: list[Rect]) -> bool:
    return any(not -(2**31) <= v < 2**31 for r in rects for v in (r.x, r.y, r.w, r.h))


@given(hostile_rects(), st.integers(-1, 20), st.integers(0, 50))
@settings(max_examples=300, deadline=None)
def test_count_few_keeps_the_books_of_the_few_tile_path(
    rects: list[Rect], few_max: int, frame: int
) -> None:
    """As ``_few_tiles`` and the Python steps after it, for any rectangles: the same
    tiles, the same float32 counts, the same tiles due; or None, touching nothing (not
    few, or a coordinate beyond 32 bits, left to Python)."""
    native = built(regions.native, "_regions")
    rng = np.random.default_rng(frame)
    freq = (rng.random((6, 10)) * 3).astype(np.float32)
    tested = rng.integers(-RETEST_EVERY, frame + 1, (6, 10))
    mine, want = freq.copy(), freq.copy()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(regions, "FEW_TILES", few_max)
        few = regions._few_tiles(rects, want.shape)
    got = native.count_few(  # type: ignore[attr-defined]
        mine, tested, rects, frame, DECAY, TEST_FROM, RETEST_EVERY, TILE, few_max
    )
    if got is None:
        assert few is None or _beyond_32_bits(rects)
        assert np.array_equal(mine, freq)
        return
    assert few is not None
    want *= DECAY
    for tile in few:
        want[tile] += 1.0
    due = [t for t in few if want[t] >= TEST_FROM and frame - tested[t] >= RETEST_EVERY]
    assert got == due
    assert mine.tobytes() == want.tobytes()


def test_count_few_reads_a_copy_of_the_rectangles() -> None:
    """A rectangle whose attribute read changes the list (it cannot with ``Rect``, whose
    fields are slots) does not pull the list from under the C loop."""
    native = built(regions.native, "_regions")
    rects: list[object] = []

    class Shrinking:
        y, w, h = 0, 1, 1

        @property
        def x(self) -> int:
            rects.clear()
            return 0

    rects += [Shrinking(), Shrinking()]
    freq, tested = np.zeros((6, 10), np.float32), np.zeros((6, 10), np.int64)
    got = native.count_few(freq, tested, rects, 9, DECAY, 1.0, 8, TILE, 16)  # type: ignore[attr-defined]
    assert got == [(0, 0)] and freq[0, 0] == 1.0


def test_count_few_leaves_a_rectangle_beyond_32_bits_to_python_before_reading_on() -> None:
    """Each coordinate is checked as it is read: an ``x`` beyond 32 bits is Python's
    (None, the books untouched) whatever the attributes after it hold."""
    native = built(regions.native, "_regions")
    freq, tested = np.zeros((6, 10), np.float32), np.zeros((6, 10), np.int64)
    far = SimpleNamespace(x=2**40, y=None, w=1, h=1)
    assert native.count_few(freq, tested, [far], 9, DECAY, 1.0, 8, TILE, 16) is None  # type: ignore[attr-defined]
    assert not freq.any()


@pytest.mark.parametrize(
    "args",
    [
        (np.zeros((6, 10), np.float64), np.zeros((6, 10), np.int64)),  # not float32
        (np.zeros((6, 10), np.float32), np.zeros((6, 9), np.int64)),  # shapes differ
        (np.zeros((6, 20), np.float32)[:, ::2], np.zeros((6, 10), np.int64)),  # strided
        (np.zeros(60, np.float32), np.zeros(60, np.int64)),  # not a grid
        (np.zeros((6, 10), np.float32), np.zeros((6, 10), np.int64).astype(np.int32)),
    ],
)
def test_count_few_refuses_what_is_not_the_trackers_grids(args: tuple[object, object]) -> None:
    native = built(regions.native, "_regions")
    with pytest.raises((ValueError, BufferError)):
        native.count_few(*args, [Rect(0, 0, 1, 1)], 1, DECAY, 1.0, 8, TILE, 16)  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        native.count_few(  # type: ignore[attr-defined]
            np.zeros((6, 10), np.float32), np.zeros((6, 10), np.int64), [(0, 0, 1, 1)],
            1, DECAY, 1.0, 8, TILE, 16,
        )  # fmt: skip
