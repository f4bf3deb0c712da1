"""Damage coalescing (``damage.coalesce``, sans-IO): a thousand tiny rectangles become a
few disjoint 64-px tile boxes covering every one, far-apart damage stays apart, and past
MAX_BOXES one bounding box is grabbed; each box is then cut to its damage's bounds, a
box read as whole rows in its rows only (``damage.cut_to_damage``)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.capture import damage
from remoteapp.capture.damage import FEW_RECTS, MAX_BOXES, as_rect_array, coalesce
from remoteapp.codec.geometry import Rect
from remoteapp.codec.tiles import TILE
from tests.native import built

W, H = 640, 480


def test_coalesce_turns_a_thousand_rectangles_into_tile_boxes() -> None:
    rng = np.random.default_rng(1)
    xy = rng.integers(0, 190, size=(1000, 2)) + np.array([100, 40])
    rects = as_rect_array((int(x), int(y), 2, 2) for x, y in xy)
    boxes = coalesce(rects, W, H)
    assert len(boxes) <= 2
    covered = np.zeros((H, W), bool)
    for box in boxes:
        assert box.x % 64 == 0 and box.y % 64 == 0
        covered[box.y : box.bottom, box.x : box.right] = True
    assert all(covered[y : y + 2, x : x + 2].all() for x, y in xy)


@pytest.mark.parametrize("count", [1, 3, 16, 17, 200])
def test_coalesced_boxes_are_disjoint_tiles_covering_every_rectangle(count: int) -> None:
    rng = np.random.default_rng(count)
    for _ in range(20):
        xy = rng.integers(-20, W, (count, 2)) % np.array([W + 20, H + 20]) - 20
        xywh = np.column_stack([xy, rng.integers(1, 90, (count, 2))])
        boxes = coalesce(xywh.astype(np.int32), W, H)
        hits = np.zeros((H, W), np.int32)
        for box in boxes:
            assert box.x % 64 == 0 and box.y % 64 == 0 and box.inside(W, H)
            hits[box.y : box.bottom, box.x : box.right] += 1
        assert hits.max() <= 1, "boxes overlap"
        for x, y, w, h in xywh:
            x0, y0, x1, y1 = max(x, 0), max(y, 0), max(x + w, 0), max(y + h, 0)
            assert (hits[y0:y1, x0:x1] == 1).all()


def test_coalesce_keeps_far_apart_damage_apart_and_clips() -> None:
    rects = as_rect_array([(3, 3, 5, 5), (600, 440, 100, 100), (-50, 200, 60, 10)])
    boxes = coalesce(rects, W, H)
    assert sorted((b.x, b.y, b.w, b.h) for b in boxes) == [
        (0, 0, 64, 64),
        (0, 192, 64, 64),
        (576, 384, 64, 96),
    ]
    many = as_rect_array((x * 128, y * 128, 1, 1) for x in range(5) for y in range(4))
    assert coalesce(many, W, H) == [Rect(0, 0, 576, 448)]  # past MAX_BOXES: one box
    assert MAX_BOXES < 20
    assert coalesce(as_rect_array([]), W, H) == []


_COORD = st.integers(-3000, 3000)
_RECTS = st.lists(st.tuples(_COORD, _COORD, st.integers(-10, 900), st.integers(-10, 900)),
                  max_size=FEW_RECTS)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(rects=_RECTS, width=st.integers(-1, 2100), height=st.integers(-1, 1300))
def test_the_c_rule_for_a_few_rectangles_is_the_python_one(
    rects: list[tuple[int, int, int, int]], width: int, height: int
) -> None:
    """``coalesce`` takes the C rule for a few rectangles where it is built: the same
    boxes, in the same order, as the Python rule (``_coalesce_few``)."""
    native: Any = built(damage.native, "_xwire")
    expected = damage._coalesce_few(rects, width, height) if width > 0 and height > 0 else []
    got = native.coalesce_few(rects, width, height, TILE, MAX_BOXES, damage.DENSE_SHARE)
    assert [Rect(*box) for box in got] == expected
    assert coalesce(rects, width, height) == expected


def test_the_c_rule_leaves_what_it_cannot_hold_exactly_to_python() -> None:
    native: Any = built(damage.native, "_xwire")
    far = [(1 << 41, 0, 10, 10), (0, 0, 1 << 50, 10)]
    assert native.coalesce_few(far, W, H, TILE, MAX_BOXES, 0.6) is None
    assert native.coalesce_few([(0, 0, 1, 1)], 1 << 21, H, TILE, MAX_BOXES, 0.6) is None
    assert coalesce(far, W, H) == damage._coalesce_few(far, W, H) == [Rect(0, 0, W, 64)]
    huge = (1 << 70, 0, 1, 1)  # beyond 64 bits: still no error, the Python path
    assert coalesce([huge], W, H) == []
    assert coalesce([(np.int64(5), np.int32(5), 1, 1)], W, H) == [Rect(0, 0, 64, 64)]


@pytest.mark.parametrize(
    ("rects", "error"),
    [(5, TypeError), ([(1, 2, 3)], ValueError), ([(0, 0, 1, 1)] * 65, ValueError)],
)
def test_the_c_rule_refuses_what_is_not_rectangles(rects: Any, error: type[Exception]) -> None:
    native: Any = built(damage.native, "_xwire")
    with pytest.raises(error):
        native.coalesce_few(rects, W, H, TILE, MAX_BOXES, 0.6)
    with pytest.raises(ValueError):
        native.coalesce_few([], W, H, 0, MAX_BOXES, 0.6)


def test_what_is_no_int_is_left_to_the_python_rule() -> None:
    native: Any = built(damage.native, "_xwire")
    for rects, width in [([(1.5, 2, 3, 4)], W), ([(1, 2, 3, "4")], W), ([(1, 2, 3, 4)], W + 0.5)]:
        assert native.coalesce_few(rects, width, H, TILE, MAX_BOXES, 0.6) is None
    assert native.coalesce_few([(0, 0, 1, 1)], 1 << 63, H, TILE, MAX_BOXES, 0.6) is None
    assert coalesce([(0, 0, 1, 1)], 1 << 63, H) == [Rect(0, 0, 64, 64)]


class _Clearing:
    """A number whose ``__index__`` empties the lists it was put in (hostile input)."""

    lists: ClassVar[list[list[Any]]] = []

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        for each in self.lists:
            each.clear()
        return self.value


def test_lists_changed_during_the_call_do_not_matter() -> None:
    native: Any = built(damage.native, "_xwire")
    rect: list[Any] = [_Clearing(70), 70, 10, 10]
    rects: list[Any] = [rect, [300, 300, 5, 5]]
    _Clearing.lists = [rects, rect]
    try:
        got = native.coalesce_few(rects, W, H, TILE, MAX_BOXES, 0.6)
    finally:
        _Clearing.lists = []
    assert got == [(64, 64, 64, 64), (256, 256, 64, 64)]  # the lists as they were


def test_boxes_are_cut_to_their_damage_a_wide_one_in_its_rows() -> None:
    """A full-screen terminal 20 px inside the screen: its box is read as whole rows, so
    it is read 440 rows high, not the 480 of its tiles (its columns kept); a narrow box,
    a typed key's or a dragged window's, is cut both ways."""
    wide_from = W * 3 // 4
    scroll = [(20, 20, W - 40, H - 40)]
    boxes = coalesce(scroll, W, H)
    assert boxes == [Rect(0, 0, W, H)]
    assert damage.cut_to_damage(boxes, scroll, wide_from) == [Rect(0, 20, W, H - 40)]
    many = as_rect_array([scroll[0]] * (FEW_RECTS + 1))  # (the numpy rule's)
    assert damage.cut_to_damage(boxes, many, wide_from) == [Rect(0, 20, W, H - 40)]
    typed = [(100, 70, 6, 13)]
    assert coalesce(typed, W, H) == [Rect(64, 64, 64, 64)]
    assert damage.cut_to_damage(coalesce(typed, W, H), typed, wide_from) == [Rect(*typed[0])]
    odd = [(101, 70, 5, 13)]  # (out to whole pixel pairs: the encoder compares pairs)
    assert damage.cut_to_damage(coalesce(odd, W, H), odd, wide_from) == [Rect(100, 70, 6, 13)]
    assert damage.cut_to_damage([Rect(0, 0, 5, 5)], [(0, 0, 5, 5)], 6) == [Rect(0, 0, 5, 5)]
    # a window moved by (8, 4): its new place and the strips it left, as one box
    moved = [(108, 104, 320, 210), (100, 100, 328, 4), (100, 104, 8, 210)]
    assert coalesce(moved, W, H) == [Rect(64, 64, 384, 256)]
    assert damage.cut_to_damage(coalesce(moved, W, H), moved, wide_from) == [
        Rect(100, 100, 328, 214)
    ]
    # a wide band, and a caret far below it: the band's rows, the caret's own pixels
    both = [(10, 100, W - 20, 30), (300, 400, 6, 2), (15, 131, 40, 3)]
    got = damage.cut_to_damage(coalesce(both, W, H), both, wide_from)
    assert sorted(got) == [Rect(0, 100, W, 34), Rect(300, 400, 6, 2)]
    # off the screen: the parts inside it
    assert damage.cut_to_damage(coalesce([(-5, -3, 9, 8)], W, H), [(-5, -3, 9, 8)], wide_from) == [
        Rect(0, 0, 4, 5)
    ]
    assert damage.cut_to_damage([], [], wide_from) == []


@settings(max_examples=300, deadline=None)
@given(rects=st.lists(st.tuples(st.integers(-100, W + 100), st.integers(-100, H + 100),
                                st.integers(0, W + 200), st.integers(0, 200)),
                      max_size=40),
       wide_from=st.integers(1, W + 1))  # fmt: skip
def test_cut_boxes_stay_disjoint_inside_theirs_and_cover_every_rectangle(
    rects: list[tuple[int, int, int, int]], wide_from: int
) -> None:
    """Each cut box is its box's part that holds the damage: the bounds of the damage
    inside it, its columns out to pixel pairs (a wide box: its rows, all its columns);
    the numpy rule for many rectangles cuts as the loop for a few does."""
    boxes = coalesce(rects, W, H)
    cut = damage.cut_to_damage(boxes, rects, wide_from)
    assert cut == damage._cut_many(boxes, rects, wide_from)
    assert len(cut) == len(boxes)
    hits = np.zeros((H, W), np.int32)
    painted = np.zeros((H, W), np.bool_)
    for x, y, w, h in rects:
        painted[max(y, 0) : max(y + h, 0), max(x, 0) : max(x + w, 0)] = True
    for box, was in zip(cut, boxes, strict=True):
        assert box.intersect(was) == box
        inside = painted[was.y : was.bottom, was.x : was.right]
        rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
        assert (box.y, box.bottom) == (was.y + rows[0], was.y + rows[-1] + 1)
        if was.w >= wide_from:
            assert (box.x, box.w) == (was.x, was.w)
        else:  # (out to whole pixel pairs, inside the box)
            left, right = was.x + cols[0], was.x + cols[-1] + 1
            assert (box.x, box.right) == (left - left % 2, min(right + right % 2, was.right))
        hits[box.y : box.bottom, box.x : box.right] += 1
    assert hits.max() <= 1
    for x, y, w, h in rects:
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, W), min(y + h, H)
        if x1 > x0 and y1 > y0:
            assert (hits[y0:y1, x0:x1] == 1).all()
