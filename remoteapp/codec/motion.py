"""Scroll and move detection: find a rectangle of the new frame that is an exact shifted
copy of the reference, so the update says "copy" instead of resending those pixels.

Seeds are short distinctive pixel runs taken from the changed area of the new frame; each
is looked up in the reference with ``bytes.find`` (first straight up/down, which is what a
scrolled text area does and is cheap, then in a 2-D neighbourhood for a dragged window).
Every candidate shift is verified exactly and grown to the largest matching rectangle
around its seed, so a false hit costs time but never correctness.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from remoteapp.codec.compare import equal, rows_equal
from remoteapp.codec.geometry import Rect
from remoteapp.codec.tiles import first_change

Words = npt.NDArray[np.uint32]

SEED_LEN: Final = 16  #: pixels in one seed run
SEED_ROWS: Final = 6  #: seed rows tried per search
SEED_SCAN: Final = 48  #: rows scanned for seeds per search
MAX_2D_SHIFT: Final = 160  #: largest x/y shift looked for in the 2-D search
MAX_HITS: Final = 6  #: occurrences of one seed examined
MIN_AREA: Final = 64 * 64 * 2  #: a copy smaller than two tiles is not worth an op
FOLLOW_ROWS: Final = 16  #: rows compared to pick a shift in ``follow_motion``
FOLLOW_SHARE: Final = 0.9  #: of a row's pixels that must match shifted to count for it
#: a copy's box whose rows mostly match: its columns are compared in the other rows only
#: (up to 1 in this many), else in the whole box
BAD_ROWS_SHARE: Final = 4
COLUMN_BAND: Final = 32  #: rows of the seed's columns compared first each way (then x4)


@dataclass(frozen=True, slots=True)
class Motion:
    """``dst`` in the new frame equals ``dst`` shifted by ``(-dx, -dy)`` in the reference."""

    dx: int
    dy: int
    dst: Rect

    @property
    def src(self) -> Rect:
        return self.dst.shifted(-self.dx, -self.dy)


def find_motion(
    cur: Words, ref: Words, region: Rect, hints: Sequence[Motion] = ()
) -> Motion | None:
    """The largest verified copy inside ``region`` (both source and target), or None.

    ``hints`` (a window the OS saw move: shift and new box) are tried first, seeded
    inside the hinted box only, where no freshly uncovered strip can be.
    """
    if region.w < SEED_LEN or region.h < 2 or region.area < MIN_AREA:
        return None
    tried: set[tuple[int, int]] = set()
    best: Motion | None = None
    for hint in hints:
        inside = hint.dst.intersect(region)
        if (hint.dx, hint.dy) in tried or inside.w < SEED_LEN or inside.h < 2:
            continue
        tried.add((hint.dx, hint.dy))
        for sx, sy in _seeds(cur, ref, inside):
            found = _grow(cur, ref, region, hint.dx, hint.dy, sx, sy)
            if found is not None and (best is None or found.dst.area > best.dst.area):
                best = found
                break
    if best is not None and best.dst.area >= region.area // 2:
        return best
    seeds = _seeds(cur, ref, region)
    for vertical_only in (True, False):
        for sx, sy in seeds:
            for dx, dy in _candidates(cur, ref, region, sx, sy, vertical_only):
                if (dx, dy) in tried:
                    continue
                tried.add((dx, dy))
                found = _grow(cur, ref, region, dx, dy, sx, sy)
                if found is not None and (best is None or found.dst.area > best.dst.area):
                    best = found
                    if best.dst.area >= region.area // 2:
                        return best  # good enough: each further candidate is a full compare
        if best is not None:
            return best
    return best


def follow_motion(
    cur: Words, ref: Words, box: Rect, shifts: Sequence[tuple[int, int]]
) -> Motion | None:
    """A copy by one of ``shifts`` (the last frames' moves) covering half of ``box``, or None.

    A scroll goes on for many frames, mostly by the shifts already seen.  Trying
    those on a damaged box skips the two scans ``find_motion`` needs to find a shift from
    nothing (the changed area's bounds and the seed runs), which for a full-screen scroll
    are two of the frame's four passes over its pixels.  A few rows spread over the box
    pick the shift; ``_grow`` then verifies it pixel by pixel as any other candidate.
    """
    if box.w < SEED_LEN or box.h < 2 or box.area < MIN_AREA or not shifts:
        return None
    # (rows matched all along, rows explained, dx, dy, seed y, the seed row's match, x)
    best: tuple[int, int, int, int, int, npt.NDArray[np.bool_], int] | None = None
    for dx, dy in dict.fromkeys(shifts):
        valid = box.intersect(box.shifted(dx, dy))
        if valid.w < SEED_LEN or valid.h < 2:
            continue
        step = max(1, valid.h // FOLLOW_ROWS)
        y0 = valid.y + step // 2
        rows = cur[y0 : valid.bottom : step, valid.x : valid.right]  # views, no copies
        moved = rows == ref[y0 - dy : valid.bottom - dy : step, valid.x - dx : valid.right - dx]
        # a row explained by the shift: it matches shifted almost all along (a moving
        # scrollbar thumb beside a text area does not), and did not already match where
        # it was (a blank row matches any vertical shift)
        share = np.add.reduce(moved, axis=1, dtype=np.int32)
        explained = share >= FOLLOW_SHARE * valid.w
        if not explained.any():
            continue
        explained &= (rows != ref[y0 : valid.bottom : step, valid.x : valid.right]).any(axis=1)
        count = int(np.count_nonzero(explained))
        # rows matched all along rank first: a row of text is mostly background, so a
        # shift by another number of lines matches most of it too (90 %), but not all
        exact = int(np.count_nonzero(explained & (share == valid.w)))
        if count and (best is None or (exact, count) > best[:2]):
            pick = int(np.where(explained, share, -1).argmax())
            best = (exact, count, dx, dy, y0 + pick * step, moved[pick], valid.x)
    if best is None or best[1] < 2:
        return None
    _, _, dx, dy, sy, seed_row, x = best
    start, end = _longest_run(seed_row)  # (for the best shift only)
    sx = x + (start + end - SEED_LEN) // 2
    return _grow(cur, ref, box, dx, dy, sx, sy, box.area // 2)


def follow_hint(
    cur: Words, ref: Words, box: Rect, hint: Motion, min_area: int | None = None
) -> Motion | None:
    """``hint`` (a window the OS saw move, or the last copy) verified inside ``box``,
    seeded in the middle of its target: a copy of at least ``min_area`` pixels (by
    default half the target's part of the box), or None.  Like ``follow_motion``, this
    skips the changed area's bounds and the seed search, which for a dragged window are
    most of the frame's work; a target covered in the middle, or repainted, is left to
    the search."""
    inside = hint.dst.intersect(box).intersect(box.shifted(hint.dx, hint.dy))
    if inside.w < SEED_LEN or inside.h < 2:
        return None
    sx, sy = inside.x + (inside.w - SEED_LEN) // 2, inside.y + inside.h // 2
    need = (inside.area + 1) // 2 if min_area is None else min_area
    return _grow(cur, ref, box, hint.dx, hint.dy, sx, sy, need)


def _seeds(cur: Words, ref: Words, region: Rect) -> list[tuple[int, int]]:
    """Up to SEED_ROWS (x, y) starts of distinctive runs, from rows spread over the region.

    In each scanned row the seed is the run with enough edges nearest the middle of the
    row's changed span, not the busiest one: over a grainy photo the busiest run is the
    strip a moved window has just uncovered, which sits at an end of the span (the
    trailing side of the move) and exists nowhere in the reference, while the moved
    content fills the middle.  Rows whose only candidate hugs an end of the span (a blank
    window body beside an uncovered strip) are the last choice.
    """
    if region.w < SEED_LEN:
        return []
    step = max(1, region.h // SEED_SCAN)
    ys = np.arange(region.y + step // 2, region.bottom, step)
    rows: Words = cur[ys, region.x : region.right]
    changed: npt.NDArray[np.bool_] = rows != ref[ys, region.x : region.right]
    edges: npt.NDArray[np.int32] = np.zeros(rows.shape, np.int32)
    np.cumsum(rows[:, 1:] != rows[:, :-1], axis=1, out=edges[:, 1:])
    busy = edges[:, SEED_LEN - 1 :] - edges[:, : edges.shape[1] - SEED_LEN + 1]
    starts = np.arange(busy.shape[1], dtype=np.int32)
    # every scanned row at once: its changed span [first, last), and the run with enough
    # edges nearest the middle of the starts [first, last - SEED_LEN] a run inside the
    # span can have; ``twice`` is twice that distance, exact in integers.  That range is
    # symmetric about its middle, so a run lies in it exactly when ``twice`` is at most
    # the range's length, and the nearest busy run is inside it if any busy run is.
    first = changed.argmax(axis=1)
    last = changed.shape[1] - changed[:, ::-1].argmax(axis=1)
    twice = np.abs(2 * starts - (first + last - SEED_LEN).astype(np.int32)[:, None])
    twice[busy < SEED_LEN // 4] = np.iinfo(np.int32).max
    best = twice.argmin(axis=1)
    near = twice[np.arange(len(ys)), best]
    usable = changed.any(axis=1) & (last - first >= SEED_LEN) & (near <= last - SEED_LEN - first)
    score = near / 2 / (last - first)
    picks: list[tuple[float, int, int]] = [  # (distance / span, x, y)
        (s, region.x + b, y)
        for s, b, y, use in zip(
            score.tolist(), best.tolist(), ys.tolist(), usable.tolist(), strict=True
        )
        if use
    ]
    if len(picks) > SEED_ROWS:
        # the best rows by centrality, but at most one per SEED_ROWS-th of the region
        # while there are enough, so a scroll's seeds stay spread over its height
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


def _candidates(
    cur: Words, ref: Words, region: Rect, sx: int, sy: int, vertical_only: bool
) -> list[tuple[int, int]]:
    """Shifts (dx, dy) that would bring the seed's pixels from somewhere in ``ref``."""
    needle = cur[sy, sx : sx + SEED_LEN].tobytes()
    if vertical_only:
        area = Rect(sx, region.y, SEED_LEN, region.h)
    else:
        around = Rect(sx - MAX_2D_SHIFT, sy - MAX_2D_SHIFT, SEED_LEN, 1)
        around = Rect(around.x, around.y, SEED_LEN + 2 * MAX_2D_SHIFT, 2 * MAX_2D_SHIFT + 1)
        area = around.intersect(region)
    if area.w < SEED_LEN or area.h < 1:
        return []
    hay = np.ascontiguousarray(ref[area.y : area.bottom, area.x : area.right]).tobytes()
    found: list[tuple[int, int]] = []
    start = 0
    while len(found) < MAX_HITS:
        off = hay.find(needle, start)
        if off < 0:
            break
        start = off + 1
        if off % 4:
            continue
        row, col = divmod(off // 4, area.w)
        if col + SEED_LEN > area.w:
            continue
        dx, dy = sx - (area.x + col), sy - (area.y + row)
        if (dx, dy) != (0, 0):
            found.append((dx, dy))
        start = off + 4
    return found


def _grow(
    cur: Words, ref: Words, region: Rect, dx: int, dy: int, sx: int, sy: int,
    need: int = MIN_AREA,
) -> Motion | None:  # fmt: skip
    """Largest rectangle around the seed where ``cur == ref`` shifted by (dx, dy).

    Any such rectangle lies within the run of matching pixels along the seed's row and
    the run of matching rows along the seed's columns (both cheap, one row and 16
    columns): a false candidate usually fails there, and a true one is compared only
    inside that box, not over the whole region.  None for a copy smaller than ``need``
    (what the caller would take; at least MIN_AREA), as soon as the box shows it.
    """
    need = max(need, MIN_AREA)
    valid = region.intersect(region.shifted(dx, dy))
    if valid.is_empty():
        return None
    lx, ly = sx - valid.x, sy - valid.y
    if not (0 <= ly < valid.h and lx >= 0 and lx + SEED_LEN <= valid.w):
        return None
    src = valid.shifted(-dx, -dy)
    row = cur[sy, valid.x : valid.right] == ref[sy - dy, src.x : src.right]
    if not row[lx : lx + SEED_LEN].all():
        return None
    xa, xb = _run_around(row, lx, lx + SEED_LEN)
    if (xb - xa) * valid.h < need:
        return None
    ya, yb = _column_run(
        cur[valid.y : valid.bottom, sx : sx + SEED_LEN],
        ref[src.y : src.bottom, sx - dx : sx - dx + SEED_LEN],
        ly,
    )
    if (xb - xa) * (yb - ya) < need:
        return None
    box = Rect(valid.x + xa, valid.y + ya, xb - xa, yb - ya)
    cur_box = cur[box.y : box.bottom, box.x : box.right]
    ref_box = ref[box.y - dy : box.bottom - dy, box.x - dx : box.right - dx]
    bx, by = lx - xa, ly - ya  # the seed inside the box
    # grow columns-first and rows-first: a moving scrollbar thumb beside a scrolled text
    # area stops the first order early, a ragged window edge the second (the box's
    # columns are the seed row's run, its rows the seed columns' run)
    rows_ok = rows_equal(cur_box, ref_box)
    ta, tb = _run_around(rows_ok, by, by + 1)
    wide = Rect(0, ta, box.w, tb - ta)
    if wide.h == box.h:
        best = wide  # the whole box matched (a clean scroll): no rows-first order to try
    else:
        # a column matches all along where it matches in the rows that do not
        bad = np.flatnonzero(~rows_ok)
        if len(bad) * BAD_ROWS_SHARE <= box.h:
            cols_ok = np.logical_and.reduce(cur_box[bad] == ref_box[bad], axis=0)
        else:
            cols_ok = np.logical_and.reduce(equal(cur_box, ref_box), axis=0)
        la, lb = _run_around(cols_ok, bx, bx + SEED_LEN)
        tall = Rect(la, 0, lb - la, box.h)
        best = wide if wide.area >= tall.area else tall
    dst = best.shifted(box.x, box.y)
    if dst.area < need:
        return None
    return Motion(dx, dy, dst)


def _longest_run(ok: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """The longest all-True span [start, end) of ``ok`` (the first of equals)."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], ok, [False])).astype(np.int8)))
    starts, ends = edges[::2], edges[1::2]
    if not starts.size:
        return 0, 0
    longest = int((ends - starts).argmax())
    return int(starts[longest]), int(ends[longest])


def _column_run(cur: Words, ref: Words, seed: int) -> tuple[int, int]:
    """The rows [start, end) around row ``seed`` (which matches) where the two blocks of
    the seed's columns are equal, compared outward from the seed in growing bands.

    Each row of a block is a cache line and mostly a page of its own: over a whole
    screen's height, cold, the columns cost more than the rest of a failing candidate.
    A wrong shift usually breaks the run within a few rows, so only those are read."""
    height = cur.shape[0]
    strips = functools.partial(first_change, cur, ref, rows=True, first=COLUMN_BAND,
                               largest=height, growth=4)  # fmt: skip
    below = strips(seed + 1, height, backward=False)
    above = strips(0, seed, backward=True)
    return 0 if above is None else above + 1, height if below is None else below


def _run_around(ok: npt.NDArray[np.bool_], lo: int, hi: int) -> tuple[int, int]:
    """Extend the all-True span [lo, hi) of ``ok`` as far as it stays True."""
    bad_before = np.flatnonzero(~ok[:lo])
    bad_after = np.flatnonzero(~ok[hi:])
    start = int(bad_before[-1]) + 1 if bad_before.size else 0
    end = hi + int(bad_after[0]) if bad_after.size else len(ok)
    return start, end
