"""Image reads the X server served, counted by the RECORD extension (``bench.capture_cpu
--reads``): how many GetImage and MIT-SHM ShmGetImage requests each capturer made, and how
many pixels they asked for.

Xvfb's extra load on scroll is mostly these reads (the pixels copied out of its
framebuffer).  A capturer that sends fewer frames reads fewer pixels, so Xvfb's CPU alone
cannot tell a cheaper read from fewer of them; this counts them, in the same window as the
CPU.  One RECORD context (all clients, the two read requests only) on a connection of its
own (the capture's ``RecordStream``, framed by ``x11_record``); the requests are copied to
it as the server runs them, a few dozen bytes each, and nothing else is recorded.  The
data connection is read in a thread; ``settle`` takes the totals once every read the
server ran so far is in.

The count is the server's: it is every client's reads (but the marker reads of
``settle``), so a window counts only while its capturer is the one reading (the bench's
own checks run outside the windows).  Recording costs the server a copy of each read
request to this connection, and this process a callback: nothing beside a read of 64x64
pixels or more, but x11vnc reads by scan lines, thousands of requests a second, and its
Xvfb figure under ``--reads`` carries that cost too.
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from remoteapp.capture.x11_link import readable
from remoteapp.capture.x11_record import Ended, Request, Started
from remoteapp.capture.x11_record_setup import RecordStream, record_range

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


def image_size(request: Request) -> tuple[int, int] | None:
    """(width, height) of a recorded read (the only requests the context records); None
    for one too short to hold them (the server refuses it).  (A BIG-REQUESTS one comes
    without its extended length: its fields where they always are.)"""
    data = request.data
    if len(data) < SIZE_AT + 4:
        return None
    width, height = struct.unpack_from(request.order + "HH", data, SIZE_AT)
    return width, height


def _ranges(d: Any) -> list[dict[str, Any]]:
    ranges = [record_range(core_requests=(GET_IMAGE, GET_IMAGE))]
    shm = d.query_extension("MIT-SHM")
    if shm is not None:
        opcode = shm.major_opcode
        ranges.append(record_range(ext_requests=(opcode, opcode, SHM_GET_IMAGE, SHM_GET_IMAGE)))
    return ranges


class XReads:
    """Counts the image reads ``display``'s server runs, from entering until leaving.

    ``settle`` makes a marker read of its own (not counted) and waits until it comes
    back: RECORD keeps the server's order, so every read the server ran before it has
    been counted by then, whichever client asked.
    """

    def __init__(self, display: str, timeout: float = 10.0) -> None:
        self._timeout = timeout
        self._stream = RecordStream(display, _ranges, element_header=0)
        #: the marker reads' client (the control connection's resource id base)
        self._marker_base = self._stream.control_client
        self._lock = threading.Condition()
        self._totals = Reads()
        self._markers = 0
        self._started = False
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="x-reads", daemon=True)

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
            self._stream.disable()  # (the stream ends: the thread sees it and stops)
            self._thread.join(self._timeout)
        finally:
            self._stream.close()

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
        root = self._stream.control.screen().root
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
            while True:
                readable([self._stream.fileno()], self._timeout)
                for event in self._stream.read():
                    if isinstance(event, Ended):
                        return
                    self._recorded(event)
        except Exception as exc:  # the data connection broke: snapshot says so
            with self._lock:
                self._failed = exc
                self._lock.notify_all()

    def _recorded(self, event: object) -> None:
        if isinstance(event, Started):
            with self._lock:
                self._started = True
                self._lock.notify_all()
            return
        if not isinstance(event, Request) or (size := image_size(event)) is None:
            return
        with self._lock:
            if event.client == self._marker_base:
                self._markers += 1
            else:
                self._totals = Reads(
                    self._totals.requests + 1, self._totals.pixels + size[0] * size[1]
                )
            self._lock.notify_all()
