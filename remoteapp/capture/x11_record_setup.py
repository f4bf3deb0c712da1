"""A RECORD context over all clients, enabled on a connection of its own and read as bytes.

python-xlib agrees RECORD's version and creates the context on a control connection; the
data connection sends RecordEnableContext itself (python-xlib's would block its thread in
a callback loop that parses every reply through its generic request machinery) and from
then on carries nothing but the context's replies, framed by ``x11_record.RecordReader``.
Closing disables the context from the control connection (the server then ends the data
connection's stream with EndOfData) and frees it.

What is recorded by default (``scroll_ranges``) is what the copy model needs: the core
window requests, GrabServer / UngrabServer, the GC requests, ClearArea and CopyArea,
SHAPE, Composite and RANDR requests, XFIXES' GC clip and window shape, the image reads
(GetImage, MIT-SHM's ShmGetImage: the capture's own are its markers), DamageNotify events
as delivered (a raw DAMAGE object's reports fall in place among the requests), the errors
a GC request can raise, and clients' starts and deaths; each request with its sequence
number, to match it with an error.  Nothing with bulk data (PutImage, text) is recorded.

``bench.x_reads`` records the image reads alone, through the same stream.

Errors: ``CaptureError`` when the display has no RECORD or the context cannot be set up;
``x11_wire.XWireError`` from ``read`` (a broken stream, the connection gone).
"""

from __future__ import annotations

import contextlib
import errno
import socket
import struct
from collections.abc import Callable
from typing import Any, Final

from remoteapp.capture import x11_record
from remoteapp.capture.x11_link import open_display, queued
from remoteapp.capture.x11_record import Opcodes
from remoteapp.capture.x11_wire import XWireError
from remoteapp.errors import CaptureError

#: core major opcodes recorded: CreateWindow .. CirculateWindow, the grabs, CreateGC ..
#: CopyArea (ChangeGC, CopyGC, SetDashes, SetClipRectangles, FreeGC, ClearArea between)
CORE_REQUESTS: Final = ((1, 13), (36, 37), (55, 62))
#: extensions whose requests change what a window shows, where it is, or the screen
WINDOW_EXTENSIONS: Final = ("SHAPE", "Composite", "RANDR")
#: XFIXES' SetGCClipRegion and SetWindowShapeRegion (minor opcodes)
FIXES_REQUESTS: Final = (20, 21)
#: the errors a GC request can raise: BadValue, BadWindow, BadPixmap; BadFont, BadMatch,
#: BadDrawable; BadAlloc; BadGC, BadIDChoice; BadLength
GC_ERRORS: Final = ((2, 4), (7, 9), (11, 11), (13, 14), (16, 16))
GET_IMAGE: Final = 73
SHM_GET_IMAGE: Final = 4  #: MIT-SHM's minor opcode
#: RECORD's minor opcodes
_ENABLE_CONTEXT: Final = 5
_ENABLE_REQUEST: Final = struct.Struct("=BBHI")
#: the most one ``read`` takes from the socket before handing events out
READ_BYTES: Final = 1 << 16


#: what a context records, built on the control connection (python-xlib's Display): its
#: ranges in python-xlib's form (``record_range``)
Ranges = Callable[[Any], list[dict[str, Any]]]


def record_range(**fields: Any) -> dict[str, Any]:
    """A RECORD range in python-xlib's form: nothing but ``fields``."""
    empty: dict[str, Any] = {
        "core_requests": (0, 0),
        "core_replies": (0, 0),
        "ext_requests": (0, 0, 0, 0),
        "ext_replies": (0, 0, 0, 0),
        "delivered_events": (0, 0),
        "device_events": (0, 0),
        "errors": (0, 0),
        "client_started": False,
        "client_died": False,
    }
    return empty | fields


def opcodes(d: Any) -> Opcodes:
    """What the copy model needs of python-xlib's Display ``d``'s extensions."""

    def major(name: str) -> int:
        ext = d.query_extension(name)
        return -1 if ext is None else int(ext.major_opcode)

    damage = d.query_extension("DAMAGE")
    return Opcodes(
        shm=major("MIT-SHM"),
        fixes=major("XFIXES"),
        damage_event=-1 if damage is None else int(damage.first_event),
        window_majors=frozenset(m for m in map(major, WINDOW_EXTENSIONS) if m >= 0),
    )


def scroll_ranges(d: Any) -> list[dict[str, Any]]:
    """The ranges the copy model needs on display ``d`` (python-xlib's Display).

    Errors: those a GC request can raise.  (The server matches every *event* it
    delivers against the error codes too, by its second byte, so a range of all errors
    would record every event of every client: a key's keycode or a button's number in
    this set brings the odd one in, which the follower ignores.)"""
    ops = opcodes(d)
    first, *rest = CORE_REQUESTS
    ranges = [record_range(core_requests=first, client_started=True, client_died=True)]
    ranges += [record_range(core_requests=requests) for requests in rest]
    ranges.append(record_range(core_requests=(GET_IMAGE, GET_IMAGE)))
    ranges += [record_range(ext_requests=(m, m, 0, 255)) for m in sorted(ops.window_majors)]
    if ops.shm >= 0:
        ranges.append(record_range(ext_requests=(ops.shm, ops.shm, SHM_GET_IMAGE, SHM_GET_IMAGE)))
    if ops.fixes >= 0:
        ranges.append(record_range(ext_requests=(ops.fixes, ops.fixes, *FIXES_REQUESTS)))
    if ops.damage_event >= 0:
        ranges.append(record_range(delivered_events=(ops.damage_event, ops.damage_event)))
    return ranges


class RecordStream:
    """Other clients' requests as the server runs them (``x11_record``'s events).

    ``control`` is the control connection (python-xlib's): a request of it that the
    ranges record is a marker of the caller's in the stream.  The data connection is
    read by one thread (``read``); the control connection's calls (``mark``,
    ``disable``, the caller's markers) may come from another."""

    def __init__(
        self,
        display: str | None,
        ranges: Ranges = scroll_ranges,
        element_header: int = x11_record.FROM_CLIENT_SEQUENCE,
    ) -> None:
        from Xlib.error import XError

        self._control: Any = None
        self._data: Any = None
        self._context = 0
        self._enabled = False
        try:
            self._control = open_display(display, "RECORD's control")
            self._data = open_display(display, "RECORD's data")
            self._context = self._create(self._control, ranges, element_header)
            major = self._data.query_extension("RECORD").major_opcode
            self.reader = x11_record.RecordReader(queued(self._data)[1])
            self._sock: socket.socket = self._data.display.socket
            self._sock.sendall(_ENABLE_REQUEST.pack(major, _ENABLE_CONTEXT, 2, self._context))
            self._sock.setblocking(False)
            self._enabled = True
        except (XError, OSError, CaptureError) as exc:
            self._close_connections()
            raise CaptureError(f"no RECORD stream on this display: {exc}") from exc

    @staticmethod
    def _create(d: Any, ranges: Ranges, element_header: int) -> int:
        if not d.has_extension("RECORD"):
            raise CaptureError("the X server has no RECORD extension")
        d.record_get_version(1, 13)
        context = d.record_create_context(element_header, [_all_clients()], ranges(d))
        d.sync()
        return int(context)

    @property
    def control(self) -> Any:
        return self._control

    @property
    def control_client(self) -> int:
        """The control connection's resource-id base: its requests' ``client``."""
        return int(self._control.display.info.resource_id_base)

    def fileno(self) -> int:
        """The data connection: readable when the stream has more."""
        return self._sock.fileno()

    def read(self) -> list[x11_record.RecordEvent]:
        """Whatever the socket holds now (up to ``READ_BYTES``), framed; never blocks."""
        try:
            data = self._sock.recv(READ_BYTES)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                data = None
            else:
                raise XWireError(f"the record connection failed: {exc}") from exc
        if data == b"":
            raise XWireError("the X server closed the record connection")
        if data:
            self.reader.receive_data(data)
        return self.reader.next_events()

    def mark(self) -> None:
        """A round trip on the control connection: the server flushes the context's
        buffered replies with it, so everything it ran before is then on the data
        connection (recorded elements otherwise wait in a small buffer until the server
        next flushes any client's output, seconds while no client is answered)."""
        self._control.sync()

    def disable(self) -> None:
        """Stop recording: the stream then ends with ``Ended`` (which ``read`` hands out)."""
        if self._enabled:
            self._enabled = False
            self._control.record_disable_context(self._context)
            self._control.sync()

    def close(self) -> None:
        """Disable and free the context, and close both connections."""
        if self._control is not None and self._context:
            with contextlib.suppress(Exception):  # the server may be gone
                self.disable()
                self._control.record_free_context(self._context)
                self._control.sync()
        self._context = 0
        self._close_connections()

    def _close_connections(self) -> None:
        for d in (self._data, self._control):
            if d is not None:
                with contextlib.suppress(Exception):  # (python-xlib's close reads what
                    d.close()  # is pending, which on the data connection it cannot parse)
                with contextlib.suppress(Exception):
                    d.display.socket.close()
        self._data = self._control = None


def _all_clients() -> int:
    from Xlib.ext import record

    return int(record.AllClients)
