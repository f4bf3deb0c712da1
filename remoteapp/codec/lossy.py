"""The lossy half of the encoder: video regions in VP8, photo-like rectangles in JPEG,
and the lossless refresh that makes the viewer's framebuffer bit-exact again.

``ScreenEncoder`` keeps its reference as the *captured* pixels, so its change detection
and scroll/move search see what really changed on the screen.  Where the viewer holds a
lossy approximation instead, a 16x16-cell ``dirty`` map says so, with the time of the
last lossy write.  A COPY from a dirty cell makes its target dirty.  A raw rectangle
cleans the cells it covers whole.  A dirty cell still for ``REFRESH_S`` (and no JPEG sent
anywhere for as long, so a window drag is refreshed when it stops, not behind its trail;
at the latest after ``MAX_DEFER_S``) is re-sent raw, at most ``REFRESH_BUDGET`` pixels an
update, so a large refresh never makes one huge update that would delay the next input's
answer.

Mode (the agent's choice, ``LossyMode``): AUTO codes video regions and photo-like
rectangles lossily; QUALITY never; SPEED codes every changed rectangle of at least
``JPEG_MIN_AREA`` pixels lossily, photo-like or not, and its key frames' photo-like tiles
too (``plan_key``: the first picture is what the agent waits for longest on a slow link;
text and UI tiles stay raw there, which zstd makes smaller than JPEG does).  AUTO and
QUALITY key frames are all raw.  Codecs the viewer cannot decode (``codecs``) are never
used.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Final

import numpy as np
import numpy.typing as npt

from remoteapp.codec.geometry import Rect
from remoteapp.codec.jpeg_codec import JPEG, JpegCoder
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.regions import Region, RegionTracker, TrackerBooks, photo_like
from remoteapp.codec.tiles import TILE
from remoteapp.codec.update_format import Op, PixelsOp

CELL: Final = 16
REFRESH_S: Final = 0.15
MAX_DEFER_S: Final = 3.0
REFRESH_BUDGET: Final = 512 * 1024  #: pixels refreshed per update at most (~2 MB raw)
JPEG_MIN_AREA: Final = 64 * 32
NEVER_LOSSY: Final = 1 << 62  #: small_lane's area with JPEG off: every rectangle is raw
CAP_SLACK: Final = 0.75  #: of a frame period: a region's update may come this early
JPEG_CAPABILITY: Final = "jpeg"
REFERENCE_AREA: Final = 640 * 360
#: a region 9x larger (1080p) gets 9 ** .6 = 3.7x the bits: big pictures need fewer per pixel
AREA_EXPONENT: Final = 0.6


def decodable() -> frozenset[str]:
    """The lossy codecs this computer can decode, as Hello capabilities (the agent lists
    them; the customer uses no other)."""
    from remoteapp.codec import vp8_codec

    names = {JPEG_CAPABILITY} if JPEG.supported else set()
    if vp8_codec.available():
        names.add(vp8_codec.CAPABILITY)
    return frozenset(names)


LOSSY_CAPABILITIES: Final = frozenset({"vp8", JPEG_CAPABILITY})


class LossyMode(enum.Enum):
    """The agent's quality choice for the whole session."""

    AUTO = "auto"
    QUALITY = "quality"  #: lossless only ("Best quality")
    SPEED = "speed"  #: lossy wherever it is smaller ("Best speed")


class LossyPlanner:
    """Decides, per update, which changed pixels go lossy; tracks what needs a refresh."""

    def __init__(
        self,
        width: int,
        height: int,
        *,
        codecs: frozenset[str],
        mode: LossyMode = LossyMode.AUTO,
        clock: Callable[[], float],
    ) -> None:
        from remoteapp.codec import vp8_codec

        self._clock = clock
        # (fixed for the planner's life, a new one for a new mode or codecs: ``_lane``)
        self.mode: Final = mode
        self._use_vp8: Final = vp8_codec.CAPABILITY in codecs and vp8_codec.VP8.supported
        self._use_jpeg: Final = JPEG_CAPABILITY in codecs and JPEG.supported
        self._vp8: vp8_codec.Vp8Coder | None = None
        self._jpeg = JpegCoder()
        self.tracker = RegionTracker(width, height, need_photo=mode is not LossyMode.SPEED)
        self._size = (height, width)
        cells = (-(-height // CELL), -(-width // CELL))
        self.dirty = np.zeros(cells, bool)  #: written only here (``_mark``, ``_clean``)
        self._dirty_at = np.zeros(cells, np.float64)
        #: True while ``dirty`` is known to be all False: the common lossless update (a
        #: typed key) then asks numpy nothing about it, which costs ~20 us a call cold
        self._clean_known = True
        self._last_jpeg = -1e9
        self._generations: dict[int, int] = {}
        self.fps_cap = 30.0  #: video regions are coded at most this often (rate control)
        #: bits/s of a 640x360 region (rate control); others scale by area ** REGION_SCALE
        self.bitrate = vp8_codec.DEFAULT_BITRATE
        self.refresh_budget = REFRESH_BUDGET  #: pixels per update (rate control)
        jpeg = self._use_jpeg and mode is not LossyMode.QUALITY
        #: ``small_lane``'s area from which a rectangle may go JPEG
        self._raw_max: Final = JPEG_MIN_AREA // 4 if jpeg else NEVER_LOSSY
        #: ``small_lane``'s answer where ``plan`` asks the tracker nothing, else None
        self._lane: Final = (
            (self._raw_max, Rect, None) if mode is LossyMode.QUALITY or not self._use_vp8 else None
        )

    @property
    def exact(self) -> bool:
        """True when the viewer's framebuffer holds exactly the reference."""
        return not self._any_dirty()

    def _any_dirty(self) -> bool:
        if self._clean_known:
            return False
        if self.dirty.any():
            return True
        self._clean_known = True
        return False

    def refresh_due_in(self, now: float | None = None) -> float | None:
        """Seconds until the next refresh is due (0: now); None when nothing is dirty."""
        if not self._any_dirty():
            return None
        now = self._clock() if now is None else now
        oldest = float(self._dirty_at[self.dirty].min())
        due = max(oldest + REFRESH_S, min(self._last_jpeg + REFRESH_S, oldest + MAX_DEFER_S))
        return max(0.0, due - now)

    def after_copy(self, src_x: int, src_y: int, dst: Rect) -> None:
        """A COPY moved viewer pixels: dirt travels with them."""
        src = Rect(src_x, src_y, dst.w, dst.h)
        sy, sx = self._cells(src)
        if not self._clean_known and self.dirty[sy, sx].any():
            when = float(self._dirty_at[sy, sx][self.dirty[sy, sx]].max())
            self._mark(dst, when)
        else:
            self._clean(dst)

    def plan_key(
        self, frame: Pixels, ops: list[Op], chunks: list[bytes | memoryview]
    ) -> list[Rect]:
        """A key frame: in best speed its photo-like 64x64 tiles go JPEG (merged into
        rectangles, appended to ``ops``); returns what goes raw (all of it otherwise)."""
        height, width = self._size
        whole = Rect(0, 0, width, height)
        if self.mode is not LossyMode.SPEED or not self._use_jpeg:
            return [whole]
        rows, cols = -(-height // TILE), -(-width // TILE)
        photo = np.zeros((rows, cols), bool)
        for ty in range(rows):
            for tx in range(cols):
                block = frame[ty * TILE : (ty + 1) * TILE, tx * TILE : (tx + 1) * TILE]
                photo[ty, tx] = min(block.shape[:2]) >= 8 and photo_like(block)
        raw = [r.intersect(whole) for r in _tile_rects(~photo)]
        now = self._clock()
        for tiles in _tile_rects(photo):
            r = tiles.intersect(whole)
            if r.w < 8 or r.h < 8:  # a sliver at the frame's edge: no JPEG's size
                raw.append(r)
                continue
            payload = self._jpeg.encode(frame[r.y : r.bottom, r.x : r.right])
            ops.append(PixelsOp(r, JPEG.id, len(payload)))
            chunks.append(payload)
            self._mark(r, now)
            self._last_jpeg = now
        return raw

    def small_lane(self) -> tuple[int, type[Rect], TrackerBooks | None] | None:
        """What ``Stream.encode_small`` needs to take a typed key's update whole (the
        area from which a rectangle may go JPEG, the box type, the tracker's books),
        where ``plan`` would return its rectangles as they are if they are that small and
        the tracker's books end at once; None where ``plan`` must look (something lossy
        on the viewer or being coded, a region, a photo-like tile)."""
        if not self._clean_known or self._generations:
            return None
        if self._lane is not None:
            return self._lane
        books = self.tracker.books()
        return None if books is None else (self._raw_max, Rect, books)

    def plan(
        self,
        frame: Pixels,
        ref: Pixels,
        rects: list[Rect],
        ops: list[Op],
        chunks: list[bytes | memoryview],
        counted: list[tuple[int, int]] | None = None,
    ) -> list[Rect]:
        """Code what goes lossy (appending its ops and payloads, and taking the captured
        pixels into ``ref``); return what goes raw: the rest of ``rects`` plus the cells
        due for a refresh.  ``counted``: the tracker's books for ``rects`` are kept
        already (``small_lane``), these tiles due for their measure."""
        now = self._clock()
        if self.mode is LossyMode.QUALITY or not (self._use_vp8 or self._use_jpeg):
            regions: list[Region] = []
        else:
            regions = self.tracker.update(frame, rects, now, counted) if self._use_vp8 else []
        if not regions and self._clean_known and not self._generations and self._raw(rects):
            return rects  # (a typed key's: nothing lossy, nothing to clean, nothing due)
        for region in regions:
            touched = [r for r in rects if not r.intersect(region.rect).is_empty()]
            if not touched:
                continue
            if now - region.last_sent < CAP_SLACK / self.fps_cap:
                # over the frame-rate cap: the region waits (its changes stay pending); the
                # slack keeps capture jitter (a grab 31 ms after the last at 30 fps) from
                # halving the rate
                rects = [piece for r in rects for piece in r.minus(region.rect)]
                continue
            self._video(frame, region, now, ops, chunks)
            r = region.rect
            if ref is not frame:  # (an encoder adopting its frames: ``ref`` is the frame)
                ref[r.y : r.bottom, r.x : r.right] = frame[r.y : r.bottom, r.x : r.right]
            rects = [piece for r in rects for piece in r.minus(region.rect)]
        playing = {g.stream for g in regions}
        for stream in [s for s in self._generations if s not in playing]:
            del self._generations[stream]
            if self._vp8 is not None:
                self._vp8.close_stream(stream)
        raw: list[Rect] = []
        for changed in rects:
            grown = self._jpeg_rect(frame, changed)
            if grown is None:
                raw.append(changed)
                continue
            block = frame[grown.y : grown.bottom, grown.x : grown.right]
            payload = self._jpeg.encode(block)
            ops.append(PixelsOp(grown, JPEG.id, len(payload)))
            chunks.append(payload)
            if ref is not frame:
                ref[grown.y : grown.bottom, grown.x : grown.right] = block
            self._mark(grown, now)
            self._last_jpeg = now
        if not self._clean_known:  # (nothing lossy on the viewer: nothing to clean)
            for r in raw:
                self._clean(r)
        refresh = self._due(now, regions)
        for r in refresh:
            self._clean(r)
        return raw + refresh

    def _video(
        self,
        frame: Pixels,
        region: Region,
        now: float,
        ops: list[Op],
        chunks: list[bytes | memoryview],
    ) -> None:
        from remoteapp.codec.vp8_codec import VP8, Vp8Coder

        if self._vp8 is None:
            self._vp8 = Vp8Coder()
        r = region.rect
        scale = (r.area / REFERENCE_AREA) ** AREA_EXPONENT
        # a coarse step (libvpx restarts on a new rate) so small estimates do not churn
        rate = max(50_000, round(self.bitrate * scale / 50_000) * 50_000)
        self._vp8.bitrate, self._vp8.fps = rate, max(1, round(self.fps_cap))
        restart = self._generations.get(region.stream) != region.generation
        self._generations[region.stream] = region.generation
        payload = self._vp8.encode_stream(
            region.stream,
            frame[r.y : r.bottom, r.x : r.right],
            pts_ms=int(now * 1000),
            key=restart,
        )
        region.last_sent = now
        ops.append(PixelsOp(r, VP8.id, len(payload)))
        chunks.append(payload)
        self._mark(r, now)

    def _raw(self, rects: list[Rect]) -> bool:
        """Whether every rectangle is too small for JPEG (``_jpeg_rect``'s first test)."""
        if not self._use_jpeg or self.mode is LossyMode.QUALITY:
            return True
        small = JPEG_MIN_AREA // 4
        return all(r.w * r.h < small for r in rects)

    def _jpeg_rect(self, frame: Pixels, r: Rect) -> Rect | None:
        """``r`` grown to the 16 px grid (a thin strip a drag uncovers is no JPEG's size:
        its 16x16 blocks would be mostly padding) if it should go JPEG, else None."""
        if not self._use_jpeg or self.mode is LossyMode.QUALITY or r.area < JPEG_MIN_AREA // 4:
            return None
        height, width = self._size
        x0, y0 = r.x // CELL * CELL, r.y // CELL * CELL
        x1, y1 = min(width, -(-r.right // CELL) * CELL), min(height, -(-r.bottom // CELL) * CELL)
        grown = Rect(x0, y0, x1 - x0, y1 - y0)
        if grown.area < JPEG_MIN_AREA or grown.w < 8 or grown.h < 8:
            return None
        if self.mode is LossyMode.SPEED:
            return grown
        return grown if photo_like(frame[y0:y1, x0:x1]) else None

    def _due(self, now: float, regions: list[Region]) -> list[Rect]:
        if not self._any_dirty():
            return []
        quiet = now - self._last_jpeg >= REFRESH_S
        age = now - self._dirty_at
        due = self.dirty & (age >= REFRESH_S) & (quiet | (age >= MAX_DEFER_S))
        for region in regions:  # still playing, only held back by the frame-rate cap
            if now - region.last_change < REFRESH_S:
                due[self._cells(region.rect)] = False
        rects: list[Rect] = []
        budget = self.refresh_budget
        height, width = self._size
        for cy in np.flatnonzero(due.any(axis=1)):
            for c0, c1 in _runs(due[cy]):
                r = Rect(c0 * CELL, int(cy) * CELL, (c1 - c0) * CELL, CELL)
                r = r.intersect(Rect(0, 0, width, height))
                if budget < r.area and rects:
                    return rects
                budget -= r.area
                rects.append(r)
        return rects

    def _cells(self, r: Rect) -> tuple[slice, slice]:
        """Cells that overlap ``r``."""
        return (slice(r.y // CELL, -(-r.bottom // CELL)), slice(r.x // CELL, -(-r.right // CELL)))

    def _mark(self, r: Rect, now: float) -> None:
        cy, cx = self._cells(r)
        self._clean_known = False
        self.dirty[cy, cx] = True
        self._dirty_at[cy, cx] = now

    def _clean(self, r: Rect) -> None:
        """Cells ``r`` covers whole (a cell cut by the frame's edge counts as whole)."""
        if self._clean_known:
            return
        height, width = self._size
        y0, x0 = -(-r.y // CELL), -(-r.x // CELL)
        y1 = self.dirty.shape[0] if r.bottom >= height else r.bottom // CELL
        x1 = self.dirty.shape[1] if r.right >= width else r.right // CELL
        if y1 > y0 and x1 > x0:
            self.dirty[y0:y1, x0:x1] = False


def _tile_rects(mask: npt.NDArray[np.bool_]) -> list[Rect]:
    """The set tiles of ``mask`` as pixel rectangles: runs in each tile row, a run
    continuing the same run of the row above extends it."""
    done: list[Rect] = []
    open_runs: dict[tuple[int, int], Rect] = {}
    for ty in range(mask.shape[0]):
        runs = set(_runs(mask[ty]))
        for run in [k for k in open_runs if k not in runs]:
            done.append(open_runs.pop(run))
        for c0, c1 in sorted(runs):
            r = open_runs.get((c0, c1))
            if r is None:
                open_runs[(c0, c1)] = Rect(c0 * TILE, ty * TILE, (c1 - c0) * TILE, TILE)
            else:
                open_runs[(c0, c1)] = Rect(r.x, r.y, r.w, r.h + TILE)
    return done + list(open_runs.values())


def _runs(flags: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
