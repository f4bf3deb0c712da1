"""Probes that prove a window wholly visible, on a connection of their own (the copy
model's fifth piece).

Under a server grab (no other client runs), the prover asks where the window is, checks
that it is viewable and not redirected (Composite: a redirected window's damage is its
own pixmap's, unclipped), and copies the window onto itself at no offset with a plain GC
of its own.  That copy changes no pixel, but its damage report is exactly the part of the
window the screen shows: clipped by the windows above it, its ancestors, its children
and the screen's edge.  The follower (``copy_follower.probing``) sees the probe and its
report in the stream, in place, and proves the window when the report is the whole
window.  The grab is held for a few round trips; a window is probed at most once per
``MIN_INTERVAL_S`` (a busy desktop's window requests drop every proof).

Errors: ``CaptureError`` when the connection cannot be opened; a window that goes, or any
X error while probing, is simply not proven.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any, Final

from remoteapp.codec.geometry import Rect
from remoteapp.errors import CaptureError

#: the least time between two probes of one window
MIN_INTERVAL_S: Final = 0.25


class WindowProver:
    """Probes windows for a ``CopyFollower`` (``announce``: its ``probing``)."""

    def __init__(
        self,
        display: str | None,
        announce: Callable[[int, Rect], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        try:
            from Xlib import display as xdisplay
            from Xlib.error import DisplayError
        except ImportError as exc:  # pragma: no cover - python-xlib is a dependency
            raise CaptureError(f"python-xlib is missing: {exc}") from exc
        try:
            self._d: Any = xdisplay.Display(display)
        except (DisplayError, OSError) as exc:
            raise CaptureError(f"cannot open the display for probes: {exc}") from exc
        self._announce, self._clock = announce, clock
        # (an error of a request without a reply is an answer here, never a print:
        # NameWindowPixmap's BadMatch says the window is not redirected)
        self._d.set_error_handler(lambda *args: None)
        self._root = self._d.screen().root
        self._composite = self._d.has_extension("Composite")
        if self._composite:
            self._d.composite_query_version()
        self._last: dict[int, float] = {}

    @property
    def client(self) -> int:
        """The probes' client (the connection's resource-id base)."""
        return int(self._d.display.info.resource_id_base)

    def probe(self, window: int) -> bool:
        """Probe ``window`` (False: too soon after its last probe, or it cannot be: gone,
        not viewable, redirected).  The proof, if any, comes through the stream."""
        now = self._clock()
        if now - self._last.get(window, -MIN_INTERVAL_S) < MIN_INTERVAL_S:
            return False
        self._last[window] = now
        from Xlib import X
        from Xlib.error import XError

        errors: list[object] = []
        win = self._d.create_resource_object("window", window)
        gc = None
        self._d.grab_server()
        try:
            attributes = win.get_attributes()
            if attributes.map_state != X.IsViewable or attributes.win_class != X.InputOutput:
                return False
            geometry = win.get_geometry()
            place = self._root.translate_coords(win, 0, 0)
            if self._composite:
                pixmap = win.composite_name_window_pixmap(onerror=lambda e, *_: errors.append(e))
                self._d.sync()  # (succeeding is the answer: the window is redirected)
                if not errors:
                    pixmap.free()
                    return False
            gc = win.create_gc(subwindow_mode=X.ClipByChildren, graphics_exposures=False)
            rect = Rect(place.x, place.y, geometry.width, geometry.height)
            self._announce(window, rect)
            win.copy_area(gc, win, 0, 0, geometry.width, geometry.height, 0, 0)
            return True
        except XError:
            return False
        finally:
            if gc is not None:
                gc.free()
            self._d.ungrab_server()
            with contextlib.suppress(XError):
                self._d.sync()

    def close(self) -> None:
        self._d.close()
