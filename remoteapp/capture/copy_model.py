"""The screen between grabs, followed in the RECORD stream's order: the copy model (sans-IO).

Why: a scrolling terminal copies its text up and draws one new line; DAMAGE reports the
whole window, so today every frame reads it all.  With the copies seen in the stream
(``x11_record``) and trusted where their GC is plain (``x11_gcs``) and their window wholly
visible (the caller's proof), the capture can move its own frame's pixels as the server
did and read only what no copy explains (docs/capture.md, "Scroll's Xvfb load").

The model keeps two regions of the capture's frame, as lists of disjoint rectangles:
``unknown`` (pixels the frame does not hold: to read) and ``fresh`` (pixels the frame
holds that the viewer cannot get by the moves: to send).  Events, in the stream's order:

- ``damage(rect, more)``: a raw DAMAGE report's box (``more``: more boxes of the same
  report follow).  Those pixels changed: unknown.
- ``moved(src, dx, dy)``: a trusted copy.  The frame's pixels move with it (a ``Move``
  for the caller to apply), and so do both regions.  Its own damage report comes right
  after it in the stream and must be exactly its destination: anything else (another
  report, another event first) means the copy did not do what was trusted (refused, or
  the window covered after all), and its destination becomes unknown.
- ``other()``: any other event of the stream (it ends a copy's wait for its report).
- ``read(box)``: the place of the capture's own read of ``box``: the frame holds those
  pixels as of here (a ``Paste`` for the caller to apply, with the read's data).

``ops()`` hands over the moves and pastes in order; applied to the frame in that order
they bring it to the screen as of the last event, but where ``unknown``.  ``update()``
hands the viewer's share: every move since the last update, in order, and the ``fresh``
region, whose pixels the frame has and the viewer must be sent (a move of fresh pixels
moves garbage on the viewer; the destination is fresh, so it is overwritten).

Regions are bounded: past ``max_rects`` rectangles a region becomes its bounding box,
which only reads or sends more, never less.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from remoteapp.codec.geometry import Rect, bounding_box

#: the most rectangles a region keeps before it becomes its bounding box
MAX_RECTS: Final = 64


@dataclass(frozen=True, slots=True)
class Move:
    """Pixels of ``src`` moved by (dx, dy), as the server's copy did."""

    src: Rect
    dx: int
    dy: int


@dataclass(frozen=True, slots=True)
class Paste:
    """The capture's read of ``box``, put into its frame at this point of the order."""

    box: Rect


class Region:
    """Disjoint rectangles; past ``limit`` of them, their bounding box (a superset)."""

    def __init__(self, limit: int = MAX_RECTS) -> None:
        self.rects: list[Rect] = []
        self._limit = limit

    def __bool__(self) -> bool:
        return bool(self.rects)

    def add(self, rect: Rect) -> None:
        x0, y0, w, h = rect
        if w <= 0 or h <= 0:
            return
        x1, y1 = x0 + w, y0 + h
        pieces = [rect]
        for have in self.rects:  # (a glyph's damage, thousands a second: plain compares)
            hx0, hy0, hw, hh = have
            hx1, hy1 = hx0 + hw, hy0 + hh
            if hx0 >= x1 or hx1 <= x0 or hy0 >= y1 or hy1 <= y0:
                continue  # (apart: most of them)
            if hx0 <= x0 and hy0 <= y0 and hx1 >= x1 and hy1 >= y1:
                return  # (inside one: nothing new)
            pieces = [part for piece in pieces for part in piece.minus(have)]
            if not pieces:
                return
        self.rects += pieces
        if len(self.rects) > self._limit:
            box = bounding_box(self.rects)
            self.rects = [] if box is None else [box]

    def remove(self, rect: Rect) -> None:
        x0, y0, w, h = rect
        x1, y1 = x0 + w, y0 + h
        kept: list[Rect] = []
        for have in self.rects:
            hx, hy, hw, hh = have
            if hx >= x1 or hx + hw <= x0 or hy >= y1 or hy + hh <= y0:
                kept.append(have)  # (apart: as it is)
            else:
                kept += have.minus(rect)
        self.rects = kept

    def overlapping(self, rect: Rect) -> list[Rect]:
        x0, y0, w, h = rect
        x1, y1 = x0 + w, y0 + h
        return [
            have.intersect(rect)
            for have in self.rects
            if have.x < x1 and have.x + have.w > x0 and have.y < y1 and have.y + have.h > y0
        ]

    def move(self, src: Rect, dx: int, dy: int) -> None:
        """As a copy of ``src`` by (dx, dy) does to the pixels it marks."""
        carried = [part.shifted(dx, dy) for part in self.overlapping(src)]
        self.remove(src.shifted(dx, dy))
        for part in carried:
            self.add(part)

    def clear(self) -> None:
        self.rects = []


class CopyModel:
    """The capture's frame against the screen, event by event (module docstring)."""

    def __init__(self, width: int, height: int, max_rects: int = MAX_RECTS) -> None:
        self.screen = Rect(0, 0, width, height)
        self.unknown = Region(max_rects)
        self.unknown.add(self.screen)  # (nothing read yet)
        self.fresh = Region(max_rects)
        self._ops: list[Move | Paste] = []
        self._moves: list[Move] = []
        self._expect: Rect | None = None  #: a trusted copy's destination, its report due
        self._report: list[Rect] = []  #: the boxes of the report under way
        self.mismatches = 0  #: trusted copies whose report was not their destination

    @property
    def awaiting(self) -> bool:
        """A trusted copy's report is still due: its move stands only if the next event
        of the stream is that report (the caller must see one more event)."""
        return self._expect is not None

    def damage(self, rect: Rect, more: bool = False) -> None:
        rect = rect.intersect(self.screen)
        if self._expect is None:
            self.unknown.add(rect)
            return
        self._report.append(rect)
        if not more:
            self._settle(self._report)

    def moved(self, src: Rect, dx: int, dy: int) -> None:
        """A trusted copy: ``src`` and its destination must lie on the screen."""
        self.other()
        dst = src.shifted(dx, dy)
        if src.is_empty() or not (src.inside(*self.screen[2:]) and dst.inside(*self.screen[2:])):
            raise ValueError(f"a trusted copy off the screen: {src} by ({dx}, {dy})")
        move = Move(src, dx, dy)
        self._ops.append(move)
        self._moves.append(move)
        self.unknown.move(src, dx, dy)
        self.fresh.move(src, dx, dy)
        self._expect, self._report = dst, []

    def other(self) -> None:
        if self._expect is not None:
            self._settle([])

    def read(self, box: Rect) -> None:
        self.other()
        box = box.intersect(self.screen)
        if box.is_empty():
            return
        self._ops.append(Paste(box))
        self.unknown.remove(box)
        self.fresh.add(box)

    def ops(self) -> list[Move | Paste]:
        """The moves and pastes since the last call, for the frame, in order."""
        ops, self._ops = self._ops, []
        return ops

    def update(self) -> tuple[list[Move], list[Rect]]:
        """The viewer's share since the last call: the moves in order, then the fresh
        rectangles to send from the frame (which must have had ``ops()`` applied)."""
        moves, self._moves = self._moves, []
        fresh, self.fresh.rects = self.fresh.rects, []
        return moves, fresh

    def _settle(self, report: list[Rect]) -> None:
        """A trusted copy's report is in (or none came): it must be its destination."""
        dst, self._expect, self._report = self._expect, None, []
        assert dst is not None
        area = sum(box.area for box in report)
        if area == dst.area and all(box.intersect(dst) == box for box in report):
            return  # (a report's boxes are disjoint: inside and as large is equal)
        self.mismatches += 1
        self.unknown.add(dst)
        for box in report:
            self.unknown.add(box)
