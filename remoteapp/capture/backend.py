"""The capture backend interface, the damage-driven grabber and the choice between them.

A backend grabs a monitor into a ``CapturedFrame``; one with damage hints also says which
boxes may have changed (``frame.damage``) and which windows moved (``frame.moves``), and
its ``wait`` returns when something changed, so the capture loop sleeps until then.

    open_capture("damage")   X11 with DAMAGE: DamageGrabber over XDamageSource
    open_capture("poll")     ScreenGrabber: grab and diff the whole monitor each time
    open_capture("copy")     X11 with RECORD too: CopyGrabber (``copy_grabber``) follows
                             the copies and reads only what they do not explain
    open_capture("auto")     ``copy`` where no compositing manager runs, else ``damage``
                             (``x11_compositor``; a display it cannot ask: ``damage``)

``damage`` falls back to ``poll`` (with a log line) where there is no damage source: not
X11, no DAMAGE/XFixes extension; ``copy`` falls back to ``damage`` where it cannot follow
(no RECORD, no connection of its own, a monitor that is not the whole root window).
Windows (DXGI Desktop Duplication) and macOS (ScreenCaptureKit) sources are designed
in docs/capture.md and plug in as a ``DamageSource`` the same way; what they report is
decoded by ``dxgi_metadata`` and ``sck_metadata``, written and tested already.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from remoteapp.capture.damage import RectTuple, coalesce, cut_to_damage
from remoteapp.capture.grabber import CapturedFrame, Monitor, ScreenGrabber
from remoteapp.capture.kept_frames import KeptFrames
from remoteapp.capture.safety import SAFETY_LONGEST_S, SAFETY_PERIOD_S, SafetyChecks, judge
from remoteapp.capture.session import CaptureMode
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion
from remoteapp.codec.pixels import Pixels
from remoteapp.errors import CaptureError

if TYPE_CHECKING:
    from remoteapp.capture.copy_grabber import CopyGrabber
    from remoteapp.capture.key_grabs import KeyGrabs
    from remoteapp.capture.x11_link import BoxRead

log = logging.getLogger("remoteapp.capture")


class CaptureBackend(Protocol):
    """What the customer's capture loop needs from a backend."""

    @property
    def damage_driven(self) -> bool:
        """True: grab when told (``wait``, ``due``), not on a fixed tick."""
        ...

    @property
    def pointer_driven(self) -> bool:
        """True: the pointer's moves end a ``wait`` too (no need to poll it)."""
        ...

    def monitors(self) -> list[Monitor]: ...

    def grab(self, monitor: Monitor) -> CapturedFrame: ...

    def wait(self, timeout: float) -> None:
        """The capture thread sleeps here: until new damage (or a pointer move) may have
        come, ``wake()`` is called, or ``timeout`` s pass.  Returns at once if ``wake()``
        came since the last wait; the caller looks at its own state after it.  With
        something ``pending()`` already, more of it need not end the wait."""

    def wake(self) -> None:
        """Any thread: end the capture thread's ``wait`` (now or the next one)."""

    def pending(self) -> bool:
        """True when a grab would find something new (damage arrived since the last)."""
        ...

    def due(self) -> float | None:
        """time.monotonic() by which the backend wants a grab anyway (the safety check)."""
        ...

    def force_full(self) -> None:
        """Read the whole monitor at the next grab (before a key frame)."""

    #: True: the caller encodes each grabbed frame adopting it as its reference
    #: (``ScreenEncoder.encode(adopt=True)``) and then calls ``adopted``
    hands_over: bool

    def adopted(self, changed: Sequence[Rect]) -> None:
        """The last grabbed frame is now the encoder's reference; ``changed``: where the
        update changed it (``ScreenEncoder.changed``)."""

    def key_grabs(self, monitor: Monitor) -> KeyGrabs | None:
        """The key lane's grabs (``key_grabs.KeyGrabs``) where typed keys can be served
        so from here (the last grab was of ``monitor``, adopted, nothing pending); None
        elsewhere (the general loop serves them)."""
        ...

    def close(self) -> None: ...


class DamageSource(Protocol):
    """An OS's report of what changed: rectangles and move hints since the last take."""

    pointer_events: bool  #: pointer moves count as pending (and wake the listener)
    #: with pointer_events, after a take(): did the pointer move since the previous take
    pointer_moved: bool

    @property
    def pending(self) -> bool: ...

    @property
    def reporting(self) -> bool:
        """False once the source reports nothing any more (its connection broke): from
        then on every grab compares the whole monitor (``DamageGrabber.damage_driven``)."""
        ...

    @property
    def damaged(self) -> bool:
        """Damage gathered and not taken (``pending`` without the pointer's moves)."""
        ...

    def take(self, left: int, top: int) -> tuple[Sequence[RectTuple], tuple[Motion, ...]]: ...

    def take_read(
        self, left: int, top: int, read: BoxRead | None
    ) -> tuple[Sequence[RectTuple], tuple[Motion, ...], int | Exception | None]:
        """``take``, and with ``read`` the read of the boxes in the same call where the
        source can (X11: ``XDamageSource.take_read``); a source that cannot returns
        ``take``'s answer and None."""
        ...

    def wait(self, timeout: float) -> None: ...

    def wake(self) -> None: ...

    def sync(self, timeout: float) -> bool: ...

    def close(self) -> None: ...


class PointerReads:
    """Where a grab says the pointer is: the X server is asked (a round trip) only when
    the damage source saw the pointer move, or its events are off, or the grab read the
    whole monitor (a warp raises no motion event); else the last answer stands."""

    def __init__(self, screen: ScreenGrabber, source: DamageSource) -> None:
        self._screen, self._source = screen, source
        self.last: tuple[int, int] | None = None  #: the last answer
        self._asked = False

    def read(self, monitor: Monitor, *, whole: bool) -> tuple[int, int] | None:
        """The pointer for a grab of ``monitor`` (``whole``: it read all of it)."""
        source = self._source
        if whole or not self._asked or not source.pointer_events or source.pointer_moved:
            self.last, self._asked = self._screen.cursor(monitor), True
        return self.last

    def told(self, cursor: tuple[int, int] | None) -> None:
        """A whole grab read the pointer itself (mss's)."""
        self.last, self._asked = cursor, True


class DamageGrabber:
    """Grab only what the damage source says changed, into one frame kept per monitor.

    Each grab takes the damage first, then reads just the coalesced boxes (one
    XShmGetImage each) into the kept frame, and returns it with those boxes as
    ``damage``.  A full grab happens on the first grab of a monitor (``damage=None``),
    on ``force_full()`` and at each safety check, so a change the source never reported
    is still sent: every SAFETY_PERIOD_S, or up to SAFETY_LONGEST_S while the checks
    find nothing unreported (``remoteapp.capture.safety``).  ``hand_over``: two kept frames take
    turns and the encoder adopts each (``remoteapp.capture.kept_frames``); then the
    safety check compares the whole read with the reference itself and reports ``()``
    when nothing changed, so an idle screen's check costs one compare, not an encode.
    Not thread-safe, like ScreenGrabber.
    """

    def __init__(
        self,
        screen: ScreenGrabber,
        source_factory: Callable[[], DamageSource],
        *,
        safety_period: float = SAFETY_PERIOD_S,
        safety_longest: float = SAFETY_LONGEST_S,
        clock: Callable[[], float] = time.monotonic,
        hand_over: bool = False,
    ) -> None:
        self._screen = screen
        self.safety = SafetyChecks(safety_period, safety_longest)
        self._clock = clock
        self.hands_over = hand_over
        self._kept: KeptFrames | None = None
        self._monitor: Monitor | None = None
        self.full_grabs = 0  #: how many grabs read the whole monitor (tests, bench)
        self.lane_grabs = 0  #: how many took and read their boxes in one C call (tests)
        self._source = source_factory()
        self.pointer = PointerReads(screen, self._source)

    @property
    def source(self) -> DamageSource:
        return self._source

    def restart(self) -> None:
        """Forget the kept frames (the encoder's reference is another backend's frame
        now): the next grab reads the whole monitor and reports no damage."""
        if self._kept is not None:
            self._kept.close()
            self._kept = None
        self._monitor = None

    @property
    def in_place_grabs(self) -> int:
        """Boxes the X server wrote straight into a kept frame (tests)."""
        return 0 if self._kept is None else self._kept.in_place_grabs

    def adopted(self, changed: Sequence[Rect]) -> None:
        if self._kept is not None:
            self._kept.adopted(changed)

    def key_grabs(self, monitor: Monitor) -> KeyGrabs | None:
        kept = self._kept
        if kept is None or monitor is not self._monitor or kept.dropped:
            return None
        if self._clock() >= self.safety.due or not self._source.reporting:
            return None
        from remoteapp.capture.key_grabs import key_grabs  # (X11's: python-xlib)

        screen, safety, clock = self._screen, self.safety, self._clock
        cursor = self.pointer.last
        return key_grabs(self._source, kept, screen, safety, monitor, cursor, clock)

    def __enter__(self) -> DamageGrabber:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def wait(self, timeout: float) -> None:
        self._source.wait(timeout)

    def wake(self) -> None:
        self._source.wake()

    @property
    def damage_driven(self) -> bool:
        """Until the source is lost (its connection broke): then the loop grabs on its
        tick and each grab compares the whole monitor, as polling does, rather than
        only the safety checks sending changes."""
        return self._source.reporting

    @property
    def pointer_driven(self) -> bool:
        return self._source.pointer_events and self._source.reporting

    def pending(self) -> bool:
        return self._source.pending

    def due(self) -> float | None:
        return self.safety.due

    def force_full(self) -> None:
        """Make the next grab a full one (a key frame follows anyway)."""
        self.safety.force()

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until the damage reported so far is gathered (tests, benchmarks): the
        next grab then holds everything drawn before this call."""
        return self._source.sync(timeout)

    def monitors(self) -> list[Monitor]:
        return self._screen.monitors()

    def grab(self, monitor: Monitor) -> CapturedFrame:
        now = self._clock()
        kept = self._kept
        read = None
        if (
            kept is not None
            and now < self.safety.due
            and (monitor is self._monitor or monitor == self._monitor)
        ):  # (a typed key's grab: the take and the read of its boxes in one C call)
            lane = self._screen.box_lane()
            read = lane and kept.box_read(lane)
        rects, moves, outcome = self._source.take_read(monitor.left, monitor.top, read)
        if outcome is not None and kept is not None:
            boxes: tuple[Rect, ...] = rects  # type: ignore[assignment]  # (coalesced: Rects)
            if isinstance(outcome, int):
                self.lane_grabs += 1
                frame = kept.box_read_done(boxes)
                return self._grabbed(frame, monitor, boxes, moves)
            self._screen.box_lane_failed(outcome)  # (the Python reads them, below)
            frame, damage = kept.read(boxes)
            return self._grabbed(frame, monitor, damage, moves)
        safety = self.safety
        if kept is None or (monitor is not self._monitor and monitor != self._monitor):
            safety.started(now)
            self.full_grabs += 1
            shot = self._screen.grab(monitor)
            if kept is not None:
                kept.close()
            kept = self._kept = KeptFrames(self._screen, monitor, shot.pixels, two=self.hands_over)
            self._monitor = monitor
            self.pointer.told(shot.cursor)
            return CapturedFrame(kept.front, monitor, shot.cursor, shot.timestamp, None, moves)
        if now >= safety.due or not self._source.reporting:  # (lost: every grab checks)
            self.full_grabs += 1
            dropped = kept.dropped  # (before the read, which takes the turn again)
            frame, changed = kept.read_checked()
            width, height = monitor.width, monitor.height
            # (judged by what a grab of that damage reads: the boxes cut to it)
            reported = cut_to_damage(coalesce(rects, width, height), rects, kept.wide_from)
            safety.checked(now, judge(changed, reported, self._source, dropped=dropped))
            damage = tuple(coalesce(changed, width, height)) if changed else changed
            stamp = time.monotonic()
            cursor = self.pointer.read(monitor, whole=True)
            return CapturedFrame(frame, monitor, cursor, stamp, damage, moves)
        coalesced = coalesce(rects, monitor.width, monitor.height)
        frame, damage = kept.read(cut_to_damage(coalesced, rects, kept.wide_from))
        return self._grabbed(frame, monitor, damage, moves)

    def _grabbed(
        self,
        frame: Pixels,
        monitor: Monitor,
        damage: tuple[Rect, ...] | None,
        moves: tuple[Motion, ...],
    ) -> CapturedFrame:
        """A grab of damage (not a full one): the pointer is read only if it moved."""
        stamp = time.monotonic()
        cursor = self.pointer.read(monitor, whole=False)
        return CapturedFrame(frame, monitor, cursor, stamp, damage, moves)

    def close(self) -> None:
        try:
            self._source.close()
        finally:
            if self._kept is not None:
                self._kept.close()
                self._kept = None
            self._screen.close()


def open_capture(
    mode: CaptureMode = "damage",
    display: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    hand_over: bool = False,
) -> ScreenGrabber | DamageGrabber | CopyGrabber:
    """The backend for ``mode`` on this display; ``damage`` falls back to ``poll``,
    ``copy`` to ``damage``; ``auto`` is ``copy`` or ``damage`` by the compositor.
    ``hand_over``: the caller adopts each frame (``CaptureBackend.hands_over``; the copy
    grabber always hands over)."""
    screen = ScreenGrabber(display=display, env=env)
    if mode == "poll" or not sys.platform.startswith("linux"):
        return screen
    from remoteapp.capture.x11_damage import XDamageSource

    if mode == "auto":
        from remoteapp.capture.x11_compositor import auto_mode

        mode = auto_mode(display)
    if mode == "copy":
        copy = _copy_grabber(screen, display)
        if copy is not None:
            return copy
    try:
        return DamageGrabber(screen, lambda: XDamageSource(display), hand_over=hand_over)
    except CaptureError as exc:
        log.info("capture event=polling reason=%r", str(exc))
        return screen


def _copy_grabber(screen: ScreenGrabber, display: str | None) -> CopyGrabber | None:
    """The copy-following grabber, or None (logged) where it cannot follow."""
    from remoteapp.capture.copy_capture import CopyCapture
    from remoteapp.capture.copy_grabber import CopyGrabber
    from remoteapp.capture.x11_damage import XDamageSource
    from remoteapp.capture.x11_link import XLink

    try:
        monitors = screen.monitors()
        shapes = {(m.left, m.top, m.width, m.height) for m in monitors}
        if len(shapes) != 1 or monitors[0].left or monitors[0].top:
            raise CaptureError("more than one monitor (the copy model is the root's)")
        return CopyGrabber(
            screen,
            lambda: XDamageSource(display),
            lambda reader: CopyCapture(display, reader),
            lambda: XLink(display),
        )
    except CaptureError as exc:
        log.info("capture event=copy-off reason=%r", str(exc))
        return None
