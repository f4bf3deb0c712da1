"""Rectangles in framebuffer pixel coordinates."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Final, NamedTuple


class Rect(NamedTuple):
    """Half-open pixel rectangle: columns ``x .. x+w-1``, rows ``y .. y+h-1``.

    A named tuple, not a dataclass: a typed key makes some six of them, and a tuple's
    construction runs no Python ``__init__`` (a frozen dataclass's sets each field).  It
    compares equal to a plain ``(x, y, w, h)`` tuple, and the C extensions take it as one.
    """

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def area(self) -> int:
        return self.w * self.h

    def is_empty(self) -> bool:
        return self.w <= 0 or self.h <= 0

    def inside(self, width: int, height: int) -> bool:
        """True when the whole rectangle lies within a ``width`` x ``height`` framebuffer."""
        return self.x >= 0 and self.y >= 0 and self.right <= width and self.bottom <= height

    def intersect(self, other: Rect) -> Rect:
        # (unpacked once, compared inline: the copy capture calls this some 40 times a
        # frame while a window scrolls, and each property or max() call is a frame)
        x, y, w, h = self
        ox, oy, ow, oh = other
        x0, y0 = (x if x >= ox else ox), (y if y >= oy else oy)
        x1, y1 = min(x + w, ox + ow), min(y + h, oy + oh)
        return rect_from((x0, y0, x1 - x0 if x1 > x0 else 0, y1 - y0 if y1 > y0 else 0))

    def union(self, other: Rect) -> Rect:
        x0, y0 = min(self.x, other.x), min(self.y, other.y)
        x1, y1 = max(self.right, other.right), max(self.bottom, other.bottom)
        return Rect(x0, y0, x1 - x0, y1 - y0)

    def shifted(self, dx: int, dy: int) -> Rect:
        x, y, w, h = self
        return rect_from((x + dx, y + dy, w, h))

    def minus(self, cut: Rect) -> list[Rect]:
        """This rectangle without ``cut``, as up to four disjoint strips (top, bottom,
        then left and right of the overlap)."""
        x, y, w, h = self
        cx, cy, cw, ch = cut
        right, bottom = x + w, y + h
        x0, y0 = (x if x >= cx else cx), (y if y >= cy else cy)
        x1, y1 = min(right, cx + cw), min(bottom, cy + ch)
        if x1 <= x0 or y1 <= y0:  # (no overlap; an empty self never overlaps)
            return [self]
        parts = []
        if y0 > y:
            parts.append(rect_from((x, y, w, y0 - y)))
        if bottom > y1:
            parts.append(rect_from((x, y1, w, bottom - y1)))
        if x0 > x:
            parts.append(rect_from((x, y0, x0 - x, y1 - y0)))
        if right > x1:
            parts.append(rect_from((x1, y0, right - x1, y1 - y0)))
        return parts


#: a Rect from a 4-tuple in one C call (the named tuple's own ``__new__`` is a Python
#: function: a frame for each of the many a scroll's copies make); for the hot paths that
#: build Rects from numbers they have already checked
rect_from: Final[Callable[[tuple[int, int, int, int]], Rect]] = partial(tuple.__new__, Rect)


def bounding_box(rects: list[Rect]) -> Rect | None:
    """Smallest rectangle holding every rectangle in ``rects`` (None for an empty list)."""
    if not rects:
        return None
    box = rects[0]
    for rect in rects[1:]:
        box = box.union(rect)
    return box
