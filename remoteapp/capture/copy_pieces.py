"""The copy model's ops for one grab, composed into pieces of the new frame (sans-IO).

Why: a terminal scrolled by 100 lines a second copies its text up some fifty times a
second, a few times between two grabs.  Applied one by one (``copy_model.Move``), each
copy moves the whole window in the capture's frame: 8 MB a copy at 1080p.  Composed,
every pixel of the new frame is written once, from where it was in the previous frame
(or in the grab's reads), whatever the number of copies.

A piece says where some pixels of the new frame come from::

    Piece(dst, READS, dx, dy)   from the grab's reads, at dst shifted by (-dx, -dy)
    Piece(dst, FRAME, dx, dy)   from the previous frame, at dst shifted by (-dx, -dy)

Pixels no piece covers are the previous frame's, where they were.  The pieces are
disjoint; their union holds every pixel that may differ from the previous frame (the
encoder's damage).  The grab's reads are one frame-sized buffer with each read box at its
place (the reads of one grab are disjoint: the model's unknown rectangles).

``compose`` gives up (None) past ``limit`` pieces; the caller then applies the ops one by
one (``apply_in_order``), which is always right and only slower.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NamedTuple

import numpy as np

from remoteapp.capture.copy_model import Move, Paste
from remoteapp.codec.geometry import Rect
from remoteapp.codec.pixels import Pixels

FRAME: Final = 0  #: a piece's pixels come from the previous frame
READS: Final = 1  #: ... from the grab's reads
#: the most pieces ``compose`` keeps (a grab's copies and reads make a few each)
MAX_PIECES: Final = 256


class Piece(NamedTuple):
    dst: Rect
    source: int  #: FRAME or READS
    dx: int
    dy: int

    @property
    def src(self) -> Rect:
        return self.dst.shifted(-self.dx, -self.dy)


def compose(ops: Sequence[Move | Paste], limit: int = MAX_PIECES) -> list[Piece] | None:
    """The pieces the ops make of the previous frame and the reads, in their order; None
    past ``limit`` pieces.  Pieces that are the previous frame's pixels where they were
    (moved away and back) are dropped."""
    pieces: list[Piece] = []
    for op in ops:
        if isinstance(op, Paste):
            made = [Piece(op.box, READS, 0, 0)]
            pieces = _without(pieces, op.box)
        else:
            dst = op.src.shifted(op.dx, op.dy)
            made = []
            rest = [op.src]  #: the source's pixels no piece covers: the frame's own
            for piece in pieces:
                part = piece.dst.intersect(op.src)
                if part.is_empty():
                    continue
                shifted = part.shifted(op.dx, op.dy)
                made.append(Piece(shifted, piece.source, piece.dx + op.dx, piece.dy + op.dy))
                rest = [left for have in rest for left in have.minus(part)]
            made += [Piece(r.shifted(op.dx, op.dy), FRAME, op.dx, op.dy) for r in rest]
            pieces = _without(pieces, dst)
        pieces += [p for p in made if p.source == READS or p.dx or p.dy]
        if len(pieces) > limit:
            return None
    return pieces


def _without(pieces: list[Piece], cut: Rect) -> list[Piece]:
    return [Piece(part, p.source, p.dx, p.dy) for p in pieces for part in p.dst.minus(cut)]


def apply_pieces(pieces: Sequence[Piece], out: Pixels, frame: Pixels, reads: Pixels) -> None:
    """Write each piece into ``out`` from ``frame`` (the previous frame) or ``reads``.
    ``out`` may be ``frame`` itself: the sources are then taken before any is written."""
    if out is frame:
        taken = [
            (p.dst, (frame if p.source == FRAME else reads)[_rows(p.src), _cols(p.src)].copy())
            for p in pieces
        ]
        for dst, pixels in taken:
            out[_rows(dst), _cols(dst)] = pixels
        return
    for p in pieces:
        source = frame if p.source == FRAME else reads
        out[_rows(p.dst), _cols(p.dst)] = source[_rows(p.src), _cols(p.src)]


def apply_in_order(ops: Sequence[Move | Paste], out: Pixels, reads: Pixels) -> None:
    """The ops applied to ``out`` one by one (``compose``'s fallback)."""
    for op in ops:
        if isinstance(op, Paste):
            np.copyto(out[_rows(op.box), _cols(op.box)], reads[_rows(op.box), _cols(op.box)])
        else:
            dst = op.src.shifted(op.dx, op.dy)
            out[_rows(dst), _cols(dst)] = out[_rows(op.src), _cols(op.src)].copy()


def _rows(r: Rect) -> slice:
    return slice(r.y, r.bottom)


def _cols(r: Rect) -> slice:
    return slice(r.x, r.right)
