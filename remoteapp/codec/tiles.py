"""Which parts of a frame changed: 64x64 tile delta detection, merged into rectangles.

Each band of 64 rows is compared once, as 64-bit pixel pairs where the layout allows, and
an unchanged band stops there, so a static frame costs about one full-frame compare.
Inside a changed band, changed tiles
in a row of tiles merge into spans, each span is tightened to the pixels that changed,
and spans over the same tile columns in consecutive bands merge into one rectangle.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from remoteapp.codec.geometry import Rect
from remoteapp.codec.pixels import Pixels

TILE: Final = 64


def as_words(frame: Pixels) -> npt.NDArray[np.uint32]:
    """View an (h, w, 4) BGRA frame as (h, w) 32-bit pixels, without copying."""
    return frame.view(np.uint32).reshape(frame.shape[0], frame.shape[1])


def _pair_view(words: npt.NDArray[np.uint32]) -> npt.NDArray[np.generic] | None:
    """The block as 64-bit pixel pairs (half the compares), when its layout allows."""
    if words.shape[1] % 2 or words.strides[1] != 4 or words.ctypes.data % 8:
        return None
    try:
        return words.view(np.uint64)
    except ValueError:
        return None


def changed_rects(
    cur: npt.NDArray[np.uint32], ref: npt.NDArray[np.uint32], area: Rect | None = None
) -> list[Rect]:
    """Rectangles covering every pixel where ``cur`` differs from ``ref``.

    ``area`` limits the search (tile grid anchored at its corner).  The rectangles do not
    overlap; each is tight to the changed rows and, when the block is compared as 64-bit
    pixel pairs, to the changed columns rounded out to whole pairs.
    """
    height, width = cur.shape
    if area is None:
        area = Rect(0, 0, width, height)
    x0, y0 = area.x, area.y
    cur_a = cur[y0 : area.bottom, x0 : area.right]
    ref_a = ref[y0 : area.bottom, x0 : area.right]
    cur_u, ref_u = _pair_view(cur_a), _pair_view(ref_a)
    unit = 2
    if cur_u is None or ref_u is None:
        cur_u, ref_u, unit = cur_a, ref_a, 1
    units = cur_u.shape[1]
    starts = np.arange(0, units, TILE // unit)

    done: list[Rect] = []
    # spans open from the previous band: tile span -> (x0, y0, x1, y1) tight box so far
    open_spans: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for by in range(0, area.h, TILE):
        band_end = min(by + TILE, area.h)
        ne = cur_u[by:band_end] != ref_u[by:band_end]
        cols = ne.any(axis=0)
        if not cols.any():
            done.extend(_close(open_spans, x0, y0))
            open_spans = {}
            continue
        tiles = np.logical_or.reduceat(cols, starts)
        new_spans: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        for t0, t1 in _runs(tiles):
            sx0, sx1 = int(starts[t0]), int(starts[t1]) if t1 < len(starts) else units
            span_cols = np.flatnonzero(cols[sx0:sx1])
            rows = np.flatnonzero(ne[:, sx0:sx1].any(axis=1))
            box = (
                (sx0 + int(span_cols[0])) * unit,
                by + int(rows[0]),
                (sx0 + int(span_cols[-1]) + 1) * unit,
                by + int(rows[-1]) + 1,
            )
            prev = open_spans.pop((t0, t1), None)
            if prev is not None and prev[3] == by and box[1] == by:
                box = (min(prev[0], box[0]), prev[1], max(prev[2], box[2]), box[3])
            elif prev is not None:
                done.append(_to_rect(prev, x0, y0))
            new_spans[(t0, t1)] = box
        done.extend(_close(open_spans, x0, y0))
        open_spans = new_spans
    done.extend(_close(open_spans, x0, y0))
    return done


def _runs(flags: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Half-open index runs where ``flags`` is True."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _to_rect(box: tuple[int, int, int, int], x0: int, y0: int) -> Rect:
    return Rect(x0 + box[0], y0 + box[1], box[2] - box[0], box[3] - box[1])


def _close(spans: dict[tuple[int, int], tuple[int, int, int, int]], x0: int, y0: int) -> list[Rect]:
    return [_to_rect(box, x0, y0) for box in spans.values()]
