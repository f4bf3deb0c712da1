"""The copy-following capture backend (``open_capture("copy")``): the damage grabber, but
while a window scrolls, grab only what the copy model does not know and move the rest
as the X server's copies did.

Why: the damage backend reads every box that changed; a scrolled terminal changes its
whole window fifty times a second, and the X server copies the window's pixels to us
each time (scroll's Xvfb load, issue 11).  Following, each grab reads only the model's
unknown rectangles (``copy_capture``) on a connection of its own, waits until the RECORD
stream shows those reads, and writes the new frame from the previous one by the composed
copies (``copy_frames``, ``copy_pieces``); the encoder sends the largest as an exact
copy, unverified (``ScreenEncoder.encode(copies=)``).

Two modes, one at a time::

    damage   the DamageGrabber's grabs (its key lane too); each also reads the stream
             and runs the probes, and a trusted copy switches to following
    follow   the copy model's grabs; no trusted copy for SWITCH_BACK_S switches back

A switch costs one whole read (the mode's frames start anew: the encoder diffs it all).

The stream costs every grab of the damage mode too (a key's draws and reads pass through
it), so it is closed (parked) after PARK_S without a trusted copy, and opened again, on a
thread of its own, when grabs look like a scroll: WAKE_GRABS grabs within WAKE_WINDOW_S
whose damage, with no window moved, covers WAKE_AREA pixels or more (a typed key's never
does; a dragged window comes with its move).  Its first copies after that ask for the
probes again (windows and GCs older than the stream are probed, as at the start).  Big
redraws that are no copies (a video) wake it too: after an opening that saw no trusted
copy, wakes are held off for HOLD_S, doubled each time up to MAX_HOLD_S.

Following moves the window in memory, which the X server did in its read before: under
Xvfb, where the screen is memory too, that is a move of the cost from the X server to
the customer, and the rest of the time the damage grabber is the cheaper one.

Every pixel of a followed frame comes from a read the stream placed (the follow mode's
whole first read, the safety check's, each grab's unknown), all on the follow mode's
own connection and awaited; nothing else reads on it.  The safety check compares what
the copies and reads up to its whole read predict with the read (``safety.judge``).
If following breaks (the stream, a read, the reads not shown within SETTLE_S), the
damage grabber serves from then on (logged).  Only a display whose monitors are all the
root window is followed (``open_capture`` checks): the model is the root's.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Final

from remoteapp.capture.backend import DamageGrabber
from remoteapp.capture.copy_capture import CaptureOpening, CopyCapture
from remoteapp.capture.copy_frames import FollowedFrames, exact_copies
from remoteapp.capture.damage import coalesce
from remoteapp.capture.grabber import CapturedFrame, Monitor, ScreenGrabber
from remoteapp.capture.safety import SAFETY_LONGEST_S, SAFETY_PERIOD_S, SafetyChecks, judge
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion
from remoteapp.codec.pixels import Pixels
from remoteapp.errors import CaptureError

if TYPE_CHECKING:
    from remoteapp.capture.backend import DamageSource
    from remoteapp.capture.key_grabs import KeyGrabs
    from remoteapp.capture.x11_link import XLink

log = logging.getLogger("remoteapp.capture")

#: how long a grab waits for the stream to show its reads (a round trip, nearly always)
SETTLE_S: Final = 1.0
#: the read that marks the stream's place when there is nothing else to read
MARK: Final = Rect(0, 0, 1, 1)
#: how long following lasts after the last trusted copy
SWITCH_BACK_S: Final = 1.0
#: how long the stream stays open in the damage mode without a trusted copy
PARK_S: Final = 5.0
#: a grab's damage that looks like a scroll (no window moved), in pixels
WAKE_AREA: Final = 256 * 256
#: that many such grabs within WAKE_WINDOW_S open the parked stream again
WAKE_GRABS: Final = 3
WAKE_WINDOW_S: Final = 1.0
#: after an opening that saw no trusted copy (a video, big redraws), no wake for this
#: long, doubled after each such opening up to MAX_HOLD_S; a trusted copy ends it
HOLD_S: Final = 5.0
MAX_HOLD_S: Final = 60.0


class CopyGrabber:
    """A ``CaptureBackend`` (module docstring).  ``always``: follow from the first grab
    and never switch back (tests, benches).  Not thread-safe: the capture thread calls
    everything but ``wake``."""

    hands_over = True

    def __init__(
        self,
        screen: ScreenGrabber,
        source_factory: Callable[[], DamageSource],
        copy_factory: Callable[[int], CopyCapture],
        link_factory: Callable[[], XLink],
        *,
        safety_period: float = SAFETY_PERIOD_S,
        safety_longest: float = SAFETY_LONGEST_S,
        clock: Callable[[], float] = time.monotonic,
        settle_s: float = SETTLE_S,
        always: bool = False,
    ) -> None:
        self._screen, self._clock, self._settle_s = screen, clock, settle_s
        self._always = always
        self.safety = SafetyChecks(safety_period, safety_longest)
        self._damage = DamageGrabber(
            screen, source_factory, safety_period=safety_period,
            safety_longest=safety_longest, clock=clock, hand_over=True,
        )  # fmt: skip
        self._source = self._damage.source
        self._copy: CopyCapture | None = None  #: None: parked, or following broke
        self._copy_factory = copy_factory
        self._opening: CaptureOpening | None = None  #: the stream opening again
        self._broken = False  #: following broke: the damage grabber's for good
        self._link: XLink | None = None
        self._frames: FollowedFrames | None = None  #: while following
        try:
            self._link = link_factory()
            if not self._link.has_shm:
                raise CaptureError("the X server has no MIT-SHM: nothing to read into")
            self._copy = copy_factory(self._link.client)
        except BaseException:  # (the screen stays open: the caller's, to grab without us)
            if self._link is not None:
                self._link.close()
            self._source.close()
            raise
        self._last_copy = -1e9  #: clock() at the last trusted copy seen
        self._opened = clock()  #: when the stream (re)opened
        self._wakes: deque[float] = deque()  #: clock() at the recent scroll-like grabs
        self._hold = 0.0  #: the wakes' hold after the last parking
        self._woken = False  #: the stream open now was opened by wakes (not at the start)
        self._wake_after = -1e9  #: clock() before which no grab wakes the stream
        self.parks = 0  #: times the stream was parked (tests, bench)
        self.reopens = 0  #: times it opened again (tests, bench)
        self._trusted = 0  #: the follower's count of trusted copies, as last seen
        self.full_grabs = 0  #: grabs that read the whole monitor, both modes (tests)
        self.read_pixels = 0  #: pixels the follow mode read (tests, bench)
        self.switches = 0  #: switches between the modes (tests, bench)

    # -- CaptureBackend

    @property
    def damage_driven(self) -> bool:
        return self._damage.damage_driven

    @property
    def pointer_driven(self) -> bool:
        return self._damage.pointer_driven

    @property
    def following(self) -> bool:
        """Whether the copies can be followed (False for good once following broke;
        True while the stream is parked)."""
        return not self._broken and (self._copy is None or self._copy.following)

    @property
    def follows(self) -> bool:
        """Whether the grabs follow the copies now (the follow mode)."""
        return self._frames is not None

    def monitors(self) -> list[Monitor]:
        return self._screen.monitors()

    def wait(self, timeout: float) -> None:
        """The damage source's wait, the stream caught up with first: while no grab
        comes (no credit to send with), the X server would otherwise keep all of it
        (a stream opened again meanwhile too)."""
        self._adopt_opened(self._clock())
        copy = self._copy
        if copy is not None:
            try:
                copy.catch_up()
                if self._frames is None:
                    copy.drop()
                    self._park_if_idle(self._clock())
            except CaptureError as exc:
                log.warning("capture event=copy-following-off reason=%r", str(exc))
                self._stop_following()
        self._source.wait(timeout)

    def wake(self) -> None:
        self._source.wake()

    def pending(self) -> bool:
        """Damage came, or (following) the model holds pixels no grab read yet: damage the
        stream showed only after the damage source's take, which nothing else wakes."""
        copy = self._copy
        unread = self.follows and copy is not None and (copy.behind or bool(copy.model.unknown))
        return self._source.pending or unread

    def due(self) -> float | None:
        return self.safety.due if self.follows else self._damage.due()

    def force_full(self) -> None:
        self.safety.force()
        self._damage.force_full()

    def sync(self, timeout: float = 5.0) -> bool:
        return self._damage.sync(timeout)

    def key_grabs(self, monitor: Monitor) -> KeyGrabs | None:
        """The damage grabber's key lane, in the damage mode only (the follow mode's reads
        must all be the stream's)."""
        return None if self.follows else self._damage.key_grabs(monitor)

    def adopted(self, changed: Sequence[Rect]) -> None:
        if self._frames is not None:
            self._frames.adopted(changed)
        else:
            self._damage.adopted(changed)

    def grab(self, monitor: Monitor) -> CapturedFrame:
        now = self._clock()
        self._adopt_opened(now)
        if self._copy is not None:
            try:
                if self._watch(monitor, now):
                    return self._follow(monitor, now)
            except CaptureError as exc:  # (the stream or a read broke; a monitor not the root)
                log.warning("capture event=copy-following-off reason=%r", str(exc))
                self._stop_following()
        shot = self._damage.grab(monitor)
        if self._copy is not None:
            self._park_if_idle(now)
        elif not self._broken:
            self._maybe_reopen(shot, now)
        return shot

    def close(self) -> None:
        try:
            self._stop_following()
        finally:
            if self._link is not None:
                self._link.close()
                self._link = None
            self._damage.close()

    def __enter__(self) -> CopyGrabber:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the modes

    def _watch(self, monitor: Monitor, now: float) -> bool:
        """The stream caught up with; whether this grab follows (switching as due)."""
        copy = self._copy
        assert copy is not None
        if self._frames is None:  # (the damage mode: the stream read, its ops dropped)
            copy.plan()
            copy.drop()
            self._saw(copy, now)
        frames = self._frames
        if frames is not None and monitor != frames.monitor:
            frames = self._frames = None  # (another monitor: anew)
        follow = self._always or now - self._last_copy < SWITCH_BACK_S
        if follow and frames is None:
            self._switch(monitor)
        elif not follow and frames is not None:
            self._frames = None
            self.switches += 1
            self._damage.restart()
        return follow

    def _saw(self, copy: CopyCapture, now: float) -> None:
        """Note when the stream last showed a trusted copy."""
        if copy.follower.trusted != self._trusted:
            self._trusted, self._last_copy = copy.follower.trusted, now

    def _switch(self, monitor: Monitor) -> None:
        """Into the follow mode: new frames, everything unknown, a whole read first."""
        copy = self._copy
        assert copy is not None
        if (monitor.left, monitor.top, monitor.width, monitor.height) != copy.screen:
            raise CaptureError(f"{monitor.name} is not the whole root window")
        self._screen.grab(monitor)  # (mss proves MIT-SHM: the link reads into its segment)
        self._frames = FollowedFrames(monitor)
        self.switches += 1
        self.safety.force()
        copy.forget()

    def _follow(self, monitor: Monitor, now: float) -> CapturedFrame:
        copy, frames, link = self._copy, self._frames, self._link
        assert copy is not None and frames is not None and link is not None
        rects, moves = self._source.take(monitor.left, monitor.top)
        if frames.dropped():
            copy.forget()
        check = now >= self.safety.due or not self._source.reporting
        boxes = copy.plan()
        unknown = boxes
        if check:
            boxes = [frames.whole]
        elif not boxes and (rects or copy.model.awaiting):
            # (damage, and the stream has shown nothing to read yet; or a copy whose report
            # is due, refused if the next event is not it: a pixel's read, awaited, brings
            # in all that came before it)
            boxes = [MARK]
        if boxes:
            if not self._screen.read_boxes_on(link, monitor, boxes, frames.reads):
                raise CaptureError("the follow mode's connection cannot read the screen")
            self.read_pixels += sum(box.area for box in boxes)
        ops = copy.settle(boxes, time.monotonic() + self._settle_s)
        if ops is None:
            raise CaptureError(f"the stream did not show the reads within {self._settle_s} s")
        self._saw(copy, now)
        if check:
            self.full_grabs += 1
            changed = frames.check(ops)
            if changed is None:  # (cannot be: the read was awaited)
                raise CaptureError("the safety check's read is not in the stream")
            if frames.anew:  # (nothing predicted: the mode's first frame is its read)
                self.safety.started(now)
            else:
                # (what the model learnt it did not know only as the read came: a refused
                # copy's destination)
                reported = unknown + copy.model.unknown.rects + [Rect(*r) for r in rects]
                self.safety.checked(now, judge(changed, reported, self._source, dropped=False))
            return self._frame(monitor, frames.back, None, moves)
        pixels, pieces = frames.apply(ops)
        if pieces is None:
            return self._frame(monitor, pixels, None, moves)
        damage = tuple(coalesce([p.dst for p in pieces], monitor.width, monitor.height))
        return self._frame(monitor, pixels, damage, moves, exact_copies(pieces))

    def _frame(
        self,
        monitor: Monitor,
        pixels: Pixels,
        damage: tuple[Rect, ...] | None,
        moves: tuple[Motion, ...],
        copies: tuple[Motion, ...] = (),
    ) -> CapturedFrame:
        cursor = self._damage.pointer.read(monitor, whole=damage is None)
        stamp = time.monotonic()
        return CapturedFrame(pixels, monitor, cursor, stamp, damage, moves, copies)

    def _park_if_idle(self, now: float) -> None:
        """Close the stream after PARK_S without a trusted copy (the damage mode)."""
        copy = self._copy
        if self._always or self._frames is not None or copy is None:
            return
        if now - max(self._last_copy, self._opened) >= PARK_S:
            self._copy = None
            copy.close()
            self._wakes.clear()
            self.parks += 1
            # (woken for nothing: no trusted copy since the wakes opened it)
            fruitless = self._woken and self._last_copy < self._opened
            self._hold = min(max(HOLD_S, 2 * self._hold), MAX_HOLD_S) if fruitless else 0.0
            self._wake_after = now + self._hold
            log.debug("capture event=copy-parked hold=%.0f", self._hold)

    def _maybe_reopen(self, shot: CapturedFrame, now: float) -> None:
        """Open the parked stream again once grabs look like a scroll."""
        damage, link = shot.damage, self._link
        if self._opening is not None or link is None or not damage or shot.moves:
            return
        if now < self._wake_after:
            return
        if sum(box.area for box in damage) < WAKE_AREA:
            return
        wakes = self._wakes
        wakes.append(now)
        while now - wakes[0] > WAKE_WINDOW_S:
            wakes.popleft()
        if len(wakes) >= WAKE_GRABS:
            wakes.clear()
            self._opening = CaptureOpening(self._copy_factory, link.client)

    def _adopt_opened(self, now: float) -> None:
        """The stream opened again, if it has: the next grabs read it."""
        opening = self._opening
        result = None if opening is None else opening.take()
        if result is None:
            return
        self._opening = None
        if isinstance(result, CopyCapture):
            self._copy, self._opened, self._trusted, self._woken = result, now, 0, True
            self.reopens += 1
            log.debug("capture event=copy-reopened")
        else:
            log.warning("capture event=copy-following-off reason=%r", str(result))
            self._broken = True

    def _stop_following(self) -> None:
        self._broken = True
        if self._opening is not None:
            self._opening.cancel()
            self._opening = None
        if self._frames is not None:
            self._frames = None
            self._damage.restart()
        if self._copy is not None:
            self._copy.close()
            self._copy = None
