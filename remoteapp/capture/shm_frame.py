"""A kept frame the X server writes into: whole-width grabs land in place, no copy.

The damage grabber keeps one frame per monitor and reads the damaged boxes into it.
Through mss's shared-memory segment every box is read twice: the X server writes it into
the segment, then numpy copies it into the frame (about 0.7 ms of the customer's CPU
for a full-screen scroll's 8 MB, each frame).  ``SharedFrame`` makes the frame itself a
MIT-SHM segment (a memfd attached with ``ShmAttachFd``): an ``XShmGetImage`` of whole
rows at the segment offset of their first row writes them exactly where they belong,
because an image as wide as the monitor has the frame's row stride.  Narrower boxes
still go through ``ScreenGrabber.grab_into``.

This reaches into mss internals (its xcb connection and bindings), like
``ScreenGrabber._shm_into``, and only once mss has proven MIT-SHM works; any surprise
raises ``CaptureError`` and the caller keeps an ordinary frame.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from typing import Any

import numpy as np

from remoteapp.capture.grabber import Monitor, ScreenGrabber
from remoteapp.codec.pixels import Pixels
from remoteapp.errors import CaptureError


class SharedFrame:
    """One monitor-sized BGRA frame in a MIT-SHM segment of mss's X connection."""

    def __init__(self, sct: Any, monitor: Monitor, screen: ScreenGrabber) -> None:
        self._monitor, self._screen = monitor, screen
        self._fd: int | None = None
        self._buf: mmap.mmap | None = None
        self._seg: Any = None
        try:
            from mss.linux import xcb as mss_xcb  # mss internals: any surprise: CaptureError
            from mss.linux.xshmgetimage import ShmStatus

            impl = getattr(sct, "_impl", None)
            if impl is None or getattr(impl, "shm_status", None) is not ShmStatus.AVAILABLE:
                raise CaptureError("MIT-SHM is not proven on this connection")
            xcb: Any = mss_xcb
            self._xcb, self._impl = xcb, impl
            size = monitor.width * monitor.height * 4
            self._fd = os.memfd_create("remoteapp-frame", os.MFD_CLOEXEC)
            os.ftruncate(self._fd, size)
            self._buf = mmap.mmap(self._fd, size, mmap.MAP_SHARED)
            seg = xcb.ShmSeg(xcb.generate_id(impl.conn).value)
            fd, self._fd = self._fd, None  # xcb closes it, attached or not
            xcb.shm_attach_fd(impl.conn, seg, fd, read_only=False)
            self._seg = seg
        except CaptureError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise CaptureError(f"no shared frame: {exc}") from exc
        #: the frame: (height, width, 4) BGRA, C-contiguous, in the segment
        self.pixels: Pixels = np.frombuffer(self._buf, np.uint8).reshape(
            monitor.height, monitor.width, 4
        )

    def grab_rows(self, top: int, height: int) -> None:
        """Read rows [top, top + height) of the monitor into ``pixels`` (one round trip)."""
        mon, offset = self._monitor, top * self._monitor.width * 4
        self._screen.shm_read(
            self._impl, mon.left, mon.top + top, mon.width, height, self._seg, offset
        )

    def close(self) -> None:
        """Detach the segment; the mapping goes with the last view of ``pixels``."""
        if self._seg is not None:
            with contextlib.suppress(Exception):  # the connection may be gone already
                self._xcb.shm_detach(self._impl.conn, self._seg)
            self._seg = None
        if self._buf is not None:
            with contextlib.suppress(BufferError):  # a view is alive: unmapped with it
                self._buf.close()
            self._buf = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
