"""The capture backend interface, the damage-driven grabber and the choice between them.

A backend grabs a monitor into a ``CapturedFrame``; one with damage hints also says which
boxes may have changed (``frame.damage``) and which windows moved (``frame.moves``), and
wakes its listener when something changed, so the capture loop can sleep until then.

    open_capture("damage")   X11 with DAMAGE: DamageGrabber over XDamageSource
    open_capture("poll")     ScreenGrabber: grab and diff the whole monitor each time

``damage`` falls back to ``poll`` (with a log line) where there is no damage source: not
X11, no DAMAGE/XFixes extension.  Windows (DXGI Desktop Duplication) and macOS
(ScreenCaptureKit) sources are designed in docs/capture.md and plug in as a
``DamageSource`` the same way.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Final, Literal, Protocol

import numpy as np
import numpy.typing as npt

from remoteapp.capture.damage import coalesce
from remoteapp.capture.grabber import CapturedFrame, Monitor, ScreenGrabber
from remoteapp.capture.shm_frame import SharedFrame
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion
from remoteapp.codec.pixels import Pixels
from remoteapp.errors import CaptureError

log = logging.getLogger("remoteapp.capture")

CaptureMode = Literal["damage", "poll"]

#: A full grab and diff this often even when no damage came: drivers under-report.
SAFETY_PERIOD_S: Final = 2.0
#: A damage box at least this share of the monitor's width is read as whole rows into the
#: shared frame (the X server reads at most a third more, and no copy follows).
WIDEN_NUMERATOR: Final = 3
WIDEN_DENOMINATOR: Final = 4


class CaptureBackend(Protocol):
    """What the customer's capture loop needs from a backend."""

    damage_driven: bool  #: True: grab when told (listener, ``due``), not on a fixed tick

    @property
    def pointer_driven(self) -> bool:
        """True: the pointer's moves wake the listener too (no need to poll it)."""
        ...

    def monitors(self) -> list[Monitor]: ...

    def grab(self, monitor: Monitor) -> CapturedFrame: ...

    def set_listener(self, listener: Callable[[], None]) -> None:
        """``listener()`` is called from any thread when new damage arrives."""

    def pending(self) -> bool:
        """True when a grab would find something new (damage arrived since the last)."""
        ...

    def due(self) -> float | None:
        """time.monotonic() by which the backend wants a grab anyway (the safety check)."""
        ...

    def force_full(self) -> None:
        """Read the whole monitor at the next grab (before a key frame)."""

    def close(self) -> None: ...


class DamageSource(Protocol):
    """An OS's report of what changed: rectangles and move hints since the last take."""

    pointer_events: bool  #: pointer moves count as pending (and wake the listener)
    #: with pointer_events, after a take(): did the pointer move since the previous take
    pointer_moved: bool

    @property
    def pending(self) -> bool: ...

    def take(self, left: int, top: int) -> tuple[npt.NDArray[np.int32], tuple[Motion, ...]]: ...

    def sync(self, timeout: float) -> bool: ...

    def close(self) -> None: ...


class DamageGrabber:
    """Grab only what the damage source says changed, into one frame kept per monitor.

    Each grab takes the damage first, then reads just the coalesced boxes (one
    XShmGetImage each) into the kept frame, and returns it with those boxes as
    ``damage``.  A full grab with ``damage=None`` happens on the first grab of a monitor,
    on ``force_full()`` and every SAFETY_PERIOD_S, so a change the source never
    reported is still sent within that period.  Not thread-safe, like ScreenGrabber.
    """

    damage_driven = True

    def __init__(
        self,
        screen: ScreenGrabber,
        source_factory: Callable[[Callable[[], None]], DamageSource],
        *,
        safety_period: float = SAFETY_PERIOD_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._screen = screen
        self._listener: Callable[[], None] = lambda: None
        self._listener_lock = threading.Lock()
        self._safety = safety_period
        self._clock = clock
        self._frame: Pixels | None = None
        self._shared: SharedFrame | None = None  #: the kept frame's segment, when it has one
        self._monitor: Monitor | None = None
        self._next_full = 0.0
        self._cursor: tuple[int, int] | None = None  #: the last pointer read
        self.full_grabs = 0  #: how many grabs read the whole monitor (tests, bench)
        self.in_place_grabs = 0  #: boxes the X server wrote into the shared frame (tests)
        self._source = source_factory(self._damaged)

    def __enter__(self) -> DamageGrabber:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _damaged(self) -> None:
        with self._listener_lock:
            listener = self._listener
        listener()

    def set_listener(self, listener: Callable[[], None]) -> None:
        with self._listener_lock:
            self._listener = listener

    @property
    def pointer_driven(self) -> bool:
        return self._source.pointer_events

    def pending(self) -> bool:
        return self._source.pending

    def due(self) -> float | None:
        return self._next_full

    def force_full(self) -> None:
        """Make the next grab a full one (a key frame follows anyway)."""
        self._next_full = 0.0

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until the damage reported so far is gathered (tests, benchmarks): the
        next grab then holds everything drawn before this call."""
        return self._source.sync(timeout)

    def monitors(self) -> list[Monitor]:
        return self._screen.monitors()

    def grab(self, monitor: Monitor) -> CapturedFrame:
        rects, moves = self._source.take(monitor.left, monitor.top)
        now = self._clock()
        frame = self._frame
        if frame is None or monitor != self._monitor or now >= self._next_full:
            self._next_full = now + self._safety
            self.full_grabs += 1
            if frame is None or monitor != self._monitor:
                shot = self._screen.grab(monitor)
                frame = self._keep(monitor, shot.pixels)
                self._cursor = shot.cursor
                return CapturedFrame(frame, monitor, shot.cursor, shot.timestamp, None, moves)
            self._grab_box(monitor, Rect(0, 0, monitor.width, monitor.height), frame)
            stamp = time.monotonic()
            return CapturedFrame(frame, monitor, self._read_cursor(monitor), stamp, None, moves)
        boxes = coalesce(rects, monitor.width, monitor.height)
        for box in boxes:
            self._grab_box(monitor, box, frame)
        stamp = time.monotonic()
        pointer_still = self._source.pointer_events and not self._source.pointer_moved
        cursor = self._cursor if pointer_still else self._read_cursor(monitor)
        return CapturedFrame(frame, monitor, cursor, stamp, tuple(boxes), moves)

    def _keep(self, monitor: Monitor, pixels: Pixels) -> Pixels:
        """Make ``pixels`` (a first grab of ``monitor``) the kept frame: in a segment the X
        server writes into where it can be (``SharedFrame``), else the array itself."""
        if self._shared is not None:
            self._shared.close()
            self._shared = None
        frame = pixels
        with contextlib.suppress(CaptureError):  # no MIT-SHM: every box is copied in
            self._shared = self._screen.shared_frame(monitor)
            frame = self._shared.pixels
            np.copyto(frame, pixels)
        self._frame, self._monitor = frame, monitor
        return frame

    def _grab_box(self, monitor: Monitor, box: Rect, frame: Pixels) -> None:
        """Read ``box`` into the kept frame.  A box nearly as wide as the monitor is read as
        whole rows straight into the shared frame (the X server copies a little more, this
        process copies nothing); others through mss's segment and a copy."""
        shared = self._shared
        if shared is not None and box.w * WIDEN_DENOMINATOR >= monitor.width * WIDEN_NUMERATOR:
            try:
                shared.grab_rows(box.y, box.h)
                self.in_place_grabs += 1
                return
            except CaptureError as exc:  # keep the frame as a plain array from now on
                log.info("capture event=shared-frame-off reason=%r", str(exc))
                shared.close()
                self._shared = None
        self._screen.grab_into(monitor, box, frame[box.y : box.bottom, box.x : box.right])

    def _read_cursor(self, monitor: Monitor) -> tuple[int, int] | None:
        """Ask the X server where the pointer is (a round trip); a grab reuses the answer
        while the source saw no pointer motion, and every full grab asks again (a warp
        raises no motion event)."""
        self._cursor = self._screen.cursor(monitor)
        return self._cursor

    def close(self) -> None:
        try:
            self._source.close()
        finally:
            if self._shared is not None:
                self._shared.close()
                self._shared = None
            self._screen.close()


def open_capture(
    mode: CaptureMode = "damage",
    display: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ScreenGrabber | DamageGrabber:
    """The backend for ``mode`` on this display; ``damage`` falls back to ``poll``."""
    screen = ScreenGrabber(display=display, env=env)
    if mode == "poll" or not sys.platform.startswith("linux"):
        return screen
    from remoteapp.capture.x11_damage import XDamageSource

    try:
        return DamageGrabber(screen, lambda notify: XDamageSource(display, notify))
    except CaptureError as exc:
        log.info("capture event=polling reason=%r", str(exc))
        return screen
