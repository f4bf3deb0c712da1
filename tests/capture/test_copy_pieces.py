"""The composed pieces against the ops applied one by one: for any sequence of moves and
pastes (disjoint pastes, as one grab's reads are), the frame written from the pieces is
the frame the ops make, into another frame or into the previous frame itself; and the
pieces cover every pixel that changed."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.capture.copy_model import Move, Paste
from remoteapp.capture.copy_pieces import (
    FRAME,
    READS,
    Piece,
    apply_in_order,
    apply_pieces,
    compose,
)
from remoteapp.codec.geometry import Rect

W, H = 20, 14
Frame = npt.NDArray[np.int64]


def previous() -> Frame:
    return np.arange(W * H, dtype=np.int64).reshape(H, W)


def reads_frame() -> Frame:
    return -np.arange(1, W * H + 1, dtype=np.int64).reshape(H, W)


@st.composite
def moves(draw: st.DrawFn) -> Move:
    w, h = draw(st.integers(1, W)), draw(st.integers(1, H))
    x, y = draw(st.integers(0, W - w)), draw(st.integers(0, H - h))
    dx = draw(st.integers(-x, W - w - x))
    dy = draw(st.integers(-y, H - h - y))
    return Move(Rect(x, y, w, h), dx, dy)


@st.composite
def op_lists(draw: st.DrawFn) -> list[Move | Paste]:
    ops: list[Move | Paste] = []
    pasted: list[Rect] = []
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.booleans()):
            ops.append(draw(moves()))
            continue
        w, h = draw(st.integers(1, 6)), draw(st.integers(1, 6))
        box = Rect(draw(st.integers(0, W - w)), draw(st.integers(0, H - h)), w, h)
        if all(box.intersect(p).is_empty() for p in pasted):  # (a grab's reads: disjoint)
            pasted.append(box)
            ops.append(Paste(box))
    return ops


@settings(max_examples=400, deadline=None)
@given(op_lists(), st.booleans())
def test_pieces_make_the_frame_the_ops_make(ops: list[Move | Paste], in_place: bool) -> None:
    want = previous()
    apply_in_order(ops, want, reads_frame())
    pieces = compose(ops)
    assert pieces is not None
    before = previous()
    out = before if in_place else previous()
    apply_pieces(pieces, out, before, reads_frame())
    np.testing.assert_array_equal(out, want)
    covered = np.zeros((H, W), bool)
    for p in pieces:
        assert not covered[p.dst.y : p.dst.bottom, p.dst.x : p.dst.right].any()  # disjoint
        covered[p.dst.y : p.dst.bottom, p.dst.x : p.dst.right] = True
    assert not (want != previous())[~covered].any()  # every change is in a piece


def test_a_scroll_burst_writes_each_pixel_once() -> None:
    """Five copies of a terminal's text up by a line, a line drawn (read) between each:
    the pieces hold the window once (not five times), and one read per line."""
    band = Rect(0, 2, W, H - 2)
    ops: list[Move | Paste] = [Move(band, 0, -2)] * 5 + [Paste(Rect(0, H - 2, W, 2))]
    pieces = compose(ops)
    assert pieces is not None
    assert sum(p.dst.area for p in pieces) <= W * H
    assert Piece(Rect(0, 0, W, H - 10), FRAME, 0, -10) in pieces
    assert Piece(Rect(0, H - 2, W, 2), READS, 0, 0) in pieces


def test_a_move_there_and_back_is_no_piece() -> None:
    box = Rect(2, 2, 4, 4)
    assert compose([Move(box, 3, 0), Move(box.shifted(3, 0), -3, 0)]) == [
        Piece(Rect(6, 2, 3, 4), FRAME, 3, 0)  # (what the way back left of the way out)
    ]


def test_too_many_pieces_give_up() -> None:
    ops: list[Move | Paste] = [Paste(Rect(i, 0, 1, 1)) for i in range(W)]
    assert compose(ops, limit=W - 1) is None
    assert compose(ops, limit=W) is not None
