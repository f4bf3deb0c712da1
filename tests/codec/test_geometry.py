"""``Rect``'s set operations against the pixels they stand for: what ``intersect`` and
``minus`` answer covers exactly the pixels of the sets they name, with the strips
disjoint, in their order (top, bottom, left, right), for any sizes, empty and negative
ones included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from remoteapp.codec.geometry import Rect

_rects = st.builds(
    Rect,
    st.integers(-20, 20),
    st.integers(-20, 20),
    st.integers(-5, 25),
    st.integers(-5, 25),
)


def _pixels(r: Rect) -> set[tuple[int, int]]:
    return {(x, y) for x in range(r.x, r.x + r.w) for y in range(r.y, r.y + r.h)}


@given(_rects, _rects)
def test_intersect_is_the_common_pixels(a: Rect, b: Rect) -> None:
    inner = a.intersect(b)
    assert type(inner) is Rect and inner.w >= 0 and inner.h >= 0
    assert _pixels(inner) == _pixels(a) & _pixels(b)
    x0, y0 = max(a.x, b.x), max(a.y, b.y)  # (the corner of the overlap, even an empty
    x1, y1 = min(a.right, b.right), min(a.bottom, b.bottom)  # one: callers compare it)
    assert inner == Rect(x0, y0, max(0, x1 - x0), max(0, y1 - y0))


@given(_rects, _rects)
def test_minus_is_the_pixels_left_in_disjoint_strips(a: Rect, cut: Rect) -> None:
    parts = a.minus(cut)
    assert all(type(p) is Rect for p in parts)
    if a.intersect(cut).is_empty():
        assert parts == [a]  # (as it was: an empty or negative one too)
        return
    assert all(not p.is_empty() for p in parts) and len(parts) <= 4
    covered = [_pixels(p) for p in parts]
    assert set().union(*covered) == _pixels(a) - _pixels(cut)
    assert sum(map(len, covered)) == len(_pixels(a) - _pixels(cut))  # (disjoint)
    inner = a.intersect(cut)
    kinds = [  # (top, bottom, left, right: each side once, in that order)
        [p.y < inner.y, p.y >= inner.bottom, p.x < inner.x, p.x >= inner.right].index(True)
        for p in parts
    ]
    assert kinds == sorted(kinds) and len(set(kinds)) == len(kinds)


@given(_rects, st.integers(-30, 30), st.integers(-30, 30))
def test_shifted_moves_every_pixel(a: Rect, dx: int, dy: int) -> None:
    moved = a.shifted(dx, dy)
    assert type(moved) is Rect and (moved.w, moved.h) == (a.w, a.h)
    assert _pixels(moved) == {(x + dx, y + dy) for x, y in _pixels(a)}
