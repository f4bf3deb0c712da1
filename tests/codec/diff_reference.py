"""The tile diff and the move detector's seeds as they were at 60495cf, before issue 11
cut their per-frame CPU work: the straightforward code the fast paths are checked
against (``test_encoder_exact.py``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import SEED_LEN, SEED_ROWS, SEED_SCAN
from remoteapp.codec.tiles import TILE

Words = npt.NDArray[np.uint32]


def reference_changed_rects(cur: Words, ref: Words, area: Rect | None = None) -> list[Rect]:
    """``changed_rects`` as it was at 60495cf: band by band, span by span."""
    height, width = cur.shape
    if area is None:
        area = Rect(0, 0, width, height)
    x0, y0 = area.x, area.y
    cur_a = cur[y0 : area.bottom, x0 : area.right]
    ref_a = ref[y0 : area.bottom, x0 : area.right]
    cur_u, ref_u = _ref_pair_view(cur_a), _ref_pair_view(ref_a)
    unit = 2
    if cur_u is None or ref_u is None:
        cur_u, ref_u, unit = cur_a, ref_a, 1
    units = cur_u.shape[1]
    starts = np.arange(0, units, TILE // unit)
    done: list[Rect] = []
    open_spans: dict[tuple[int, int], tuple[int, int, int, int]] = {}
    for by in range(0, area.h, TILE):
        band_end = min(by + TILE, area.h)
        ne = cur_u[by:band_end] != ref_u[by:band_end]
        cols = ne.any(axis=0)
        if not cols.any():
            done.extend(_ref_close(open_spans, x0, y0))
            open_spans = {}
            continue
        tiles = np.logical_or.reduceat(cols, starts)
        new_spans: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        padded = np.concatenate(([False], tiles, [False])).astype(np.int8)
        edges = np.flatnonzero(np.diff(padded))
        for t0, t1 in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
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
                done.append(_ref_rect(prev, x0, y0))
            new_spans[(t0, t1)] = box
        done.extend(_ref_close(open_spans, x0, y0))
        open_spans = new_spans
    done.extend(_ref_close(open_spans, x0, y0))
    return done


def _ref_pair_view(words: Words) -> npt.NDArray[np.generic] | None:
    if words.shape[1] % 2 or words.strides[1] != 4 or words.ctypes.data % 8:
        return None
    try:
        return words.view(np.uint64)
    except ValueError:
        return None


def _ref_rect(box: tuple[int, int, int, int], x0: int, y0: int) -> Rect:
    return Rect(x0 + box[0], y0 + box[1], box[2] - box[0], box[3] - box[1])


def _ref_close(
    spans: dict[tuple[int, int], tuple[int, int, int, int]], x0: int, y0: int
) -> list[Rect]:
    return [_ref_rect(box, x0, y0) for box in spans.values()]


def reference_seeds(cur: Words, ref: Words, region: Rect) -> list[tuple[int, int]]:
    """The move detector's ``_seeds`` as it was at 60495cf: one row at a time."""
    if region.w < SEED_LEN:
        return []
    step = max(1, region.h // SEED_SCAN)
    ys = np.arange(region.y + step // 2, region.bottom, step)
    rows: Words = cur[ys, region.x : region.right]
    changed = rows != ref[ys, region.x : region.right]
    edges = np.zeros(rows.shape, np.int32)
    np.cumsum(rows[:, 1:] != rows[:, :-1], axis=1, out=edges[:, 1:])
    busy = edges[:, SEED_LEN - 1 :] - edges[:, : edges.shape[1] - SEED_LEN + 1]
    starts = np.arange(busy.shape[1])
    picks: list[tuple[float, int, int]] = []
    for i in range(len(ys)):
        cols = np.flatnonzero(changed[i])
        if cols.size == 0:
            continue
        first, last = int(cols[0]), int(cols[-1]) + 1
        if last - first < SEED_LEN:
            continue
        mid = (first + last - SEED_LEN) / 2
        ok = (busy[i] >= SEED_LEN // 4) & (starts >= first) & (starts + SEED_LEN <= last)
        if not ok.any():
            continue
        dist = np.where(ok, np.abs(starts - mid), np.inf)
        best = int(np.argmin(dist))
        picks.append((float(dist[best]) / (last - first), region.x + best, int(ys[i])))
    if len(picks) > SEED_ROWS:
        band = max(1, region.h // SEED_ROWS)
        chosen: list[tuple[float, int, int]] = []
        seen: set[int] = set()
        for pick in sorted(picks):
            key = (pick[2] - region.y) // band
            if key not in seen:
                seen.add(key)
                chosen.append(pick)
        rest = [p for p in sorted(picks) if p not in chosen]
        picks = (chosen + rest)[:SEED_ROWS]
        picks.sort(key=lambda p: p[2])
    return [(x, y) for _, x, y in picks]
