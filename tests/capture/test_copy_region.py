"""The copy model's regions in C (``_copyregion.Region``) against ``PyRegion``: for any
sequence of adds, removes, moves and clears, the same rectangles in the same order, the
same overlaps; both the pixel set they stand for (while under the limit); and the C one's
refusals (a rectangle that is no 4-tuple of ints, numbers past +-2**40, a bad limit or
rectangle type), each a clear error that leaves the region as it was.  The copy grabber's
stale cuts (``_copyregion.cut_all``) against ``copy_frames.py_cut_all`` likewise."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.capture import copy_frames, copy_model
from remoteapp.capture.copy_model import PyRegion
from remoteapp.codec.geometry import Rect
from tests.native import built

SIZE = 40  #: the pixel grid the sets are checked on (rectangles reach a little outside)


def native_region(limit: int) -> Any:
    return built(copy_model.native, "_copyregion").Region(Rect, limit)  # type: ignore[attr-defined]


def pixels(rects: list[Rect]) -> npt.NDArray[np.int8]:
    """How many rectangles cover each pixel (of a grid big enough for any of them)."""
    grid = np.zeros((3 * SIZE, 3 * SIZE), np.int8)
    for x, y, w, h in rects:
        grid[y + SIZE : y + SIZE + max(h, 0), x + SIZE : x + SIZE + max(w, 0)] += 1
    return grid


rects = st.builds(
    Rect,
    st.integers(-4, SIZE),
    st.integers(-4, SIZE),
    st.integers(-3, SIZE // 2),
    st.integers(-3, SIZE // 2),
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("add"), rects),
        st.tuples(st.just("remove"), rects),
        st.tuples(st.just("move"), rects, st.integers(-8, 8), st.integers(-8, 8)),
        st.tuples(st.just("overlapping"), rects),
        st.tuples(st.just("clear")),
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(limit=st.integers(1, 12), steps=ops)
def test_the_c_regions_answer_as_the_python_ones(limit: int, steps: list[tuple[Any, ...]]) -> None:
    py, c = PyRegion(limit), native_region(limit)
    for op, *args in steps:
        assert getattr(c, op)(*args) == getattr(py, op)(*args), (op, args)
        assert c.rects == py.rects and bool(c) == bool(py) and len(c) == len(py.rects)
    assert all(type(r) is Rect for r in c.rects + c.overlapping(Rect(-9, -9, 99, 99)))


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), rects), max_size=12))
def test_under_the_limit_the_rectangles_are_the_pixels_added_less_those_removed(
    steps: list[tuple[bool, Rect]],
) -> None:
    region, want = native_region(64), pixels([])
    for add, rect in steps:
        if add:
            region.add(rect)
            want |= pixels([rect])
        else:
            region.remove(rect)
            want &= ~pixels([rect]) & 1
    if len(region.rects) < 64:
        assert (pixels(region.rects) == want).all()  # (disjoint: no pixel counted twice)


@settings(max_examples=200, deadline=None)
@given(marked=st.lists(rects, max_size=6), src=rects, dx=st.integers(-8, 8), dy=st.integers(-8, 8))
def test_a_move_carries_the_marked_pixels_of_its_source(
    marked: list[Rect], src: Rect, dx: int, dy: int
) -> None:
    region = native_region(64)
    for rect in marked:
        region.add(rect)
    before = pixels(region.rects)
    region.move(src, dx, dy)
    want = before.copy()
    s = pixels([src]).astype(bool)
    dst = np.roll(np.roll(s, dy, axis=0), dx, axis=1)  # (the grid is wide enough: no wrap)
    want[dst] = np.roll(np.roll(before * s, dy, axis=0), dx, axis=1)[dst]
    assert (pixels(region.rects) == want).all()


def test_the_limit_makes_the_bounding_box_only_when_an_add_joins_pieces() -> None:
    """A remove may leave more than the limit (its cut splits); the box comes at the next
    add that joins something, not at one that joins nothing (as PyRegion)."""
    for region in (PyRegion(3), native_region(3)):
        for i in range(3):
            region.add(Rect(i * 10, 0, 6, 6))
        region.remove(Rect(2, 2, 2, 2))  # (one splits in four: six rectangles)
        assert len(region.rects) == 6
        region.add(Rect(0, 0, 1, 1))  # (inside one: nothing joined)
        assert len(region.rects) == 6
        region.add(Rect(0, 20, 1, 1))
        assert region.rects == [Rect(0, 0, 26, 21)]


@pytest.mark.parametrize(
    ("rect", "error"),
    [
        ([1, 2, 3, 4], TypeError),
        ((1, 2, 3), TypeError),
        ((1, 2, 3, 4, 5), TypeError),
        ((1, 2, 3, "4"), TypeError),
        ((1.0, 2, 3, 4), TypeError),
        ((1 << 41, 0, 1, 1), OverflowError),
        ((0, 0, -(1 << 41), 1), OverflowError),
        ((0, 0, 1 << 70, 1), OverflowError),
    ],
)
def test_a_bad_rectangle_is_refused_and_changes_nothing(rect: Any, error: type) -> None:
    region = native_region(8)
    region.add(Rect(0, 0, 5, 5))
    for call in (region.add, region.remove, region.overlapping, lambda r: region.move(r, 1, 1)):
        with pytest.raises(error):
            call(rect)
        assert region.rects == [Rect(0, 0, 5, 5)]
    with pytest.raises(OverflowError):
        region.move(Rect(0, 0, 1, 1), 1 << 41, 0)
    with pytest.raises(OverflowError):
        region.move(Rect(0, 0, 1, 1), 0, -(1 << 80))
    assert region.rects == [Rect(0, 0, 5, 5)]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((Rect, 0), ValueError),
        ((Rect, 4097), ValueError),
        ((Rect, -1), ValueError),
        ((tuple, 8), TypeError),
        ((object, 8), TypeError),
        ((Rect(0, 0, 1, 1), 8), TypeError),
        ((Rect, "8"), TypeError),
    ],
)
def test_a_bad_region_is_refused(args: tuple[Any, ...], error: type) -> None:
    cls = built(copy_model.native, "_copyregion").Region  # type: ignore[attr-defined]
    with pytest.raises(error):
        cls(*args)


def test_the_model_uses_the_c_regions_where_they_are_built() -> None:
    built(copy_model.native, "_copyregion")
    model = copy_model.CopyModel(8, 8)
    assert type(model.unknown) is copy_model.native.Region
    assert model.unknown.rects == [Rect(0, 0, 8, 8)]


@settings(max_examples=300, deadline=None)
@given(
    boxes=st.lists(rects, max_size=8),
    cuts=st.lists(rects, max_size=8),
    most=st.integers(0, 20),
)
def test_the_c_cuts_answer_as_the_python_ones(
    boxes: list[Rect], cuts: list[Rect], most: int
) -> None:
    """The copy grabber's stale areas less the pieces about to be written: the same
    pieces in the same order, or None past ``most``, either way."""
    native = built(copy_model.native, "_copyregion")
    got = native.cut_all(Rect, boxes, cuts, most)  # type: ignore[attr-defined]
    assert got == copy_frames.py_cut_all(boxes, cuts, most)
    assert got is None or all(type(r) is Rect for r in got)


def test_the_cuts_refuse_what_is_no_rectangle() -> None:
    native: Any = built(copy_model.native, "_copyregion")
    for boxes, cuts, error in [
        ([(0, 0, 1)], [], TypeError),
        ([], [Rect(0, 0, 1, 1), None], TypeError),
        (5, [], TypeError),
        ([Rect(0, 0, 1 << 50, 1)], [], OverflowError),
    ]:
        with pytest.raises(error):
            native.cut_all(Rect, boxes, cuts, 8)
    with pytest.raises(TypeError):
        native.cut_all(tuple, [], [], 8)


def test_a_number_that_empties_the_list_while_it_is_read_is_safe() -> None:
    """A coordinate's ``__index__`` that clears the list being read: no crash, and the
    rectangle it was in is still read whole (each item is held while it is read)."""
    native: Any = built(copy_model.native, "_copyregion")
    boxes: list[Any] = []

    class Sly:
        def __index__(self) -> int:
            boxes.clear()
            return 3

    boxes += [(0, 0, Sly(), 4), (9, 9, 1, 1)]
    assert native.cut_all(Rect, boxes, [], 8) == [Rect(0, 0, 3, 4)]
