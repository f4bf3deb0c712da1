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
import socket
import time
from collections.abc import Callable
from typing import Any, Final

import numpy as np

from remoteapp.capture.x11_link import open_display
from remoteapp.codec.geometry import Rect

#: the least time between two probes of one window
MIN_INTERVAL_S: Final = 0.25
#: ... and of one GC (a "no" is asked again after it: the GC may have changed)
GC_MIN_INTERVAL_S: Final = 2.0
#: the most probe times kept before the stale ones are forgotten
MAX_KEPT: Final = 256
#: the largest window a GC is probed through (two scratch pixmaps its size, read back)
MAX_GC_PROBE_PIXELS: Final = 4096 * 2160
#: CopyGC's mask: function, plane mask, subwindow mode, clip origin, clip mask
_COPY_COMPONENTS: Final = (1 << 0) | (1 << 1) | (1 << 15) | (1 << 17) | (1 << 18) | (1 << 19)


class WindowProver:
    """Probes windows for a ``CopyFollower`` (``announce``: its ``probing``)."""

    def __init__(
        self,
        display: str | None,
        announce: Callable[[int, Rect], None],
        clock: Callable[[], float] = time.monotonic,
        announce_gc: Callable[[int, int, tuple[int, int] | None], None] = lambda *_: None,
    ) -> None:
        self._d: Any = open_display(display, "probes")
        self._announce, self._clock, self._announce_gc = announce, clock, announce_gc
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
        if not self._due(window, MIN_INTERVAL_S):
            return False
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

    def probe_gc(self, gc: int, window: int) -> bool:
        """Probe ``gc``, a GC the stream never saw created, through ``window`` (proven):
        under a server grab, CopyGC its copy components into a GC of ours that starts as
        GXnoop (a CopyGC refused for another depth leaves it so), then copy through it
        between two scratch pixmaps of the window's size and depth.  First onto the
        complement of the source: every pixel must come out as the source's (the clip,
        if any, covers the window; each plane saw 0 onto 1 and 1 onto 0); then onto the
        source itself (0 onto 0, 1 onto 1).  Only GXcopy on all planes gives
        the source every time.  The verdict goes to ``announce_gc`` (False: not probed)."""
        if not self._due(-gc - 1, GC_MIN_INTERVAL_S):  # (the GCs' times beside the windows')
            return False
        from Xlib import X
        from Xlib.error import XError

        d, win = self._d, self._d.create_resource_object("window", window)
        theirs = d.create_resource_object("gc", gc)
        try:  # (no grab for a window too large or too narrow to probe through)
            g = win.get_geometry()
        except XError:
            return False
        if g.width * g.height > MAX_GC_PROBE_PIXELS or g.width < 2:
            return False
        made: list[Any] = []
        d.grab_server()
        try:
            g = win.get_geometry()
            w, h, depth = g.width, g.height, g.depth
            if w * h > MAX_GC_PROBE_PIXELS or w < 2:
                return False
            source, target = win.create_pixmap(w, h, depth), win.create_pixmap(w, h, depth)
            made += [source, target]
            ink = source.create_gc(graphics_exposures=False)
            ours = win.create_gc(function=X.GXnoop, graphics_exposures=False)
            made += [ink, ours]
            ones = (1 << depth) - 1
            for drawable, left, right in ((source, 0, ones), (target, ones, 0)):
                for x0, x1, colour in ((0, w // 2, left), (w // 2, w, right)):
                    ink.change(foreground=colour)
                    drawable.fill_rectangle(ink, x0, 0, x1 - x0, h)
            ours.copy(theirs, _COPY_COMPONENTS)
            target.copy_area(ours, source, 0, 0, w, h, 0, 0)
            expected = _image(source, w, h, depth)
            covers = _image(target, w, h, depth) == expected
            if covers:  # (the other two combinations, where the clip is now known good)
                target.copy_area(ink, source, 0, 0, w, h, 0, 0)
                target.copy_area(ours, source, 0, 0, w, h, 0, 0)
                covers = _image(target, w, h, depth) == expected
            self._announce_gc(gc, ours.id, (w, h) if covers else None)
            return True
        except XError:
            return False
        finally:
            for resource in made:
                with contextlib.suppress(XError):
                    resource.free()
            d.ungrab_server()
            with contextlib.suppress(XError):
                d.sync()

    def _due(self, key: int, interval: float) -> bool:
        """Whether ``key`` may be probed now (and it is marked so); the book forgets what
        is past every interval once it holds ``MAX_KEPT`` (windows and GCs come and go)."""
        now = self._clock()
        if now - self._last.get(key, -interval) < interval:
            return False
        if len(self._last) >= MAX_KEPT:
            self._last = {k: t for k, t in self._last.items() if now - t < GC_MIN_INTERVAL_S}
        self._last[key] = now
        return True

    def close(self) -> None:
        self._d.close()

    def abandon(self) -> None:
        """Any thread: end the connection under a probe that waits (another client's
        server grab): its round trip fails there, and the prover is not to be used
        again.  (``close`` would wait for python-xlib's lock, which the probe holds.)"""
        with contextlib.suppress(OSError):
            self._d.display.socket.shutdown(socket.SHUT_RDWR)


def _image(drawable: Any, w: int, h: int, depth: int) -> bytes:
    """The drawable's pixels, a depth-24 one's masked to its 24 bits (the pad byte is
    unspecified)."""
    from Xlib import X

    data = drawable.get_image(0, 0, w, h, X.ZPixmap, 0xFFFFFFFF).data
    if depth != 24:
        return bytes(data)
    return (np.frombuffer(data, np.uint32) & np.uint32(0xFFFFFF)).tobytes()
