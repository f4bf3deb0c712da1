"""Which parts of a frame changed: 64x64 tile delta detection, merged into rectangles.

The area is compared once, as 64-bit pixel pairs where the layout allows (half the
compares); a static frame costs about one full-frame compare.  Changed tiles in a row of
tiles merge into spans, each span is tightened to the pixels that changed, and spans
over the same tile columns in consecutive bands merge into one rectangle.  ``TileDiff``
keeps the compare, so a caller that only needs the changed area's bounds (the move
detector's region, before a scroll's copy explains most of it) skips the merge.

A few small boxes (a typed key's) are diffed by the optional C extension ``_tilediff``
where it is built (``boxes_changed_rects``): the same rectangles, without numpy's
per-call overhead, which cold is most of such a diff's cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import starmap
from typing import Final, cast

import numpy as np
import numpy.typing as npt

from remoteapp.codec.compare import not_equal, pair_view
from remoteapp.codec.geometry import Rect, bounding_box
from remoteapp.codec.pixels import Pixels

try:
    from remoteapp.codec import _tilediff as native
except ImportError:  # not built (no compiler at install, not Linux): numpy does it
    native = None  # type: ignore[assignment]

TILE: Final = 64
NATIVE_BOXES: Final = 4096  #: the most boxes the C diff takes in one call (_tilediff.c)


def as_words(frame: Pixels) -> npt.NDArray[np.uint32]:
    """View an (h, w, 4) BGRA frame as (h, w) 32-bit pixels, without copying."""
    return frame.view(np.uint32).reshape(frame.shape[0], frame.shape[1])


def changed_rects(
    cur: npt.NDArray[np.uint32], ref: npt.NDArray[np.uint32], area: Rect | None = None
) -> list[Rect]:
    """Rectangles covering every pixel where ``cur`` differs from ``ref``.

    ``area`` limits the search (tile grid anchored at its corner).  The rectangles do not
    overlap; each is tight to the changed rows and, when the block is compared as 64-bit
    pixel pairs, to the changed columns rounded out to whole pairs.
    """
    return TileDiff(cur, ref, area).rects()


def boxes_changed_rects(
    cur: Pixels | npt.NDArray[np.uint32],
    ref: Pixels | npt.NDArray[np.uint32],
    boxes: Sequence[Rect],
    bounds: Rect | None = None,
) -> list[Rect] | None:
    """``TileDiff(cur, ref, box).rects()`` of every box, by the C extension: None where it
    is not built.  ``cur`` and ``ref``: two whole (h, w, 4) C-contiguous frames (or their
    ``as_words`` views).  ``bounds``: a rectangle holding every box, if the caller knows
    one (then only it is checked against the frame)."""
    height, width = cur.shape[:2]
    if native is None or len(boxes) > NATIVE_BOXES or cur.ctypes.data % 4 or ref.ctypes.data % 4:
        return None  # (the C diff reads 32-bit pixels, and takes a bounded list)
    # (a box in the bounds is in the frame; a negative one is TileDiff's either way, since
    # ``inside`` holds for one whose far edge falls back inside the frame)
    known = bounds is not None and bounds.inside(width, height)
    if not all(b.w >= 0 and b.h >= 0 and (known or b.inside(width, height)) for b in boxes):
        return None  # (TileDiff clips a box off the frame: no second meaning in C)
    found = native.changed_rects(cur, ref, width, height, boxes)  # (a Rect is a tuple)
    return list(starmap(Rect, found))


def parts_changed_rects(
    cur: npt.NDArray[np.uint32], ref: npt.NDArray[np.uint32], parts: Sequence[Rect]
) -> list[Rect]:
    """``changed_rects(cur, ref, part)`` of every part, in order, of two whole frames'
    words: one C call where it is built and takes them (a copy's strips, a scroll's new
    lines and margins, cost a dozen numpy calls each in ``TileDiff``), else TileDiff's."""
    if not parts:
        return []
    found = boxes_changed_rects(cur, ref, parts)
    if found is not None:
        return found
    return [r for part in parts for r in TileDiff(cur, ref, part).rects()]


def small_box_rects(
    cur: Pixels, ref: Pixels, damage: Sequence[Rect] | None, min_area: int, max_side: int = 0
) -> list[Rect] | None:
    """The changed rectangles of damage whose bounds are smaller than ``min_area`` or fit
    in ``max_side`` x ``max_side`` (a typed key's box: ``small_path.SMALL_SIDE``; 0: by
    area alone), diffed in C; None otherwise, or without the C extension (``TileDiff``
    then).  ``Stream.encode_small`` takes the same boxes."""
    if not damage:
        return None
    bound = damage[0] if len(damage) == 1 else bounding_box(list(damage))
    if bound is None or (bound.area >= min_area and (bound.w > max_side or bound.h > max_side)):
        return None
    return boxes_changed_rects(cur, ref, damage, bound)


class TileDiff:
    """Where ``cur`` differs from ``ref`` inside ``area``.

    ``bounds()`` scans inward from the area's edges and stops at the first change on each
    side: where the change is dense (a scroll, a video) it reads a few strips, not the
    area, and that is all a caller needs when a copy will explain the change.  ``rects()``
    then compares only the tile-aligned block inside those bounds (the rows and columns
    the scan read are unchanged), so a sparse change still costs about one compare.
    """

    __slots__ = ("_bounds", "_cur", "_ne", "_ne_top", "_ref", "_scanned", "_unit", "_x0", "_y0")

    def __init__(
        self, cur: npt.NDArray[np.uint32], ref: npt.NDArray[np.uint32], area: Rect | None = None
    ) -> None:
        height, width = cur.shape
        if area is None:
            area = Rect(0, 0, width, height)
        self._x0, self._y0 = area.x, area.y
        cur_a = cur[area.y : area.bottom, area.x : area.right]
        ref_a = ref[area.y : area.bottom, area.x : area.right]
        cur_u, ref_u = pair_view(cur_a), pair_view(ref_a)
        self._unit = 2
        if cur_u is None or ref_u is None:
            cur_u, ref_u, self._unit = cur_a, ref_a, 1
        self._cur: npt.NDArray[np.generic] = cur_u
        self._ref: npt.NDArray[np.generic] = ref_u
        # the compare of the area's rows from _ne_top on, when made (it holds every change)
        self._ne: npt.NDArray[np.bool_] | None = None
        self._ne_top = 0
        self._bounds: tuple[int, int, int, int] | None = None
        self._scanned = False

    def _unit_bounds(self) -> tuple[int, int, int, int] | None:
        """(first unit, first row, last unit + 1, last row + 1) that changed, in the area."""
        if self._scanned:
            return self._bounds
        self._scanned = True
        cur, ref = self._cur, self._ref
        height, units = cur.shape
        if self._one_tile():
            return self._tile_bounds()
        if height * units <= SCAN_ABOVE:
            # a small area (a keystroke's box): one compare beats a scan's many calls
            ne = self._ne = not_equal(cur, ref)
            rows = np.flatnonzero(ne.any(axis=1))
            if rows.size == 0:
                return None
            cols = np.flatnonzero(ne.any(axis=0))
            found = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
            self._bounds = found
            return found
        top = first_change(cur, ref, 0, height, rows=True, backward=False)
        if top is None:
            return None
        bottom = first_change(cur, ref, top, height, rows=True, backward=True)
        assert bottom is not None  # row ``top`` changed
        cur, ref = cur[top : bottom + 1], ref[top : bottom + 1]
        if cur.size <= SCAN_ABOVE:
            # a few rows (a line of text): compare them whole rather than column strips
            ne = self._ne = not_equal(cur, ref)
            self._ne_top = top
            cols = np.flatnonzero(ne.any(axis=0))
            left, right = int(cols[0]), int(cols[-1])
        else:
            found_left = first_change(cur, ref, 0, units, rows=False, backward=False)
            assert found_left is not None
            left = found_left
            found_right = first_change(cur, ref, left, units, rows=False, backward=True)
            assert found_right is not None
            right = found_right
        self._bounds = (left, top, right + 1, bottom + 1)
        return self._bounds

    def _one_tile(self) -> bool:
        """Whether the area fits in one tile (a typed key's damage box): the bounds and
        the rectangles then take their few-call paths."""
        height, units = self._cur.shape
        return bool(height <= TILE and units * self._unit <= TILE)

    def _tile_bounds(self) -> tuple[int, int, int, int] | None:
        """``_unit_bounds`` of an area of one tile at most (a typed key's damage box):
        the compare read as bytes, one per unit, and searched row by row in Python, where
        the reductions would be four more numpy calls at ~20 us each cold."""
        ne = self._ne = np.not_equal(self._cur, self._ref)
        flat = ne.tobytes()
        first = flat.find(1)
        if first < 0:
            return None
        units = ne.shape[1]
        top, bottom = first // units, flat.rfind(1) // units + 1
        left, right = units, 0
        for start in range(top * units, bottom * units, units):
            row = flat[start : start + units]
            hit = row.find(1)
            if hit >= 0:
                left, right = min(left, hit), max(right, row.rfind(1) + 1)
        self._bounds = (left, top, right, bottom)
        return self._bounds

    def bounds(self) -> Rect | None:
        """The bounding box of ``rects()`` (None when nothing changed)."""
        found = self._unit_bounds()
        if found is None:
            return None
        left, top, right, bottom = found
        unit = self._unit
        return Rect(self._x0 + left * unit, self._y0 + top, (right - left) * unit, bottom - top)

    def rects(self) -> list[Rect]:
        """The changed 64x64 tiles merged into tight, disjoint rectangles.

        Per band of 64 rows, changed tiles in a row of tiles merge into spans, each span is
        tightened to the units and rows that changed, and spans over the same tile columns
        in consecutive bands merge into one rectangle.  The per-band and per-tile facts
        come from a few whole-array reductions; only the merge is a Python loop.
        """
        found = self._unit_bounds()
        if found is None:
            return []
        if self._one_tile():
            # one tile (a typed key's damage box): its one span, tightened, is the bounds;
            # the merge below would make two dozen numpy calls to say so, ~60 us cold
            bounds = self.bounds()
            assert bounds is not None  # found
            return [bounds]
        return self.merged_rects()

    def merged_rects(self) -> list[Rect]:
        """``rects()`` by the general merge, for any area (tests: the one-tile shortcut)."""
        found = self._unit_bounds()
        if found is None:
            return []
        unit, x0, y0 = self._unit, self._x0, self._y0
        per = TILE // unit  # units in a tile
        # the block of whole tiles holding every change; outside it nothing changed
        band0, tile0 = found[1] // TILE, found[0] // per
        row0, col0 = band0 * TILE, tile0 * per
        row1 = min(-(-found[3] // TILE) * TILE, self._cur.shape[0])
        col1 = min(-(-found[2] // per) * per, self._cur.shape[1])
        if self._ne is not None:
            # the compare made while finding the bounds; rows it left out did not change
            ne = np.zeros((row1 - row0, col1 - col0), np.bool_)
            top = max(row0, self._ne_top)
            bottom = min(row1, self._ne_top + self._ne.shape[0])
            ne[top - row0 : bottom - row0] = self._ne[
                top - self._ne_top : bottom - self._ne_top, col0:col1
            ]
        else:
            ne = not_equal(self._cur[row0:row1, col0:col1], self._ref[row0:row1, col0:col1])
        height, units = ne.shape
        bands, full = -(-height // TILE), height // TILE
        tiles_n = -(-units // per)
        # per band, which units changed (padded to whole tiles)
        band_cols = np.zeros((bands, tiles_n * per), np.bool_)
        if full:
            ne[: full * TILE].reshape(full, TILE, units).any(axis=1, out=band_cols[:full, :units])
        if full < bands:
            ne[full * TILE :].any(axis=0, out=band_cols[full, :units])
        by_tile = band_cols.reshape(bands, tiles_n, per)
        tiles = by_tile.any(axis=2)
        # the first and last changed unit of each tile (meaningful where the tile changed)
        first_unit: list[list[int]] = by_tile.argmax(axis=2).tolist()
        last_unit: list[list[int]] = (per - 1 - by_tile[:, :, ::-1].argmax(axis=2)).tolist()
        tile_flags: list[list[bool]] = cast(list[list[bool]], tiles.tolist())

        done: list[Rect] = []
        # spans open from the previous band: tile span -> (x0, y0, x1, y1) tight box so far
        open_spans: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        for band, flags in enumerate(tile_flags):
            by = band * TILE
            if not any(flags):
                done.extend(_close(open_spans, x0, y0))
                open_spans = {}
                continue
            band_ne = ne[by : by + TILE]
            firsts, lasts = first_unit[band], last_unit[band]
            new_spans: dict[tuple[int, int], tuple[int, int, int, int]] = {}
            for t0, t1 in _flag_runs(flags):
                rows: npt.NDArray[np.bool_] = np.logical_or.reduce(
                    band_ne[:, t0 * per : min(t1 * per, units)], axis=1
                )
                box = (
                    (col0 + t0 * per + firsts[t0]) * unit,
                    row0 + by + int(rows.argmax()),
                    (col0 + (t1 - 1) * per + lasts[t1 - 1] + 1) * unit,
                    row0 + by + rows.shape[0] - int(rows[::-1].argmax()),
                )
                key = (tile0 + t0, tile0 + t1)
                prev = open_spans.pop(key, None)
                if prev is not None and prev[3] == row0 + by and box[1] == row0 + by:
                    box = (min(prev[0], box[0]), prev[1], max(prev[2], box[2]), box[3])
                elif prev is not None:
                    done.append(_to_rect(prev, x0, y0))
                new_spans[key] = box
            done.extend(_close(open_spans, x0, y0))
            open_spans = new_spans
        done.extend(_close(open_spans, x0, y0))
        return done


#: Areas of at most this many compared units are compared whole, not scanned.
SCAN_ABOVE: Final = 1 << 16
#: The inward scan's first strip (rows or units) and its largest, doubling in between:
#: a dense change is found in one small strip, a sparse one in few large ones.
SCAN_FIRST: Final = 8
SCAN_MAX: Final = 64


def first_change(
    cur: npt.NDArray[np.generic],
    ref: npt.NDArray[np.generic],
    lo: int,
    hi: int,
    *,
    rows: bool,
    backward: bool,
    first: int = SCAN_FIRST,
    largest: int = SCAN_MAX,
    growth: int = 2,
) -> int | None:
    """The first (``backward``: last) row or column in [lo, hi) where ``cur != ref``,
    compared in strips from ``first`` rows (or units) up to ``largest``, ``growth``
    times larger each: only the strips up to the change are read."""
    size = first
    contiguous = cur.strides[0] == cur.shape[1] * cur.itemsize
    while lo < hi:
        a, b = (max(lo, hi - size), hi) if backward else (lo, min(hi, lo + size))
        if not rows:
            ne = np.not_equal(cur[:, a:b], ref[:, a:b])
        elif contiguous:  # whole rows of the frame (polling): numpy's fast path as is
            ne = np.not_equal(cur[a:b], ref[a:b])
        else:
            ne = not_equal(cur[a:b], ref[a:b])
        if ne.any():  # usually not: one fast reduce, and only a hit says where
            hit = np.flatnonzero(ne.any(axis=1 if rows else 0))
            return a + int(hit[-1] if backward else hit[0])
        if backward:
            hi = a
        else:
            lo = b
        size = min(size * growth, largest)
    return None


def _flag_runs(flags: list[bool]) -> list[tuple[int, int]]:
    """Half-open index runs where ``flags`` is True (a row of tiles: a few dozen)."""
    runs: list[tuple[int, int]] = []
    start = -1
    for i, flag in enumerate(flags):
        if flag and start < 0:
            start = i
        elif not flag and start >= 0:
            runs.append((start, i))
            start = -1
    if start >= 0:
        runs.append((start, len(flags)))
    return runs


def _to_rect(box: tuple[int, int, int, int], x0: int, y0: int) -> Rect:
    return Rect(x0 + box[0], y0 + box[1], box[2] - box[0], box[3] - box[1])


def _close(spans: dict[tuple[int, int], tuple[int, int, int, int]], x0: int, y0: int) -> list[Rect]:
    return [_to_rect(box, x0, y0) for box in spans.values()]
