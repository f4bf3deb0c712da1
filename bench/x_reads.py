"""Image reads the X server served, counted by the RECORD extension (``bench.capture_cpu
--reads``): how many GetImage and MIT-SHM ShmGetImage requests each capturer made, and how
many pixels they asked for.

Xvfb's extra load on scroll is mostly these reads (the pixels copied out of its
framebuffer).  A capturer that sends fewer frames reads fewer pixels, so Xvfb's CPU alone
cannot tell a cheaper read from fewer of them; this counts them, in the same window as the
CPU.  One RECORD context (all clients, the two read requests only) on a connection of its
own; the requests are copied to it as the server runs them, a few dozen bytes each, and
nothing else is recorded.  The data connection is read in a thread; ``settle`` takes the
totals once every read the server ran so far is in.

The count is the server's: it is every client's reads (but the marker reads of
``settle``), so a window counts only while its capturer is the one reading (the bench's
own checks run outside the windows).  Recording costs the server a copy of each read
request to this connection, and this process a callback: nothing beside a read of 64x64
pixels or more, but x11vnc reads by scan lines, thousands of requests a second, and its
Xvfb figure under ``--reads`` carries that cost too.
"""

from __future__ import annotations

import struct
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

GET_IMAGE = 73  #: core GetImage
SHM_GET_IMAGE = 4  #: MIT-SHM's ShmGetImage (minor opcode)
#: both requests hold width and height (CARD16) at the same place, after the opcodes, the
#: length and the drawable (and x, y)
SIZE_AT = 12


@dataclass(frozen=True)
class Reads:
    """Totals so far: image read requests, and the pixels they asked for."""

    requests: int = 0
    pixels: int = 0

    def __sub__(self, earlier: Reads) -> Reads:
        return Reads(self.requests - earlier.requests, self.pixels - earlier.pixels)


def image_reads(data: bytes, big_endian: bool) -> Iterator[tuple[int, int]]:
    """(width, height) of each request in one recorded block of a client's requests (the
    only requests the context records are the two reads).  The block is a run of whole
    requests in the client's byte order; a request of length 0 is a BIG-REQUESTS one, its
    length in the next four bytes.  A block cut short ends the run: a count, not a proof."""
    order = ">" if big_endian else "<"
    offset = 0
    while offset + 4 <= len(data):
        (words,) = struct.unpack_from(order + "H", data, offset + 2)
        size_at = SIZE_AT
        if words == 0:
            if offset + 8 > len(data):
                return
            (words,) = struct.unpack_from(order + "I", data, offset + 4)
            size_at += 4
        size = 4 * words
        if size < size_at + 4 or offset + size > len(data):
            return
        width, height = struct.unpack_from(order + "HH", data, offset + size_at)
        yield width, height
        offset += size


class XReads:
    """Counts the image reads ``display``'s server runs, from entering until leaving.

    ``settle`` makes a marker read of its own (not counted) and waits until it comes
    back: RECORD keeps the server's order, so every read the server ran before it has
    been counted by then, whichever client asked.
    """

    def __init__(self, display: str, timeout: float = 10.0) -> None:
        from Xlib import display as xdisplay
        from Xlib.ext import record

        self._record, self._timeout = record, timeout
        self._control = xdisplay.Display(display)
        try:
            self._data = xdisplay.Display(display)
        except BaseException:
            self._control.close()
            raise
        try:
            self._context = self._create(display)
        except BaseException:
            self._close()
            raise
        #: the marker reads' client (the control connection's resource id base)
        self._marker_base = self._control.display.info.resource_id_base
        self._lock = threading.Condition()
        self._totals = Reads()
        self._markers = 0
        self._started = False
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="x-reads", daemon=True)

    def _create(self, display: str) -> int:
        if not self._control.has_extension("RECORD"):
            raise RuntimeError(f"the X server on {display} has no RECORD extension")
        shm = self._control.query_extension("MIT-SHM")
        ranges = [_range(core=(GET_IMAGE, GET_IMAGE))]
        if shm is not None:
            opcode = shm.major_opcode
            ranges.append(_range(ext=(opcode, opcode, SHM_GET_IMAGE, SHM_GET_IMAGE)))
        context: int = self._control.record_create_context(0, [self._record.AllClients], ranges)
        self._control.sync()
        return context

    def __enter__(self) -> XReads:
        self._thread.start()
        with self._lock:  # (reads before the context is enabled would go uncounted)
            self._lock.wait_for(lambda: self._started or self._failed is not None, self._timeout)
        if not self._started:
            self.__exit__(None, None, None)
            raise RuntimeError("the RECORD context did not start") from self._failed
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._control.record_disable_context(self._context)
            self._control.sync()
            self._thread.join(self._timeout)
            self._control.record_free_context(self._context)
            self._control.sync()
        finally:
            self._close()

    def snapshot(self) -> Reads:
        """The totals so far (raises what ended the recording, if it ended early)."""
        with self._lock:
            if self._failed is not None:
                raise RuntimeError("the RECORD stream ended") from self._failed
            return self._totals

    def settle(self) -> Reads:
        """The totals once every read the server ran before this call is counted."""
        from Xlib import X

        with self._lock:
            markers = self._markers
        root = self._control.screen().root
        root.get_image(0, 0, 1, 1, X.ZPixmap, 0xFFFFFFFF)  # (its reply: the server ran it)
        with self._lock:
            back = self._lock.wait_for(
                lambda: self._failed is not None or self._markers > markers, self._timeout
            )
        if not back:
            raise RuntimeError(f"RECORD: a marker read not back in {self._timeout:g} s")
        return self.snapshot()

    def _run(self) -> None:
        try:
            self._data.record_enable_context(self._context, self._recorded)
        except Exception as exc:  # the data connection broke: snapshot says so
            with self._lock:
                self._failed = exc
                self._lock.notify_all()

    def _recorded(self, reply: Any) -> None:
        if reply.category == self._record.StartOfData:
            with self._lock:
                self._started = True
                self._lock.notify_all()
            return
        if reply.category != self._record.FromClient:
            return
        data = reply.data if isinstance(reply.data, bytes) else bytes(reply.data, "latin-1")
        # (client_swapped: the recorded client's byte order is not the recording one's,
        # and python-xlib speaks this machine's)
        big_endian = (sys.byteorder == "big") != bool(reply.client_swapped)
        sizes = list(image_reads(data, big_endian=big_endian))
        with self._lock:
            if reply.id_base == self._marker_base:
                self._markers += len(sizes)
            else:
                self._totals = Reads(
                    self._totals.requests + len(sizes),
                    self._totals.pixels + sum(w * h for w, h in sizes),
                )
            self._lock.notify_all()

    def _close(self) -> None:
        try:
            self._data.close()
        finally:
            self._control.close()


def _range(
    core: tuple[int, int] = (0, 0), ext: tuple[int, int, int, int] = (0, 0, 0, 0)
) -> dict[str, Any]:
    """One RECORD range: core requests ``core``, or extension requests ``ext`` (major
    first, major last, minor first, minor last)."""
    return {
        "core_requests": core,
        "core_replies": (0, 0),
        "ext_requests": ext,
        "ext_replies": (0, 0, 0, 0),
        "delivered_events": (0, 0),
        "device_events": (0, 0),
        "errors": (0, 0),
        "client_started": False,
        "client_died": False,
    }
