"""The copy-following capture backend (``open_capture("copy")``): grab what the copy model
does not know, and move the rest as the X server's copies did.

Why: the damage backend reads every box that changed; a scrolled terminal changes its
whole window fifty times a second, and the X server copies the window's pixels to us
each time (scroll's Xvfb load, issue 11).  Here each grab reads only the model's unknown
rectangles (``copy_capture``), waits until the RECORD stream shows those reads, and
writes the new frame from the previous one by the composed copies (``copy_pieces``):
for a scroll, one new line is read and the window is moved in memory once a grab.

The damage source (``XDamageSource``) still wakes the loop, tells the pointer's moves
and window moves, and judges the safety check; the copy model decides what to read.
Two frames take turns as with ``KeptFrames``: the encoder adopts each grabbed frame
(``hands_over``), and the other one catches up on what the update changed (``stale``)
before the next grab writes into it.

Every frame pixel comes from a read the stream placed (the first grab's, the safety
check's and every grab's unknown), never from a read it cannot place: mss's own grab
only proves MIT-SHM.  The safety check reads the whole monitor, and what the copies and
reads up to it predict is compared with the read outside what the model did not know:
a difference there is a miss (``safety.judge``), the model's or the damage's.

If following ends (the stream broke, or the reads did not show within ``SETTLE_S``),
every grab reads the whole monitor and the encoder diffs it (as polling; logged).  Only
a display whose monitors are all the root window is followed (``open_capture`` checks):
the model is the root's, a monitor's frame is not.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Final

import numpy as np

from remoteapp.capture.copy_capture import CopyCapture
from remoteapp.capture.copy_model import Move, Paste
from remoteapp.capture.copy_pieces import FRAME, apply_in_order, apply_pieces, compose
from remoteapp.capture.damage import coalesce
from remoteapp.capture.grabber import CapturedFrame, Monitor, ScreenGrabber
from remoteapp.capture.safety import SAFETY_LONGEST_S, SAFETY_PERIOD_S, SafetyChecks, judge
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.tiles import as_words, changed_rects
from remoteapp.errors import CaptureError

if TYPE_CHECKING:
    from remoteapp.capture.backend import DamageSource

log = logging.getLogger("remoteapp.capture")

#: how long a grab waits for the stream to show its reads (a round trip, nearly always)
SETTLE_S: Final = 1.0
#: the most pieces stale areas are cut into before they are brought over whole
MAX_STALE_CUTS: Final = 256
#: the most move hints handed to the encoder (the largest pieces moved from the frame)
MAX_HINTS: Final = 4


class CopyGrabber:
    """A ``CaptureBackend`` that follows the copies (module docstring).  Not thread-safe:
    the capture thread calls everything but ``wake``."""

    hands_over = True

    def __init__(
        self,
        screen: ScreenGrabber,
        source_factory: Callable[[], DamageSource],
        copy_factory: Callable[[int], CopyCapture],
        *,
        safety_period: float = SAFETY_PERIOD_S,
        safety_longest: float = SAFETY_LONGEST_S,
        clock: Callable[[], float] = time.monotonic,
        settle_s: float = SETTLE_S,
    ) -> None:
        link = screen.shm_link()
        if link is None:
            raise CaptureError("no X connection of our own to read the screen with")
        self._screen, self._clock, self._settle_s = screen, clock, settle_s
        self.safety = SafetyChecks(safety_period, safety_longest)
        self._source = source_factory()
        try:
            self._copy: CopyCapture | None = copy_factory(link.client)
        except BaseException:
            self._source.close()
            raise
        self._monitor: Monitor | None = None
        self._front: Pixels | None = None
        self._back: Pixels | None = None
        self._reads: Pixels | None = None
        self._stale: list[Rect] = []  #: where back differs from front
        self._handed = False  #: back was returned and not adopted yet
        self._cursor: tuple[int, int] | None = None
        self._first = True
        self.full_grabs = 0  #: grabs that read the whole monitor (tests, bench)
        self.read_pixels = 0  #: pixels read from the X server (tests, bench)

    # -- CaptureBackend

    @property
    def damage_driven(self) -> bool:
        return self._source.reporting

    @property
    def pointer_driven(self) -> bool:
        return self._source.pointer_events and self._source.reporting

    @property
    def following(self) -> bool:
        return self._copy is not None and self._copy.following

    def monitors(self) -> list[Monitor]:
        return self._screen.monitors()

    def wait(self, timeout: float) -> None:
        self._source.wait(timeout)

    def wake(self) -> None:
        self._source.wake()

    def pending(self) -> bool:
        """Damage came, or the model holds pixels no grab read yet (damage the stream
        showed only after the damage source's take: nothing else would wake us)."""
        copy = self._copy
        return self._source.pending or (copy is not None and bool(copy.model.unknown))

    def due(self) -> float | None:
        return self.safety.due

    def force_full(self) -> None:
        self.safety.force()

    def sync(self, timeout: float = 5.0) -> bool:
        return self._source.sync(timeout)

    def key_grabs(self, monitor: Monitor) -> None:
        """None: typed keys are grabbed by the general loop (the key lane's reads would
        land in the frame without the stream placing them)."""
        return None

    def adopted(self, changed: Sequence[Rect]) -> None:
        if not self._handed:
            return
        self._front, self._back = self._back, self._front
        self._stale, self._handed = list(changed), False

    def grab(self, monitor: Monitor) -> CapturedFrame:
        now = self._clock()
        rects, moves = self._source.take(monitor.left, monitor.top)
        if self._front is None or monitor != self._monitor:
            self._start(monitor)
        if self._handed:  # (the last frame was dropped: the reference lacks its changes)
            self._handed, self._stale = False, [Rect(0, 0, monitor.width, monitor.height)]
            if self._copy is not None:
                self._copy.forget()
        check = now >= self.safety.due or not self._source.reporting
        if self.following:
            try:
                return self._follow(monitor, check, now, rects, moves)
            except CaptureError as exc:  # (the stream or a read broke: as polling now)
                log.warning("capture event=copy-following-off reason=%r", str(exc))
                self._stop_following()
        return self._whole(monitor, moves)

    def close(self) -> None:
        try:
            self._stop_following()
            self._source.close()
        finally:
            self._screen.close()

    def __enter__(self) -> CopyGrabber:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the grabs

    def _start(self, monitor: Monitor) -> None:
        """A monitor's first grab: the frames, and mss's own grab to prove MIT-SHM (its
        pixels are not used: the stream cannot place a read of mss's connection)."""
        copy = self._copy
        if copy is not None and (monitor.left, monitor.top, monitor.width, monitor.height) != (
            copy.screen
        ):  # (a screen resized since: RandR)
            log.warning("capture event=copy-following-off reason=%r", "not the whole root")
            self._stop_following()
        self._screen.grab(monitor)
        shape = (monitor.height, monitor.width, 4)
        self._front, self._back = np.zeros(shape, np.uint8), np.zeros(shape, np.uint8)
        self._reads = np.zeros(shape, np.uint8)
        self._monitor, self._stale, self._handed = monitor, [], False
        self._first = True  #: the next check is the monitor's first read (nothing to judge)
        self.safety.force()
        if self._copy is not None:
            self._copy.forget()

    def _follow(
        self,
        monitor: Monitor,
        check: bool,
        now: float,
        rects: Sequence[tuple[int, int, int, int]],
        moves: tuple[Motion, ...],
    ) -> CapturedFrame:
        copy = self._copy
        front, back, reads = self._front, self._back, self._reads
        assert copy is not None and front is not None and back is not None and reads is not None
        boxes = copy.plan()
        known_unknown = boxes
        if check:
            boxes = [copy.screen]
        if boxes:
            self._screen.grab_boxes_into(monitor, boxes, reads)
            self.read_pixels += sum(box.area for box in boxes)
        ops = copy.settle(boxes, time.monotonic() + self._settle_s)
        if ops is None:
            raise CaptureError(f"the stream did not show the reads within {self._settle_s} s")
        if check:
            self._bring_over(front, back)
            damage = self._check(ops, front, back, reads, known_unknown, rects, now)
            return self._frame(monitor, back, damage, moves)
        pieces = compose(ops)
        if pieces is None:  # (too many pieces: one by one, the encoder diffs it all)
            back[...] = front
            self._stale = []
            apply_in_order(ops, back, reads)
            return self._frame(monitor, back, None, moves)
        if not pieces:  # (back is left as it is: its stale parts stay to bring over)
            return self._frame(monitor, front, (), moves, handed=False)
        self._bring_over(front, back, [p.dst for p in pieces])
        apply_pieces(pieces, back, front, reads)
        damage = tuple(coalesce([p.dst for p in pieces], monitor.width, monitor.height))
        shifts = sorted(
            (p for p in pieces if p.source == FRAME), key=lambda p: p.dst.area, reverse=True
        )
        hints = tuple(Motion(p.dx, p.dy, p.dst) for p in shifts[:MAX_HINTS])
        return self._frame(monitor, back, damage, moves + hints)

    def _check(
        self,
        ops: list[Move | Paste],
        front: Pixels,
        back: Pixels,
        reads: Pixels,
        known_unknown: list[Rect],
        rects: Sequence[tuple[int, int, int, int]],
        now: float,
    ) -> tuple[Rect, ...] | None:
        """The safety check's grab: the ops up to the whole read predict the frame, which
        is compared with the read; the rest (the read, copies after it) make the frame."""
        whole = next(
            (i for i, op in enumerate(ops) if isinstance(op, Paste) and op.box == self._full),
            None,
        )
        if whole is None:  # (cannot be: the read was awaited)
            raise CaptureError("the safety check's read is not in the stream")
        before = compose(ops[:whole])
        if before is None:
            apply_in_order(ops[:whole], back, reads)
        else:
            apply_pieces(before, back, front, reads)
        if self._first:
            self._first = False
            self.safety.started(now)
        else:
            changed = changed_rects(as_words(reads), as_words(back))
            reported = known_unknown + [Rect(*r) for r in rects]
            self.safety.checked(now, judge(changed, reported, self._source, dropped=False))
        self.full_grabs += 1
        apply_in_order(ops[whole:], back, reads)
        return None

    def _whole(self, monitor: Monitor, moves: tuple[Motion, ...]) -> CapturedFrame:
        """Not following: the whole monitor, diffed by the encoder (as polling)."""
        self.full_grabs += 1
        self.read_pixels += monitor.width * monitor.height
        shot = self._screen.grab(monitor)
        return CapturedFrame(shot.pixels, monitor, shot.cursor, shot.timestamp, None, moves)

    def _bring_over(self, front: Pixels, back: Pixels, rewritten: Sequence[Rect] = ()) -> None:
        """Back catches up with front where the last update changed it (``stale``), but
        where the pieces about to be written cover it (``rewritten``: a scroll's window,
        which would otherwise be copied twice)."""
        stale = self._stale
        for cut in rewritten:
            stale = [part for box in stale for part in box.minus(cut)]
            if len(stale) > MAX_STALE_CUTS:  # (cut to crumbs: copy it whole, once)
                stale = self._stale
                break
        for box in stale:
            rows, cols = slice(box.y, box.bottom), slice(box.x, box.right)
            back[rows, cols] = front[rows, cols]
        self._stale = []

    @property
    def _full(self) -> Rect:
        return Rect(0, 0, self._front.shape[1], self._front.shape[0])  # type: ignore[union-attr]

    def _frame(
        self,
        monitor: Monitor,
        pixels: Pixels,
        damage: tuple[Rect, ...] | None,
        moves: tuple[Motion, ...],
        *,
        handed: bool = True,
    ) -> CapturedFrame:
        self._handed = handed
        still = self._source.pointer_events and not self._source.pointer_moved
        if not still or damage is None or self._cursor is None:  # (a warp moves it unseen:
            self._cursor = self._screen.cursor(monitor)  # every full grab asks)
        return CapturedFrame(pixels, monitor, self._cursor, time.monotonic(), damage, moves)

    def _stop_following(self) -> None:
        if self._copy is not None:
            self._copy.close()
            self._copy = None
