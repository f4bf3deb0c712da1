"""Frames in, update messages out (sans-IO).

The encoder keeps its own copy of what the decoder's framebuffer holds (``_ref``) and
updates it with exactly the operations it emits, so what it compares against is what
the viewer shows; that makes the round trip bit-exact by construction, whatever the
caller does with its frame buffers afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from remoteapp.codec.copy_guesses import MOTION_MIN_AREA, CopyGuesses
from remoteapp.codec.encode_stats import EncodeStats
from remoteapp.codec.frame_check import check_frame
from remoteapp.codec.framebuffer import copy_rect
from remoteapp.codec.geometry import Rect, bounding_box
from remoteapp.codec.lossy import REFRESH_BUDGET, LossyMode, LossyPlanner
from remoteapp.codec.motion import Motion, Words, find_motion
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.raw_bgra import RAW_BGRA
from remoteapp.codec.search_backoff import SearchBackoff
from remoteapp.codec.small_path import SMALL_SIDE, SmallPath
from remoteapp.codec.tiles import TileDiff, as_words, parts_changed_rects, small_box_rects
from remoteapp.codec.update_format import (
    CopyOp,
    CursorOp,
    Flag,
    Op,
    PixelsOp,
    UpdateHeader,
    pack_update,
)
from remoteapp.codec.vp8_codec import DEFAULT_BITRATE
from remoteapp.codec.zstd_stream import DEFAULT_LEVEL, WINDOW_LOG, StreamCompressor

if TYPE_CHECKING:
    from remoteapp.codec._zstream import Stream


class VideoRate(Protocol):
    """The video bitrate and frame rate rate control keeps (``RateController``)."""

    @property
    def bitrate(self) -> int: ...

    @property
    def fps(self) -> float: ...


@dataclass(frozen=True)
class FixedRate:
    """A rate nobody controls: the encoder's own, until a session hands it its controller."""

    bitrate: int = DEFAULT_BITRATE
    fps: float = 30.0


class ScreenEncoder(SmallPath):
    """Encode successive BGRA frames of one session into update messages.

    Without ``lossy_codecs`` every rectangle goes out with the lossless raw-bgra codec.
    With them (the capabilities the viewer announced: ``vp8``, ``jpeg``) a
    ``LossyPlanner`` codes video regions and photo-like rectangles lossily; the reference
    still holds the captured pixels, and the planner tracks where the viewer's copy is
    only approximate until its lossless refresh (``remoteapp.codec.lossy``).  ``clock``
    times regions and refreshes (injected by tests and benchmarks).
    """

    def __init__(
        self,
        *,
        level: int = DEFAULT_LEVEL,
        window_log: int = WINDOW_LOG,
        detect_motion: bool = True,
        lossy_codecs: frozenset[str] = frozenset(),
        mode: LossyMode = LossyMode.AUTO,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = StreamCompressor(level, window_log)
        self._detect_motion = detect_motion
        self._backoff = SearchBackoff()
        self._guesses = CopyGuesses()
        #: where the last update changed the reference (its copies' targets and rectangles)
        self.changed: tuple[Rect, ...] = ()
        self._ref: Pixels | None = None
        self._seq = 0
        self._key_requested = True
        self._codec = RAW_BGRA
        self._coder = RAW_BGRA.new()
        self.last_stats: EncodeStats | None = None
        self.small_path, self.small_taken, self.small_handed = True, 0, 0
        self._lossy_codecs, self._mode, self._clock = lossy_codecs, mode, clock
        self._planner: LossyPlanner | None = None
        #: read as each update is planned, so an update the key lane codes lossily after
        #: minutes of typing uses today's rate (two plain reads: rate control may change
        #: it between them, which costs one plan a step of the rate at worst)
        self.video_rate: VideoRate = FixedRate()
        self.refresh_pixels = REFRESH_BUDGET  #: lossless refresh per update (rate control)

    def set_lossy_codecs(self, codecs: frozenset[str]) -> None:
        """The lossy codecs the viewer decodes (its Hello).  While nothing lossy has been
        sent (the first updates, before the viewer's Hello came) they apply at once;
        otherwise from the next (key) update."""
        if codecs == self._lossy_codecs:
            return
        self._lossy_codecs = codecs
        if self._planner is None and (not codecs or self._mode is LossyMode.QUALITY):
            return  # lossless before and after
        if self._planner is None and self._ref is not None:
            height, width = self._ref.shape[:2]
            self._planner = LossyPlanner(
                width, height, codecs=codecs, mode=self._mode, clock=self._clock
            )
        else:
            self._key_requested = True

    def set_mode(self, mode: LossyMode) -> None:
        """The agent's quality choice; applies from the next (key) update."""
        if mode is not self._mode:
            self._mode = mode
            self._key_requested = True

    def refresh_due_in(self) -> float | None:
        """Seconds until a lossless refresh is due (grab then); None if the viewer is exact."""
        return None if self._planner is None else self._planner.refresh_due_in()

    def request_key_frame(self) -> None:
        """Make the next update a key frame (new viewer, or the viewer lost sync)."""
        self._key_requested = True

    def encode(
        self,
        frame: Pixels,
        cursor: tuple[int, int] | None = None,
        *,
        damage: Sequence[Rect] | None = None,
        moves: Sequence[Motion] = (),
        copies: Sequence[Motion] = (),
        adopt: bool = False,
    ) -> bytes:
        """Return the update that turns the previous frame into ``frame``.

        ``damage``: disjoint boxes outside which ``frame`` is known to equal the previous
        frame (a capture backend's damage hints): only their tiles are diffed.  None
        diffs the whole frame.  ``moves``: window moves to try first (unverified hints).
        ``copies``: copies known exact, the first sent as a copy unverified (the capture
        moved those pixels itself: ``frame`` at each ``dst`` equals the previous frame
        at ``src``); with ``damage`` only, which must hold the ``dst``.
        ``adopt``: ``frame`` becomes the reference as it is, instead of the changes being
        copied into the encoder's own (a full-screen scroll's 8 MB a frame): the caller
        must leave it alone until the next call, and learns from ``changed`` where it
        differs from the frame before (a capture backend with two kept frames).

        If it raises, the next update is a key frame: the stream may hold a block the
        viewer never gets, and the region books may count a frame that was not sent.
        """
        try:
            if copies and damage and self._detect_motion:
                return self._copied(frame, cursor, damage, copies[0], adopt)
            return self._encode(frame, cursor, damage, moves, adopt)
        except BaseException:
            self._key_requested = True
            raise

    def _copied(
        self, frame: Pixels, cursor: tuple[int, int] | None, damage: Sequence[Rect],
        motion: Motion, adopt: bool,
    ) -> bytes:  # fmt: skip
        """``encode`` with an exact copy: no search and no compare inside its ``dst``
        (a scroll's window, moved by the capture as the X server did), only the damage
        around it diffed."""
        check_frame(frame)
        ref = self._ref
        if ref is None or self._key_requested or ref.shape != frame.shape:
            return self._key(frame, cursor, adopt)
        adopting = adopt and ref is not frame
        cur_w, ref_w = as_words(frame), as_words(ref)
        ops: list[Op] = []
        self._backoff.forget()
        rects = self._copy(ref, ref_w, cur_w, motion, motion.dst, ops, adopting)
        parts = [part for box in damage for part in box.minus(motion.dst)]
        rects += parts_changed_rects(cur_w, ref_w, parts)
        return self._finish(frame, ref, rects, ops, cursor, adopting, 1)

    def encode_key(
        self, frame: Pixels, cursor: tuple[int, int] | None, boxes: Sequence[Rect]
    ) -> bytes:
        """``encode(frame, cursor, damage=boxes, adopt=True)`` for the key lane, whose
        frame is a kept frame of the reference's size, never the reference itself (the
        checks ``encode`` makes first hold): a typed key's update in one C call where
        ``_small`` takes it, else as ``encode``."""
        try:
            ref = self._ref
            if ref is not None and not self._key_requested:
                update = self._small(frame, ref, boxes, cursor, True)
                if update is not None:
                    return update
            return self._encode(frame, cursor, boxes, (), True, small_tried=True)
        except BaseException:
            self._key_requested = True
            raise

    def _encode(
        self, frame: Pixels, cursor: tuple[int, int] | None, damage: Sequence[Rect] | None,
        moves: Sequence[Motion], adopt: bool, *, small_tried: bool = False,
    ) -> bytes:  # fmt: skip
        check_frame(frame)
        ref = self._ref
        adopting = adopt and ref is not frame  # (the same array: nothing to adopt)
        if ref is None or self._key_requested or ref.shape != frame.shape:
            return self._key(frame, cursor, adopt)
        if not moves and damage:  # a typed key's box first: too small for the copy guesses
            # (``encode_key`` has asked ``_small`` already: it declined, nothing done)
            update = None if small_tried else self._small(frame, ref, damage, cursor, adopting)
            if update is not None:
                return update
            rects = small_box_rects(frame, ref, damage, MOTION_MIN_AREA, SMALL_SIDE)
            if rects is not None:  # (the planner's turn, or no C extension)
                return self._finish(frame, ref, rects, [], cursor, adopting)
        ops: list[Op] = []
        copies = 0
        cur_w, ref_w = as_words(frame), as_words(ref)
        rects = self._follow(ref, ref_w, cur_w, damage, moves, ops, adopting)
        if rects is not None:
            copies = 1
        elif moves and (found := small_box_rects(frame, ref, damage, MOTION_MIN_AREA)) is not None:
            rects = found
        else:
            boxes: Sequence[Rect | None] = (None,) if damage is None else damage
            diffs = [TileDiff(cur_w, ref_w, box) for box in boxes]
            # the changed area's bounds first: when a copy explains it (a scroll) the
            # rectangles of the first diff are never needed
            region = bounding_box([b for diff in diffs if (b := diff.bounds()) is not None])
            if (
                self._detect_motion
                and region is not None
                and region.area >= MOTION_MIN_AREA
                and self._backoff.should_search(region)
            ):
                motion = find_motion(cur_w, ref_w, region, moves)
                self._backoff.record(region, found=motion is not None)
                if motion is not None:
                    copies = 1
                    # inside dst the copy made ref equal to frame (verified pixel by
                    # pixel), so only the rest of the region needs another look
                    rects = self._copy(ref, ref_w, cur_w, motion, region, ops, adopting)
            if rects is None:
                rects = [rect for diff in diffs for rect in diff.rects()]
            del diffs
        return self._finish(frame, ref, rects, ops, cursor, adopting, copies)

    def _key(self, frame: Pixels, cursor: tuple[int, int] | None, adopt: bool) -> bytes:
        """A key frame: everything anew (the stream, the codec, the planner)."""
        height, width = frame.shape[:2]
        ref = frame if adopt else np.array(frame, dtype=np.uint8, order="C", copy=True)
        self._ref = ref
        self._stream.reset()
        self._coder = self._codec.new()  # codec state restarts with the stream
        if self._lossy_codecs and self._mode is not LossyMode.QUALITY:
            self._planner = LossyPlanner(
                width, height, codecs=self._lossy_codecs, mode=self._mode, clock=self._clock
            )
        else:
            self._planner = None
        self._key_requested = False
        self._guesses.forget()
        ops: list[Op] = []
        chunks: list[bytes | memoryview] = []
        whole = [Rect(0, 0, width, height)]
        raw = whole if self._planner is None else self._planner.plan_key(frame, ops, chunks)
        lossy = len(ops)
        for rect in raw:  # (best speed: photo-like tiles went JPEG just above)
            block = ref[rect.y : rect.bottom, rect.x : rect.right]
            ops.append(self._pixels(rect, block, chunks))
        return self._pack(True, frame, ops, chunks, cursor, 0, lossy)

    def _took(self, frame: Pixels, ref: Pixels, rects: list[Rect], adopting: bool) -> None:
        """The reference after an update of raw ``rects``: ``frame`` adopted, or the
        rectangles copied into the encoder's own."""
        if adopting:
            self._ref = frame
        else:
            for rect in rects:
                ref[rect.y : rect.bottom, rect.x : rect.right] = frame[
                    rect.y : rect.bottom, rect.x : rect.right
                ]
        self.changed = tuple(rects)

    def _finish(
        self, frame: Pixels, ref: Pixels, rects: list[Rect], ops: list[Op],
        cursor: tuple[int, int] | None, adopting: bool, copies: int = 0,
        counted: list[tuple[int, int]] | None = None,
    ) -> bytes:  # fmt: skip
        """A delta update's end, once its copies are in ``ops`` (they carry no payload)
        and its changed rectangles found: the planner's lossy part, then the lossless
        rectangles.  ``counted``: the region tracker's books for ``rects`` are kept
        already (``_small``), these tiles due for their measure."""
        chunks: list[bytes | memoryview] = []
        lossy = 0
        if self._planner is not None:
            planner = self._planner
            rate = self.video_rate
            planner.bitrate, planner.fps_cap = rate.bitrate, rate.fps
            planner.refresh_budget = self.refresh_pixels
            raw_ops = len(ops)
            rects = planner.plan(frame, frame if adopting else ref, rects, ops, chunks, counted)
            lossy = len(ops) - raw_ops
        packer = self._stream.native
        if not ops and packer is not None:  # lossless rectangles only: one C call
            return self._pack_raw(packer, frame, ref, rects, cursor, adopting)
        for rect in rects:
            block = frame[rect.y : rect.bottom, rect.x : rect.right]
            if not adopting:
                ref[rect.y : rect.bottom, rect.x : rect.right] = block
            ops.append(self._pixels(rect, block, chunks))
        if adopting:
            self._ref = frame
        return self._pack(False, frame, ops, chunks, cursor, copies, lossy)

    def _pack(
        self, key: bool, frame: Pixels, ops: list[Op], chunks: list[bytes | memoryview],
        cursor: tuple[int, int] | None, copies: int, lossy: int,
    ) -> bytes:  # fmt: skip
        """The update message of ``ops`` (and the cursor), its payloads compressed."""
        height, width = frame.shape[:2]
        if cursor is not None:
            ops.append(CursorOp(cursor[0], cursor[1]))
        raw_len = sum(op.length for op in ops if isinstance(op, PixelsOp))
        body = self._stream.compress(chunks)
        header = UpdateHeader(
            Flag.KEY if key else Flag(0), self._seq, width, height, len(ops), len(body), raw_len
        )
        self._seq = (self._seq + 1) & 0xFFFFFFFF
        update = pack_update(header, ops, body)
        self.changed = tuple(
            op.dst if isinstance(op, CopyOp) else op.rect
            for op in ops
            if isinstance(op, CopyOp | PixelsOp)
        )
        rects = len(ops) - copies - (cursor is not None)
        self.last_stats = EncodeStats(key, copies, rects, raw_len, len(body), len(update), lossy)
        return update

    def _pack_raw(
        self, packer: Stream, frame: Pixels, ref: Pixels, rects: list[Rect],
        cursor: tuple[int, int] | None, adopting: bool,
    ) -> bytes:  # fmt: skip
        """``encode``'s end for an update of raw rectangles (and the cursor) only: the
        same bytes as the ops and ``pack_update``, gathered, compressed and packed in C."""
        height, width = frame.shape[:2]
        update, body_len, raw_len = packer.pack_raw(
            frame, width, height, rects, cursor, 0, self._seq
        )
        self._seq = (self._seq + 1) & 0xFFFFFFFF
        self._took(frame, ref, rects, adopting)
        self.last_stats = EncodeStats(False, 0, len(rects), raw_len, body_len, len(update))
        return update

    def _follow(
        self, ref: Pixels, ref_w: Words, cur_w: Words, damage: Sequence[Rect] | None,
        moves: Sequence[Motion], ops: list[Op], adopting: bool,
    ) -> list[Rect] | None:  # fmt: skip
        """With damage hints, try the cheap guesses before the full search: a window the
        OS saw move (``follow_hint``), then, while the last copy was a scroll, the last
        frames' scroll shifts (``follow_motion``).  The changed rectangles if one explains
        its damaged box, else None (the full search follows)."""
        if not self._detect_motion or not damage:
            return None
        found = self._guesses.guess(ref_w, cur_w, damage, moves)
        if found is None:
            return None
        motion, box = found
        self._backoff.forget()
        rects = self._copy(ref, ref_w, cur_w, motion, box, ops, adopting)
        # (the backend's boxes are disjoint, but hints are only hints)
        others = [part for other in damage if other is not box for part in other.minus(box)]
        return rects + parts_changed_rects(cur_w, ref_w, others)

    def _copy(
        self, ref: Pixels, ref_w: Words, cur_w: Words, motion: Motion, region: Rect,
        ops: list[Op], adopting: bool,
    ) -> list[Rect]:  # fmt: skip
        """Send ``motion`` as a COPY and apply it to the reference (``ref_w`` views it;
        adopting, the frame itself becomes the reference instead); return the changed
        rectangles of ``region`` outside its target."""
        src, dst = motion.src, motion.dst
        ops.append(CopyOp(src.x, src.y, dst))
        if not adopting:
            copy_rect(ref, src.x, src.y, dst)
        if self._planner is not None:
            self._planner.after_copy(src.x, src.y, dst)
        self._guesses.took(motion)
        return parts_changed_rects(cur_w, ref_w, region.minus(dst))

    def _pixels(self, rect: Rect, block: Pixels, chunks: list[bytes | memoryview]) -> PixelsOp:
        """Encode ``block`` (lossless: the reference already holds it) as one PIXELS op."""
        payload = self._coder.encode(block)
        chunks.append(payload)
        return PixelsOp(rect, self._codec.id, memoryview(payload).nbytes)
