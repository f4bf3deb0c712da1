"""Rectangles in framebuffer pixel coordinates."""

from __future__ import annotations

from typing import NamedTuple


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
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1, y1 = min(self.right, other.right), min(self.bottom, other.bottom)
        return Rect(x0, y0, max(0, x1 - x0), max(0, y1 - y0))

    def union(self, other: Rect) -> Rect:
        x0, y0 = min(self.x, other.x), min(self.y, other.y)
        x1, y1 = max(self.right, other.right), max(self.bottom, other.bottom)
        return Rect(x0, y0, x1 - x0, y1 - y0)

    def shifted(self, dx: int, dy: int) -> Rect:
        return Rect(self.x + dx, self.y + dy, self.w, self.h)

    def minus(self, cut: Rect) -> list[Rect]:
        """This rectangle without ``cut``, as up to four disjoint strips (top, bottom,
        then left and right of the overlap)."""
        inner = self.intersect(cut)
        if inner.is_empty():
            return [self]
        parts = [
            Rect(self.x, self.y, self.w, inner.y - self.y),
            Rect(self.x, inner.bottom, self.w, self.bottom - inner.bottom),
            Rect(self.x, inner.y, inner.x - self.x, inner.h),
            Rect(inner.right, inner.y, self.right - inner.right, inner.h),
        ]
        return [p for p in parts if not p.is_empty()]


def bounding_box(rects: list[Rect]) -> Rect | None:
    """Smallest rectangle holding every rectangle in ``rects`` (None for an empty list)."""
    if not rects:
        return None
    box = rects[0]
    for rect in rects[1:]:
        box = box.union(rect)
    return box
