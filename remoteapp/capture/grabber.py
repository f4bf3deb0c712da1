"""Grab monitors into numpy BGRA frames (mss ``.raw`` + ``np.frombuffer``, no ``.rgb``).

On X11 mss uses MIT-SHM (XShmGetImage) and falls back to GetImage on its own; we report
which is in use (``backend_status``) so a slow capture can be explained.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType

import mss
import mss.exception
import numpy as np

from remoteapp.capture.pointer import PointerReader, pointer_reader
from remoteapp.capture.session import check_capturable
from remoteapp.codec.pixels import Pixels
from remoteapp.errors import CaptureError, NoDisplayError


@dataclass(frozen=True, slots=True)
class Monitor:
    """One capturable area; index 0 is the union of all monitors (mss's convention)."""

    index: int
    left: int
    top: int
    width: int
    height: int
    primary: bool = False
    name: str = ""

    def contains(self, x: int, y: int) -> bool:
        return self.left <= x < self.left + self.width and self.top <= y < self.top + self.height


@dataclass(frozen=True, slots=True)
class CapturedFrame:
    pixels: Pixels  #: (height, width, 4) BGRA, C-contiguous, owned by the caller
    monitor: Monitor
    cursor: tuple[int, int] | None  #: pointer hot spot relative to the monitor's corner
    timestamp: float  #: time.monotonic() at capture


class ScreenGrabber:
    """Capture monitors of the current display.  Not thread-safe: one grabber per thread."""

    def __init__(self, display: str | None = None, env: Mapping[str, str] | None = None) -> None:
        if display is None:
            check_capturable(env)
        try:
            self._sct = mss.MSS(display=display) if display else mss.MSS()
        except mss.exception.ScreenShotError as exc:
            raise NoDisplayError(f"cannot open the display: {exc}") from exc
        self._pointer: PointerReader = pointer_reader(self._sct)

    def __enter__(self) -> ScreenGrabber:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._sct.close()

    @property
    def backend_status(self) -> list[str]:
        """mss's notes on its backend (for example why MIT-SHM is not used)."""
        return list(self._sct.performance_status)

    def monitors(self) -> list[Monitor]:
        """All monitors: [union, first, second, ...], re-read each call (hot-plug)."""
        try:
            raw = self._sct.monitors
        except mss.exception.ScreenShotError as exc:
            raise CaptureError(f"cannot list monitors: {exc}") from exc
        return [
            Monitor(
                index=i,
                left=int(m["left"]),
                top=int(m["top"]),
                width=int(m["width"]),
                height=int(m["height"]),
                primary=bool(m.get("is_primary", False)),
                name=str(m.get("output", "all" if i == 0 else f"monitor {i}")),
            )
            for i, m in enumerate(raw)
        ]

    def grab(self, monitor: Monitor | int = 1) -> CapturedFrame:
        """One frame of ``monitor`` (a Monitor or an index; 0 grabs all monitors at once)."""
        if isinstance(monitor, int):
            found = self.monitors()
            if not 0 <= monitor < len(found):
                raise CaptureError(f"no monitor {monitor}: this display has {len(found) - 1}")
            monitor = found[monitor]
        region = {
            "left": monitor.left,
            "top": monitor.top,
            "width": monitor.width,
            "height": monitor.height,
        }
        try:
            shot = self._sct.grab(region)
        except mss.exception.ScreenShotError as exc:
            raise CaptureError(f"capture of {monitor.name} failed: {exc}") from exc
        stamp = time.monotonic()
        height, width = shot.height, shot.width
        pixels = np.frombuffer(shot.raw, dtype=np.uint8).reshape(height, width, 4)
        pointer = self._pointer.position()
        cursor = None if pointer is None else (pointer[0] - monitor.left, pointer[1] - monitor.top)
        return CapturedFrame(pixels, monitor, cursor, stamp)
