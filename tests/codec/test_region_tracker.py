"""The region tracker's few-tile path (a typed key) keeps the same books as its
whole-grid path: tile by tile against the grid, update after update."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec import regions
from remoteapp.codec.geometry import Rect
from remoteapp.codec.regions import RegionTracker

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


@given(captures(), st.booleans(), st.integers(0, 1000))
@settings(max_examples=150, deadline=None)
def test_the_few_tile_path_and_the_skip_keep_the_whole_grid_books(
    steps: list[tuple[list[Rect], bool, float]], need_photo: bool, seed: int
) -> None:
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
