"""changed_rects finds every changed pixel, inside the frame, without overlaps."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec.compare import pair_view
from remoteapp.codec.geometry import Rect
from remoteapp.codec.tiles import TileDiff, as_words, changed_rects


@st.composite
def frame_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    h, w = draw(st.integers(1, 150)), draw(st.integers(1, 200))
    seed = draw(st.integers(0, 1000))
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    b = a.copy()
    for _ in range(draw(st.integers(0, 5))):
        y, x = draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))
        if draw(st.booleans()):
            b[y, x, draw(st.integers(0, 3))] ^= 1 << draw(st.integers(0, 7))
        else:
            b[y : y + draw(st.integers(1, 40)), x : x + draw(st.integers(1, 90))] = 3
    return a, b


@given(frame_pairs())
@settings(max_examples=200, deadline=None)
def test_rects_cover_every_change_and_nothing_overlaps(pair: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = pair
    h, w = a.shape[:2]
    rects = changed_rects(as_words(b), as_words(a))
    covered = np.zeros((h, w), dtype=np.int32)
    for r in rects:
        assert not r.is_empty() and r.inside(w, h)
        covered[r.y : r.bottom, r.x : r.right] += 1
    assert covered.max(initial=0) <= 1, "rectangles overlap"
    changed = (a != b).any(axis=2)
    assert not (changed & (covered == 0)).any(), "a changed pixel is not covered"


def test_no_change_no_rects() -> None:
    a = np.zeros((100, 130, 4), np.uint8)
    assert changed_rects(as_words(a), as_words(a.copy())) == []


def test_single_pixel_gives_a_tight_rect() -> None:
    a = np.zeros((200, 301, 4), np.uint8)  # odd width: compared pixel by pixel
    b = a.copy()
    b[150, 299] = 1
    assert changed_rects(as_words(b), as_words(a)) == [Rect(299, 150, 1, 1)]


def test_area_limits_the_search() -> None:
    a = np.zeros((200, 300, 4), np.uint8)
    b = a.copy()
    b[10, 10] = 1
    b[150, 250] = 1
    assert changed_rects(as_words(b), as_words(a), Rect(128, 128, 172, 72)) == [
        Rect(250, 150, 2, 1)
    ]


@given(
    frame_pairs(),
    st.tuples(st.integers(0, 120), st.integers(0, 120), st.integers(1, 130), st.integers(1, 130)),
    st.floats(0, 1),
    st.floats(0, 1),
)
@settings(max_examples=300, deadline=None)
def test_rects_are_the_general_merges_for_one_tile_and_larger_areas(
    pair: tuple[np.ndarray, np.ndarray],
    box: tuple[int, int, int, int],
    fx: float,
    fy: float,
) -> None:
    """An area of one tile (a typed key's damage box) takes a shortcut: the same rects
    as the general merge, at any offset and pixel parity, with a change planted inside;
    areas a little larger take the merge itself."""
    a, b = pair
    area = Rect(*box).intersect(Rect(0, 0, a.shape[1], a.shape[0]))
    if area.is_empty():
        return
    b = b.copy()
    y, x = area.y + int(fy * (area.h - 1)), area.x + int(fx * (area.w - 1))
    b[y, x, 1] = a[y, x, 1] ^ 0x40
    cur, ref = as_words(b), as_words(a)
    rects = TileDiff(cur, ref, area).rects()
    assert rects and rects == TileDiff(cur, ref, area).merged_rects()


@given(
    frame_pairs(),
    st.tuples(st.integers(0, 150), st.integers(0, 120), st.integers(1, 130), st.integers(1, 130)),
)
@settings(max_examples=300, deadline=None)
def test_bounds_are_those_of_the_changed_units_at_any_offset_and_size(
    pair: tuple[np.ndarray, np.ndarray], box: tuple[int, int, int, int]
) -> None:
    """Areas of one tile at most are searched as bytes (a typed key's box), larger ones
    by reductions or the inward scan: all give the bounds of the changed pixels, rounded
    out to whole pixel pairs where the area is compared as pairs."""
    a, b = pair
    area = Rect(*box).intersect(Rect(0, 0, a.shape[1], a.shape[0]))
    if area.is_empty():
        return
    cur_a = as_words(b)[area.y : area.bottom, area.x : area.right]
    ref_a = as_words(a)[area.y : area.bottom, area.x : area.right]
    cur_u, ref_u, unit = pair_view(cur_a), pair_view(ref_a), 2
    if cur_u is None or ref_u is None:
        cur_u, ref_u, unit = cur_a, ref_a, 1
    ne = cur_u != ref_u
    rows, cols = np.flatnonzero(ne.any(axis=1)), np.flatnonzero(ne.any(axis=0))
    expected = None
    if rows.size:
        x0, x1 = int(cols[0]) * unit, (int(cols[-1]) + 1) * unit
        expected = Rect(area.x + x0, area.y + int(rows[0]), x1 - x0, int(rows[-1]) + 1 - rows[0])
    assert TileDiff(as_words(b), as_words(a), area).bounds() == expected
