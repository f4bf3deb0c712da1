"""Where the screen behaves like video: per-tile change history on the 64x64 tile grid.

Like xpra's video-region detection, from the change history alone (sans-IO, the caller
passes the time).  Per tile:

- a decaying change frequency (``freq = freq * DECAY + changed``): a tile that changed in
  most recent captures stays above ``HOT``;
- a photo-likeness score: on a sample of the tile, few equal neighbours and many colours
  (a photo or a video picture; text, UI and gradients have long runs of equal pixels and
  few colours, so they compress losslessly and stay lossless).

The caller passes what changed *after* scroll/move copies, so a tile a copy explained is
not counted.  Hot photo-like tiles form connected groups; a group's recent changed pixels,
snapped out to 16 px, give a region of at least ``MIN_W`` x ``MIN_H``.  A region turns on
once its tiles are hot (about four changes in a row; two for a large photo-like block
repainted whole, ``FAST_HOT``), grows by restarting (a new geometry
restarts its encoder, so the caller gets a new ``generation``), and turns off after
``OFF_AFTER_S`` without a change.  A caption next to a playing video changes only now and
then and never becomes hot, so it stays out of the region and lossless.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from remoteapp.codec.geometry import Rect
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.tiles import TILE, as_words

try:  # the optional C extension (setup.py): a few-tile update's books without numpy
    from remoteapp.codec import _regions as native
except ImportError:  # not built: the same books with numpy
    native = None  # type: ignore[assignment]

DECAY: Final = 0.75
HOT: Final = 2.5  #: 1 + .75 + .56 + .42 = 2.73 after four changes in a row
#: a large photo-like block repainted whole in two captures in a row is video already:
#: it starts at the second change (1.75), not the fourth, so a video's first frames are
#: not JPEG'd whole at the start (bench.lossy, 60 frames: 1.54 -> 1.47 Mbit/s)
FAST_HOT: Final = 1.7
FAST_MIN_TILES: Final = 12  #: photo-like tiles in the group (256x192); a video has ~60
FAST_HISTORY: Final = 2  #: captures its fill is measured over (the two changes)
TEST_FROM: Final = 1.0  #: photo-likeness is measured only on tiles changing this often
RETEST_EVERY: Final = 8  #: captures between two measurements of one tile
PHOTO_EQUAL_MAX: Final = 0.5  #: photo-like: at most this share of equal neighbours ...
PHOTO_COLOURS_MIN: Final = 64  #: ... and at least this many colours in the sample
SNAP: Final = 16
MIN_W: Final = 64
MIN_H: Final = 64
OFF_AFTER_S: Final = 1.0
MAX_REGIONS: Final = 4
HISTORY: Final = 6  #: captures whose changed rectangles shape a new region
#: of a new region's area, the share its recent captures changed on average: a video
#: repaints most of its picture every frame, a dragged window's trail only thin strips
MIN_FILL: Final = 0.35


@dataclass(slots=True)
class Region:
    """One video region: its rectangle (even width and height) and encoder stream."""

    rect: Rect
    tiles: Rect  #: the hot tiles (in tile units) that made it: covered, no reshaping
    stream: int
    generation: int  #: bumped when the rectangle changes: the encoder restarts
    last_change: float
    last_sent: float = -1e9


def photo_like(block: Pixels) -> bool:
    """Many colours and few equal neighbours on a sample of ``block`` (at least 8x8).

    The sample is every other pixel of every other row, copied as 32-bit words (as bytes
    the copy moves 4 at a time: 15 times slower on a scroll's new lines), and its
    neighbours are compared along the copy as one run, less the pairs that straddle two
    rows (a 2-D compare of shifted columns goes through numpy's buffers)."""
    words = np.ascontiguousarray(as_words(block)[::2, ::2])
    if words.size < 16:
        return False
    run = words.reshape(-1)
    same = np.count_nonzero(run[1:] == run[:-1]) - np.count_nonzero(words[1:, 0] == words[:-1, -1])
    equal = float(same) / max(1, words[:, 1:].size)
    if equal > PHOTO_EQUAL_MAX:
        return False
    sample = np.sort(run[:4096])
    colours = 1 + int(np.count_nonzero(sample[1:] != sample[:-1]))
    return colours >= min(PHOTO_COLOURS_MIN, sample.size // 4)


#: ``Stream.encode_small``'s books, as ``RegionTracker.books`` hands them out: the
#: update's number, then ``count_few``'s (freq, tested, DECAY, TEST_FROM, RETEST_EVERY,
#: TILE, FEW_TILES), then ``_measure``'s (photo, PHOTO_EQUAL_MAX, PHOTO_COLOURS_MIN)
TrackerBooks = tuple[
    int, npt.NDArray[np.float32], npt.NDArray[np.int64], float, float, int, int, int,
    npt.NDArray[np.float32], float, int,
]  # fmt: skip


class RegionTracker:
    """Tile history and the video regions it implies, for one framebuffer size."""

    def __init__(self, width: int, height: int, *, need_photo: bool = True) -> None:
        self.width, self.height = width, height
        self.need_photo = need_photo
        shape = (-(-height // TILE), -(-width // TILE))
        # (the grids are written in place, never rebound: ``_books`` hands them out)
        self.freq: Final = np.zeros(shape, np.float32)
        self.photo: Final = np.zeros(shape, np.float32)
        self._photo_tiles = 0  #: tiles whose ``photo`` is at least 0.5 (photo-like)
        self._frame = 0  #: updates so far
        #: the update of each tile's last measure
        self._tested: Final = np.full(shape, -RETEST_EVERY, np.int64)
        self._books: Final = (
            self.freq, self._tested, DECAY, TEST_FROM, RETEST_EVERY, TILE, FEW_TILES,
            self.photo, PHOTO_EQUAL_MAX, PHOTO_COLOURS_MIN,
        )  # fmt: skip
        self._recent: deque[list[Rect]] = deque(maxlen=HISTORY)
        self.regions: list[Region] = []
        self._generation = 0

    def books(self) -> TrackerBooks | None:
        """What ``Stream.encode_small`` takes to keep a typed key's books for the next
        update (``count_few``'s, and ``_measure``'s of its due tiles where none turns
        photo-like), where ``update`` would end with them (no region, nothing
        photo-like); None where it would not."""
        if self.regions or not self.need_photo or self._photo_tiles:
            return None
        return (self._frame + 1, *self._books)

    def counted(self, changed: list[Rect]) -> None:
        """``update``'s end for an update whose books ``Stream.encode_small`` kept (its
        due tiles measured, none photo-like): the regions are none and stay none."""
        self._frame += 1
        self._recent.append(changed)

    def update(
        self,
        frame: Pixels,
        changed: list[Rect],
        now: float,
        counted: list[tuple[int, int]] | None = None,
    ) -> list[Region]:
        """Account one capture's changes; return the active regions.  ``counted``: the
        counts are kept already (``books``), these tiles due for their measure."""
        self._frame += 1
        if counted is not None:
            if counted:
                self._measure(frame, counted)
            return self._after(changed, now)
        if native is not None:
            due = native.count_few(
                self.freq, self._tested, changed, self._frame, DECAY, TEST_FROM,
                RETEST_EVERY, TILE, FEW_TILES,
            )  # fmt: skip
            if due is not None:  # the few-tile path below, in one call
                if due:
                    self._measure(frame, due)
                return self._after(changed, now)
        np.multiply(self.freq, DECAY, out=self.freq)  # (``*=``: in place, as Final allows)
        few = _few_tiles(changed, self.freq.shape)
        if few is None:
            hit = np.zeros(self.freq.shape, bool)
            for r in changed:
                hit[r.y // TILE : -(-r.bottom // TILE), r.x // TILE : -(-r.right // TILE)] = True
            self.freq[hit] += 1.0
            age = self._frame - self._tested
            todo = hit & (self.freq >= TEST_FROM) & (age >= RETEST_EVERY)
            self._measure(frame, zip(*np.nonzero(todo), strict=True))
        else:  # a few tiles (a typed key): the same sums, a few scalar steps, not a dozen
            # whole-grid numpy calls at ~20 us each cold
            for tile in few:
                self.freq[tile] += 1.0
            self._measure(
                frame,
                [
                    (ty, tx)
                    for ty, tx in few
                    if self.freq[ty, tx] >= TEST_FROM
                    and self._frame - self._tested[ty, tx] >= RETEST_EVERY
                ],
            )
        return self._after(changed, now)

    def _after(self, changed: list[Rect], now: float) -> list[Region]:
        """``update`` once the tiles' counts are in: the regions on, off and new."""
        self._recent.append(changed)
        if not self.regions and self.need_photo and not self._photo_tiles:
            return self.regions  # (a typed key's, on text: no region, nothing photo-like)
        for region in self.regions:
            if any(not r.intersect(region.rect).is_empty() for r in changed):
                region.last_change = now
        self.regions = [g for g in self.regions if now - g.last_change < OFF_AFTER_S]
        if self.need_photo and not self._photo_tiles:
            return self.regions  # no photo-like tile: nothing is hot, nothing starts fast
        busy = self.freq >= HOT
        photo = self.photo >= 0.5
        hot = busy & photo if self.need_photo else busy
        for g in self.regions:  # already covered: no grouping (the Python part) needed
            hot[g.tiles.y : g.tiles.bottom, g.tiles.x : g.tiles.right] = False
        if hot.any():
            for tiles in _groups(hot):
                if any(_contains(g.tiles, tiles) for g in self.regions):
                    continue
                rect = self._shape(tiles, busy)
                if rect is not None:
                    self._place(rect, tiles, now)
        self._fast_start(photo, now)
        return self.regions

    def _fast_start(self, photo: npt.NDArray[np.bool_], now: float) -> None:
        """Regions for large photo-like blocks changed in the last two captures, mostly
        repainted whole each time (a video's start; a drag's trail is thin strips)."""
        warm = (self.freq >= FAST_HOT) & (self.freq < HOT)
        quick = warm & photo
        if np.count_nonzero(quick) < FAST_MIN_TILES:
            return
        for g in self.regions:
            quick[g.tiles.y : g.tiles.bottom, g.tiles.x : g.tiles.right] = False
        for tiles in _groups(quick):
            group = quick[tiles.y : tiles.bottom, tiles.x : tiles.right]
            if np.count_nonzero(group) < FAST_MIN_TILES:
                continue
            if any(_contains(g.tiles, tiles) for g in self.regions):
                continue
            rect = self._shape(tiles, self.freq >= FAST_HOT, captures=FAST_HISTORY)
            if rect is not None:
                self._place(rect, tiles, now)

    def _measure(self, frame: Pixels, todo: Iterable[tuple[Any, Any]]) -> None:
        """Score the photo-likeness of the tiles ``todo`` (tile row, column)."""
        for ty, tx in todo:
            block = frame[ty * TILE : (ty + 1) * TILE, tx * TILE : (tx + 1) * TILE]
            big = block.shape[0] >= 8 and block.shape[1] >= 8
            score = 1.0 if big and photo_like(block) else 0.0
            was = bool(self.photo[ty, tx] >= 0.5)
            self.photo[ty, tx] = 0.5 * self.photo[ty, tx] + 0.5 * score
            self._photo_tiles += int(bool(self.photo[ty, tx] >= 0.5)) - int(was)
            self._tested[ty, tx] = self._frame

    def _shape(
        self, tiles: Rect, busy: npt.NDArray[np.bool_], captures: int = HISTORY
    ) -> Rect | None:
        """The changes of the last ``captures`` inside a group's tiles and the busy tiles
        around them (a video's edge tiles are mostly window frame, so not photo-like),
        snapped to SNAP px; None if too small or too sparsely repainted."""
        recent = list(self._recent)[-captures:]
        ty0, tx0 = max(0, tiles.y - 1), max(0, tiles.x - 1)
        area = Rect(tx0 * TILE, ty0 * TILE, (tiles.right + 1 - tx0) * TILE, 0)
        area = Rect(area.x, ty0 * TILE, area.w, (tiles.bottom + 1 - ty0) * TILE)
        box: Rect | None = None
        parts: list[Rect] = []
        for rects in recent:
            for r in rects:
                part = r.intersect(area)
                if part.is_empty():
                    continue
                span = busy[
                    part.y // TILE : -(-part.bottom // TILE),
                    part.x // TILE : -(-part.right // TILE),
                ]
                rows, cols = np.flatnonzero(span.any(axis=1)), np.flatnonzero(span.any(axis=0))
                if not rows.size:
                    continue
                y0, x0 = part.y // TILE + int(rows[0]), part.x // TILE + int(cols[0])
                y1, x1 = part.y // TILE + int(rows[-1]) + 1, part.x // TILE + int(cols[-1]) + 1
                part = part.intersect(
                    Rect(x0 * TILE, y0 * TILE, (x1 - x0) * TILE, (y1 - y0) * TILE)
                )
                parts.append(part)
                box = part if box is None else box.union(part)
        if box is None or sum(p.area for p in parts) < MIN_FILL * box.area * len(recent):
            return None
        x0, y0 = box.x // SNAP * SNAP, box.y // SNAP * SNAP
        x1 = min(self.width, -(-box.right // SNAP) * SNAP)
        y1 = min(self.height, -(-box.bottom // SNAP) * SNAP)
        w, h = (x1 - x0) & ~1, (y1 - y0) & ~1  # I420 needs even sizes
        if w < MIN_W or h < MIN_H:
            return None
        return Rect(x0, y0, w, h)

    def _place(self, rect: Rect, tiles: Rect, now: float) -> None:
        """Start a region at ``rect``, or grow the ones it touches into one (restart)."""
        touching = [g for g in self.regions if not g.rect.intersect(rect).is_empty()]
        if len(touching) == 1 and _contains(touching[0].rect, rect):
            touching[0].tiles = touching[0].tiles.union(tiles)
            return
        for g in touching:
            rect, tiles = rect.union(g.rect), tiles.union(g.tiles)
        if len(touching) == 0 and len(self.regions) >= MAX_REGIONS:
            return
        rect = Rect(rect.x, rect.y, rect.w & ~1, rect.h & ~1)
        keep = [g for g in self.regions if g not in touching]
        used = {g.stream for g in keep}
        stream = touching[0].stream if touching else min(set(range(MAX_REGIONS)) - used)
        self._generation += 1
        self.regions = [*keep, Region(rect, tiles, stream, self._generation, now)]


#: Up to this many changed tiles an update is accounted tile by tile (``_few_tiles``).
FEW_TILES: Final = 16


def _few_tiles(changed: list[Rect], shape: tuple[int, ...]) -> list[tuple[int, int]] | None:
    """The tiles ``changed`` touches, in row-major order, if there are at most FEW_TILES
    (None: more, or a rectangle off the grid's top-left, for the whole-grid path)."""
    rows, cols = shape
    tiles: set[tuple[int, int]] = set()
    for r in changed:
        if r.x < 0 or r.y < 0:
            return None
        ty0, tx0 = r.y // TILE, r.x // TILE
        ty1, tx1 = min(-(-r.bottom // TILE), rows), min(-(-r.right // TILE), cols)
        if (ty1 - ty0) * (tx1 - tx0) > FEW_TILES:
            return None
        tiles.update((ty, tx) for ty in range(ty0, ty1) for tx in range(tx0, tx1))
        if len(tiles) > FEW_TILES:
            return None
    return sorted(tiles)


def _contains(outer: Rect, inner: Rect) -> bool:
    return outer.intersect(inner) == inner


def _groups(hot: npt.NDArray[np.bool_]) -> list[Rect]:
    """Bounding boxes (in tiles) of the 8-connected groups of hot tiles."""
    seen = np.zeros_like(hot)
    rows, cols = hot.shape
    boxes = []
    for sy, sx in zip(*np.nonzero(hot), strict=True):
        if seen[sy, sx]:
            continue
        seen[sy, sx] = True
        stack = [(int(sy), int(sx))]
        y0 = y1 = int(sy)
        x0 = x1 = int(sx)
        while stack:
            y, x = stack.pop()
            y0, y1, x0, x1 = min(y0, y), max(y1, y), min(x0, x), max(x1, x)
            for ny in range(max(0, y - 1), min(rows, y + 2)):
                for nx in range(max(0, x - 1), min(cols, x + 2)):
                    if hot[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
        boxes.append(Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1))
    return boxes
