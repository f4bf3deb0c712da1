"""Damage hints, OS-independent (sans-IO): what a backend reports with each grab, how many
small damage rectangles become a few boxes worth grabbing, and window moves as hints.

A backend with hints hands the encoder the boxes it grabbed (``CapturedFrame.damage``):
the encoder diffs only those tiles.  ``None`` means "no hints, diff everything" (the
polling backend, a monitor's first grab, a safety check with one kept frame); an empty
tuple means "nothing changed".
Hints only ever narrow where the encoder looks: a box that did not really change costs a
compare, and a move hint that does not verify costs one failed match, never a wrong pixel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import starmap
from operator import attrgetter
from typing import Final

import numpy as np
import numpy.typing as npt

from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion
from remoteapp.codec.tiles import TILE

try:  # the few-rectangle rule in C (setup.py, Linux); without it, _coalesce_few below
    from remoteapp.capture import _xwire as native
except ImportError:  # pragma: no cover - depends on the build
    native = None  # type: ignore[assignment]

#: Above this many boxes one bounding box is grabbed instead (one request beats many).
MAX_BOXES: Final = 12
#: ... and also when the boxes cover at least this share of their bounding box.
DENSE_SHARE: Final = 0.6
RectTuple = tuple[int, int, int, int]  #: x, y, w, h
#: The whole screen, whatever its size (``coalesce`` clips it): what a source reports
#: when it can no longer say what changed.
EVERYTHING: Final[RectTuple] = (0, 0, 0x7FFF, 0x7FFF)
_WIDTH: Final = attrgetter("w")

#: Up to this many rectangles are merged in plain Python (a keystroke, a caret: the
#: common case, where numpy's per-call overhead would cost more than the work).
FEW_RECTS: Final = 16
#: The rule's numbers and the box type, as the C damage grab takes them
#: (``x11_link.XLink.take_boxes``): it coalesces as ``coalesce`` does, up to FEW_RECTS.
NATIVE_RULES: Final = (TILE, MAX_BOXES, DENSE_SHARE, FEW_RECTS, Rect)


def coalesce(
    rects: Sequence[RectTuple] | npt.NDArray[np.int32], width: int, height: int
) -> list[Rect]:
    """Damage rectangles (x, y, w, h tuples, or an (n, 4) array) as a few disjoint
    boxes aligned to the encoder's 64-px tiles and clipped to ``width`` x ``height``.

    A thousand tiny rectangles become the tiles they touch, merged into spans per band of
    tiles and spans over the same columns in consecutive bands into one box; past
    MAX_BOXES, or when the boxes fill most of their bounding box, the bounding box.
    """
    if len(rects) == 0 or width <= 0 or height <= 0:
        return []
    if len(rects) <= FEW_RECTS:
        few = rects.tolist() if isinstance(rects, np.ndarray) else rects
        if native is not None:  # (a typed key's box: 40 us of cold Python a key, live)
            boxes = native.coalesce_few(few, width, height, TILE, MAX_BOXES, DENSE_SHARE)
            if boxes is not None:
                return list(starmap(Rect, boxes))
        return _coalesce_few(few, width, height)
    rects = np.asarray(rects, np.int32).reshape(-1, 4)
    x0 = np.clip(rects[:, 0], 0, width)
    y0 = np.clip(rects[:, 1], 0, height)
    x1 = np.clip(rects[:, 0] + rects[:, 2], 0, width)
    y1 = np.clip(rects[:, 1] + rects[:, 3], 0, height)
    keep = (x1 > x0) & (y1 > y0)
    if not keep.any():
        return []
    x0, y0, x1, y1 = x0[keep], y0[keep], x1[keep], y1[keep]
    tw, th = -(-width // TILE), -(-height // TILE)
    # mark every tile a rectangle touches: +1/-1 at the corners, then 2-D prefix sums
    marks = np.zeros((th + 1, tw + 1), np.int32)
    tx0, ty0 = x0 // TILE, y0 // TILE
    tx1, ty1 = -(-x1 // TILE), -(-y1 // TILE)
    np.add.at(marks, (ty0, tx0), 1)
    np.add.at(marks, (ty0, tx1), -1)
    np.add.at(marks, (ty1, tx0), -1)
    np.add.at(marks, (ty1, tx1), 1)
    top, bottom = int(ty0.min()), int(ty1.max())  # only the bands something touched
    tiles = marks.cumsum(axis=0)[top:bottom].cumsum(axis=1)[:, :tw] > 0
    boxes = [(a, b + top, c, d + top) for a, b, c, d in _tile_boxes(tiles)]
    return _limit([_to_pixels(box, width, height) for box in boxes], width, height)


def _coalesce_few(rects: Sequence[Sequence[int]], width: int, height: int) -> list[Rect]:
    """``coalesce`` for a handful of rectangles: tile boxes merged while any two overlap."""
    boxes: list[list[int]] = []
    for x, y, w, h in rects:
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, width), min(y + h, height)
        if x1 > x0 and y1 > y0:
            boxes.append([x0 // TILE, y0 // TILE, -(-x1 // TILE), -(-y1 // TILE)])
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            a = boxes[i]
            for j in range(i + 1, len(boxes)):
                b = boxes[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    a[:] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    out = [_to_pixels((b[0], b[1], b[2], b[3]), width, height) for b in boxes]
    return _limit(out, width, height)


def _limit(boxes: list[Rect], width: int, height: int) -> list[Rect]:
    """The boxes, or their bounding box when there are too many or they nearly fill it."""
    if len(boxes) <= 1:
        return boxes
    bound = boxes[0]
    for box in boxes[1:]:
        bound = bound.union(box)
    bound = _tiled(bound, width, height)
    if len(boxes) > MAX_BOXES or sum(r.area for r in boxes) >= DENSE_SHARE * bound.area:
        return [bound]
    return boxes


def cut_to_damage(
    boxes: list[Rect], rects: Sequence[RectTuple] | npt.NDArray[np.int32], wide_from: int
) -> list[Rect]:
    """``boxes`` (``coalesce``'s, from ``rects``) each cut down to the bounds of the parts
    of ``rects`` inside it, in whole pixel pairs; a box at least ``wide_from`` wide in
    its rows only.

    Coalescing grows a box to whole 64-px tiles, and every pixel the tiles add is read
    from the X server, brought over between the kept frames and diffed for nothing.  A
    box that wide is read as whole rows (its columns cost nothing more): a full-screen
    terminal 20 px inside the screen's edges is read 1040 rows high, not 1080.  A dragged
    640x420 window's box (its new place and the strips it left) is read 648x424, not
    the 704-768 x 448-512 of its tiles.  The boxes stay disjoint, and the encoder diffs
    inside them as before: outside them the frame equals the reference.  The safety
    check judges the damage by these boxes too: a change beyond them was not read.  The C damage
    grab cuts its boxes by the same rule (``_xboxes.c``, ``cut_core``).
    """
    if not boxes:
        return boxes
    if len(rects) > FEW_RECTS:
        return _cut_many(boxes, rects, wide_from)
    few = rects.tolist() if isinstance(rects, np.ndarray) else rects
    out = []
    for box in boxes:
        bx0, by0, bx1, by1 = box.x, box.y, box.right, box.bottom
        x0, y0, x1, y1 = bx1, by1, bx0, by0  # (empty until a rectangle)
        for x, y, w, h in few:
            if w > 0 and h > 0 and x < bx1 and x + w > bx0 and y < by1 and y + h > by0:
                x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x + w), max(y1, y + h)
        out.append(_cut(box, x0, y0, x1, y1, wide_from))
    return out


def _cut_many(
    boxes: list[Rect], rects: Sequence[RectTuple] | npt.NDArray[np.int32], wide_from: int
) -> list[Rect]:
    """``cut_to_damage`` for many rectangles (numpy: a thousand tiny ones in one frame)."""
    try:
        xs, ys, ws, hs = np.asarray(rects, np.int64).reshape(-1, 4).T
    except OverflowError:  # (not from an X server, whose numbers are 16-bit: tiles kept)
        return boxes
    rights, bottoms = xs + ws, ys + hs
    real = (ws > 0) & (hs > 0)
    out = []
    for box in boxes:
        inside = real & (xs < box.right) & (rights > box.x) & (ys < box.bottom) & (bottoms > box.y)
        if not inside.any():  # (coalesce made the box from rects: one is inside)
            out.append(box)
            continue
        x0, y0 = int(xs[inside].min()), int(ys[inside].min())
        x1, y1 = int(rights[inside].max()), int(bottoms[inside].max())
        out.append(_cut(box, x0, y0, x1, y1, wide_from))
    return out


def _cut(box: Rect, x0: int, y0: int, x1: int, y1: int, wide_from: int) -> Rect:
    """``box`` cut to the damage bounds (x0, y0)-(x1, y1), in rows only if it is wide,
    its columns out to whole pixel pairs (the encoder compares rows as 64-bit pairs where
    a box starts on an even column and is of even width, and the safety check's diff
    reports pairs); as it is when the bounds are empty."""
    if x1 <= x0:
        return box
    top, bottom = max(box.y, y0), min(box.bottom, y1)
    if box.w >= wide_from:
        return Rect(box.x, top, box.w, bottom - top)
    left, right = max(box.x, x0 - (x0 & 1)), min(box.right, x1 + (x1 & 1))
    return Rect(left, top, right - left, bottom - top)


def _tile_boxes(tiles: npt.NDArray[np.bool_]) -> list[tuple[int, int, int, int]]:
    """(tx0, ty0, tx1, ty1) boxes covering the marked tiles: row runs, merged downwards."""
    done: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}  # (tx0, tx1) -> first tile row
    for ty in range(tiles.shape[0]):
        padded = np.concatenate(([False], tiles[ty], [False])).astype(np.int8)
        edges = np.flatnonzero(np.diff(padded))
        runs = {(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)}
        for run, top in list(open_runs.items()):
            if run not in runs:
                done.append((run[0], top, run[1], ty))
                del open_runs[run]
        for run in runs:
            open_runs.setdefault(run, ty)
    done.extend((run[0], top, run[1], tiles.shape[0]) for run, top in open_runs.items())
    return done


def _to_pixels(box: tuple[int, int, int, int], width: int, height: int) -> Rect:
    x0, y0 = box[0] * TILE, box[1] * TILE
    return Rect(x0, y0, min(box[2] * TILE, width) - x0, min(box[3] * TILE, height) - y0)


def _tiled(rect: Rect, width: int, height: int) -> Rect:
    """``rect`` grown to whole tiles, clipped to the frame."""
    x0, y0 = rect.x // TILE * TILE, rect.y // TILE * TILE
    x1 = min(-(-rect.right // TILE) * TILE, width)
    y1 = min(-(-rect.bottom // TILE) * TILE, height)
    return Rect(x0, y0, x1 - x0, y1 - y0)


@dataclass(frozen=True, slots=True)
class Geometry:
    """A top-level window's outer box (border included) in screen coordinates."""

    x: int
    y: int
    w: int
    h: int


class WindowMoves:
    """Top-level windows' positions from configure events, as move hints per grab.

    ``moved()`` compares the box of each window configured since the previous call with
    its box at that call: a window that kept its size but changed place is a hint
    ``Motion(dx, dy, new box)`` for the move detector (a drag); a resize or a first
    sighting is no hint.  Only the windows configured since are looked at: a desktop
    has dozens of top-level windows (most unmapped), and a typed key moves none.
    """

    def __init__(self) -> None:
        self._now: dict[int, Geometry] = {}
        #: the windows configured since the last ``moved()``: their box then (None: new)
        self._then: dict[int, Geometry | None] = {}

    def configure(self, window: int, geometry: Geometry) -> None:
        if window not in self._then:
            self._then[window] = self._now.get(window)
        self._now[window] = geometry

    def forget(self, window: int) -> None:
        self._now.pop(window, None)
        self._then.pop(window, None)

    def moved(self, left: int = 0, top: int = 0) -> tuple[Motion, ...]:
        """Hints since the last call, in coordinates relative to (``left``, ``top``), in
        the order the windows were first configured since."""
        if not self._then:
            return ()
        hints = []
        for window, then in self._then.items():
            now = self._now[window]
            if then is None or (then.w, then.h) != (now.w, now.h):
                continue
            if (then.x, then.y) != (now.x, now.y):
                dst = Rect(now.x - left, now.y - top, now.w, now.h)
                hints.append(Motion(now.x - then.x, now.y - then.y, dst))
        self._then = {}
        return tuple(hints)


def as_rect_array(rects: Iterable[tuple[int, int, int, int]]) -> npt.NDArray[np.int32]:
    """(x, y, w, h) tuples as the (n, 4) array ``coalesce`` takes."""
    return np.array(list(rects), np.int32).reshape(-1, 4)
