"""Where the pointer is, behind one small per-OS interface.

The frame carries the hot-spot position so the viewer draws the cursor itself (crisp at
any scale, and moving it costs a few bytes instead of re-sending the pixels under it).
"""

from __future__ import annotations

import ctypes
import sys
from typing import Protocol

import mss


class PointerReader(Protocol):
    def position(self) -> tuple[int, int] | None:
        """Pointer hot spot in virtual-screen coordinates, or None when unknown."""
        ...


class XFixesPointer:
    """X11: XFixes GetCursorImage over mss's own XCB connection (no second X client).

    This reaches into mss internals (``_impl.conn``, ``mss.linux.xcb``); any failure turns
    the reader off instead of breaking capture, since frames without a pointer still work.
    """

    def __init__(self, sct: mss.MSS) -> None:
        self._impl = getattr(sct, "_impl", None)
        self._ready: bool | None = None

    def position(self) -> tuple[int, int] | None:
        impl = self._impl
        if impl is None or self._ready is False:
            return None
        try:
            from mss.linux import xcb  # mss internals: guarded by the except below

            if self._ready is None:
                self._ready = bool(impl._cursor_check_xfixes())
                if not self._ready:
                    return None
            reply = xcb.xfixes_get_cursor_image(impl.conn)  # type: ignore[attr-defined]
            return int(reply.x), int(reply.y)  # x, y are the hot spot, xhot/yhot its offset
        except Exception:  # ctypes/mss errors: run on without the pointer
            self._ready = False
            return None


class WindowsPointer:
    """Windows: GetCursorPos, in virtual-screen coordinates like mss's monitors."""

    def position(self) -> tuple[int, int] | None:
        class POINT(ctypes.Structure):
            _fields_ = [("x", ctypes.c_long), ("y", ctypes.c_long)]

        point = POINT()
        windll = getattr(ctypes, "windll", None)
        if windll is None or not windll.user32.GetCursorPos(ctypes.byref(point)):
            return None
        return int(point.x), int(point.y)


class QuartzPointer:
    """macOS: CGEventGetLocation of a fresh event, in global display points."""

    def __init__(self) -> None:
        from ctypes import util

        path = util.find_library("ApplicationServices")
        self._lib = ctypes.cdll.LoadLibrary(path) if path else None
        if self._lib is not None:

            class CGPoint(ctypes.Structure):
                _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double)]

            self._lib.CGEventCreate.restype = ctypes.c_void_p
            self._lib.CGEventCreate.argtypes = [ctypes.c_void_p]
            self._lib.CGEventGetLocation.restype = CGPoint
            self._lib.CGEventGetLocation.argtypes = [ctypes.c_void_p]
            self._lib.CFRelease.argtypes = [ctypes.c_void_p]

    def position(self) -> tuple[int, int] | None:
        if self._lib is None:
            return None
        event = self._lib.CGEventCreate(None)
        if not event:
            return None
        point = self._lib.CGEventGetLocation(event)
        self._lib.CFRelease(event)
        return int(point.x), int(point.y)


def pointer_reader(sct: mss.MSS) -> PointerReader:
    """The pointer reader for this OS."""
    if sys.platform.startswith("win"):
        return WindowsPointer()
    if sys.platform == "darwin":
        return QuartzPointer()
    return XFixesPointer(sct)
