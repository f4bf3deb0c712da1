"""An X connection of the capture thread's own, for its round trips, as bytes.

The capture thread makes one or two round trips to the X server per grab: the damage
fetch, and an ``XShmGetImage`` for each box.  Through python-xlib's request objects, or
mss's ctypes bindings to libxcb (argument conversion, an error pointer, a finalizer on
every reply), the Python around one round trip cost more than the X server's work: an
``XShmGetImage`` of a typed key's 64×64 tile took 254 µs of the customer's CPU cold
(125 ms after the last, as keys come) and 18 µs warm; as bytes on a socket, 163 and
11 µs.  So python-xlib opens the connection and agrees the extensions' versions, and
from then on ``XLink`` writes the fixed-layout requests itself (``x11_wire``) and reads
the one reply each needs.

X resources are shared between clients: the DAMAGE object, the XFixes region and mss's
shared-memory segments all work from this connection, whoever created them.

With the optional C extension (``_xwire``, Linux) the round trips and the box reads run
in C with the GIL released: a typed key's read of one box cost 173 us of Python against
22 of C (docs/capture.md, "The per-update floor").  It reads exactly the packets up to
the reply it waits for, so it and the Python reader here take turns on one stream; it
is used while the Python reader holds no partial packet (nearly always).

Errors: ``CaptureError`` when the connection cannot be opened or set up;
``x11_wire.XWireError`` (no answer within ``REPLY_BOUND_S``, a broken stream) and
``x11_wire.XRequestError`` (the server's error for the request) after that.
"""

from __future__ import annotations

import contextlib
import logging
import math
import select
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

from remoteapp.capture import x11_wire
from remoteapp.capture.damage import NATIVE_RULES
from remoteapp.codec.geometry import Rect
from remoteapp.codec.pixels import Pixels
from remoteapp.errors import CaptureError

try:
    from remoteapp.capture import _xwire as native
except ImportError:  # not built (no compiler at install, not Linux): Python does it
    native = None  # type: ignore[assignment]

log = logging.getLogger("remoteapp.capture")

__all__ = ["REPLY_BOUND_S", "BoxLane", "BoxRead", "TakeArgs", "XLink", "native", "queued"]
# (native: x11_damage's wait too)

#: What the C box read needs of a link and mss's segment (``XLink.lane``): the link's
#: socket, MIT-SHM's opcode, the root drawable, the segment, its mapping, the depth.
BoxLane = tuple[int, int, int, int, object, int]
#: One damage grab's read (``XLink.take_boxes``): the monitor's width and height, the
#: narrowest box read as whole rows, the lane, the frame to read into, the frame that is
#: the reference (``front``) and where the first differs from it (``stale``).
BoxRead = tuple[int, int, int, BoxLane, Pixels, Pixels, Sequence[Rect]]
#: ``_xwire.take_boxes``' arguments (``XLink.take_args``)
TakeArgs = tuple[int, bytes, int, int, int, int, int, int, Any, BoxLane, Pixels, Pixels,
                 Sequence[Rect]]  # fmt: skip

#: The most boxes, and stale boxes, one C read takes (_xwire.c's MAX_BOXES).
NATIVE_BOXES: Final = 4096
#: Longest a round trip waits for the X server's answer.
REPLY_BOUND_S: Final = 5.0
_BOUND_MS: Final = int(REPLY_BOUND_S * 1000)
_NATIVE_ERRORS: Final[tuple[type[Exception], ...]] = () if native is None else (native.Error,)
_RECV: Final = 1 << 16


def readable(fds: Sequence[int], timeout: float) -> list[int]:
    """Which of ``fds`` can be read within ``timeout`` s (``poll``: ``select`` refuses
    descriptors from 1024 on, which a busy process reaches)."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    return [fd for fd, _ in poller.poll(max(0, math.ceil(timeout * 1000)))]


def open_display(display: str | None, what: str) -> Any:
    """A python-xlib connection to ``display`` for ``what`` (said in the error), its
    failures as CaptureError."""
    try:
        from Xlib import display as xdisplay
        from Xlib.error import DisplayError
    except ImportError as exc:  # pragma: no cover - python-xlib is a dependency
        raise CaptureError(f"python-xlib is missing: {exc}") from exc
    try:
        return xdisplay.Display(display)
    except (DisplayError, OSError, OverflowError) as exc:  # (a display number past a port)
        raise CaptureError(f"cannot open the display for {what}: {exc}") from exc


def queued(d: Any) -> tuple[list[bytes], bytes]:
    """What python-xlib has read but not handed out at the switch to bytes: the events
    queued (as their packets) and a packet's partial bytes.  (Its internals: python-xlib
    is pinned, and a change there fails the start, so capture polls.)"""
    try:
        events = [bytes(ev._binary) for ev in d.display.event_queue]
        d.display.event_queue.clear()
        return events, bytes(d.display.data_recv or b"")
    except (AttributeError, TypeError) as exc:
        raise CaptureError(f"python-xlib's connection is not as expected: {exc!r}") from exc


class XLink:
    """One X connection driven as bytes by one thread, one round trip at a time."""

    def __init__(
        self, display: str | None, agree: Callable[[Any], object] = lambda d: None
    ) -> None:
        """Connect to ``display``; ``agree(d)`` runs python-xlib's version handshakes the
        requests to come need (the server refuses DAMAGE and XFixes requests from a
        client that has not agreed their versions)."""
        from Xlib.error import XError

        self._d = open_display(display, "the capture's link")
        try:
            agree(self._d)
            shm = self._d.query_extension("MIT-SHM")
            self._shm_major = None if shm is None else shm.major_opcode
            self._reader = x11_wire.PacketReader(queued(self._d)[1])
        except (XError, CaptureError, OSError) as exc:
            self._d.close()
            raise CaptureError(f"cannot set up the X connection: {exc}") from exc
        self._sock = self._d.display.socket
        self.skipped = 0  #: events skipped (the server sends some to every client)
        #: a round trip failed on the wire, or a box read failed: what is left in the
        #: stream is not to be trusted (a batch's other replies), so nothing more is sent
        self._broken: x11_wire.XWireError | None = None

    @property
    def has_shm(self) -> bool:
        return self._shm_major is not None

    @property
    def client(self) -> int:
        """The connection's resource-id base: its requests' client in a RECORD stream
        (the copy capture knows its own reads by it)."""
        return int(self._d.display.info.resource_id_base)

    def round_trip(self, request: bytes) -> bytes:
        """Send ``request`` (which ends with the one request that has a reply) and return
        that reply, within REPLY_BOUND_S.  Events are skipped: the server sends some to
        every client whatever it selected (MappingNotify, when an injector or xdotool
        remaps a key to type a character)."""
        if self._broken is not None:
            raise x11_wire.XWireError(f"the X connection broke earlier: {self._broken}")
        try:
            if native is not None and not self._reader.buffered:  # (``self.native``)
                reply, skipped = native.round_trip(self._sock.fileno(), request, _BOUND_MS)
                self.skipped += skipped
                return reply
            return self._round_trip(request)
        except OSError as exc:
            raise self._break(x11_wire.XWireError(f"the X connection failed: {exc}")) from exc
        except _NATIVE_ERRORS as exc:
            raise self._failed(_mapped(exc), request) from exc
        except x11_wire.XWireError as exc:
            raise self._failed(exc, request) from None
        except MemoryError:  # (between a reply's head and its body: the rest is unread)
            self._break(x11_wire.XWireError("out of memory in the middle of a reply"))
            raise

    def _failed(self, exc: x11_wire.XWireError, request: bytes) -> x11_wire.XWireError:
        """A round trip's failure; the link breaks unless it is the server's error for
        a lone request (then nothing of it is left in the stream: still in step)."""
        if isinstance(exc, x11_wire.XRequestError) and x11_wire.request_count(request) == 1:
            return exc
        return self._break(exc)

    def _break(self, exc: x11_wire.XWireError) -> x11_wire.XWireError:
        self._broken = exc
        return exc

    @property
    def native(self) -> bool:
        """The C extension can take the next round trip (built, and no partial packet
        of the Python reader's is waiting)."""
        return native is not None and not self._reader.buffered

    def _round_trip(self, request: bytes) -> bytes:
        self._sock.sendall(request)
        reader = self._reader
        deadline = time.monotonic() + REPLY_BOUND_S
        while True:
            packet = reader.next_packet()
            if packet is None:
                if not readable([self._sock.fileno()], deadline - time.monotonic()):
                    raise x11_wire.XWireError(f"no answer from the X server in {REPLY_BOUND_S} s")
                data = self._sock.recv(_RECV)
                if not data:
                    raise x11_wire.XWireError("the X server closed the connection")
                reader.receive_data(data)
            elif packet[0] == x11_wire.ERROR:
                raise x11_wire.XRequestError(packet)
            elif packet[0] == x11_wire.REPLY:
                return packet
            elif time.monotonic() > deadline:  # (an event: a server that never stops
                # sending them never makes the wait above time out)
                raise x11_wire.XWireError(f"no answer from the X server in {REPLY_BOUND_S} s")
            else:
                self.skipped += 1

    def shm_get_image(
        self, drawable: int, x: int, y: int, width: int, height: int, seg: int, offset: int
    ) -> int:
        """``XShmGetImage`` (ZPixmap, all planes) of the area into shared-memory segment
        ``seg`` at ``offset``; returns the image's depth."""
        if self._shm_major is None:
            raise x11_wire.XWireError("the X server has no MIT-SHM extension")
        request = x11_wire.shm_get_image(
            self._shm_major, drawable, x, y, width, height, seg, offset
        )
        return x11_wire.shm_image_depth(self.round_trip(request))

    def read_boxes(
        self,
        drawable: int,
        seg: int,
        shm: object,
        depth: int,
        frame: Pixels,
        origin: tuple[int, int],
        boxes: Sequence[tuple[int, int, int, int]],
        front: Pixels | None = None,
        stale: Sequence[tuple[int, int, int, int]] | None = None,
    ) -> bool:
        """With the C extension: ``XShmGetImage`` of each (x, y, w, h) box of ``frame``
        (a monitor whose corner on the root is ``origin``) into segment ``seg`` (mapped
        as ``shm``), the requests pipelined, then copied into ``frame`` at the box;
        ``front`` (another frame of the monitor): its ``stale`` boxes are copied into
        ``frame`` first.  False (nothing read) without the extension; raises like
        ``round_trip``."""
        if native is None or self._reader.buffered or self._shm_major is None:
            return False  # (``self.native``, without the property's call: a typed key's)
        if len(boxes) > NATIVE_BOXES or (stale is not None and len(stale) > NATIVE_BOXES):
            return False  # (more than one C call takes: Python's, this time only)
        if self._broken is not None:
            raise x11_wire.XWireError(f"the X connection broke earlier: {self._broken}")
        height, width = frame.shape[:2]
        try:
            self.skipped += native.read_boxes(
                self._sock.fileno(), self._shm_major, drawable, seg, shm, frame, width,
                height, origin[0], origin[1], boxes, depth, _BOUND_MS, front, stale or (),
            )  # fmt: skip
        except OSError as exc:  # (any failure: a batch's other replies may be in the stream)
            raise self._break(x11_wire.XWireError(f"the X connection failed: {exc}")) from exc
        except _NATIVE_ERRORS as exc:
            raise self._break(_mapped(exc)) from exc
        return True

    def lane(self, drawable: int, seg: int, shm: object, depth: int) -> BoxLane | None:
        """The C box read's way to this link (``take_boxes``); None where it cannot take
        it (no C extension, no MIT-SHM, a partial packet, a break)."""
        if native is None or self._reader.buffered or self._shm_major is None or self._broken:
            return None
        return (self._sock.fileno(), self._shm_major, drawable, seg, shm, depth)

    def take_boxes(
        self, request: bytes, left: int, top: int, read: BoxRead
    ) -> tuple[Sequence[tuple[int, int, int, int]], int | Exception | None] | None:
        """The damage fetch ``request`` on this link and, in the same C call, the read of
        the boxes it gives into ``read``'s frame (through its lane's link): the damage
        fetch, ``damage.coalesce`` and ``read_boxes`` in one (``_xwire.take_boxes``).

        Returns (boxes, the read's events skipped) when it read them, (boxes, the error)
        when the read failed (the frame is not to be trusted at the boxes and stale
        boxes), (rects as ``x11_wire.region_rectangles`` has them, None) when the rule
        asks for the Python (many rectangles, a wide box), or None, nothing done, where
        the C extension cannot take this link now or refuses ``read`` (more stale boxes
        than it takes, say).  The fetch's failure raises as ``round_trip``'s."""
        args = self.take_args(request, left, top, read)
        if args is None:
            return None
        assert native is not None  # (take_args: only with the C extension)
        try:
            result = native.take_boxes(*args)
        except Exception as exc:
            self.take_failed(exc)  # (raises, or None: refused before the fetch)
            return None
        return self.took(result)

    def take_args(self, request: bytes, left: int, top: int, read: BoxRead) -> TakeArgs | None:
        """``take_boxes``' arguments to the C call (the key lane hands them to
        ``_xwire.take_key``, which makes it), or None where the C extension cannot take
        this link now."""
        if native is None or self._reader.buffered or self._broken is not None:
            return None
        width, height, wide_from, lane, frame, front, stale = read
        return (self._sock.fileno(), request, _BOUND_MS, left, top, width, height, wide_from,
                NATIVE_RULES, lane, frame, front, stale)  # fmt: skip

    def took(self, result: tuple[int, Any, Any]) -> tuple[Any, int | Exception | None]:
        """The C take's result (``take_args``'), as ``take_boxes`` returns it."""
        skipped, got, outcome = result
        self.skipped += skipped
        if isinstance(outcome, BaseException):  # (the read's link, not this one)
            outcome = _mapped(outcome) if isinstance(outcome, _NATIVE_ERRORS) else (
                x11_wire.XWireError(f"the X connection failed: {outcome}")
            )  # fmt: skip
        return got, outcome

    def take_failed(self, exc: Exception) -> None:
        """The C take's exception (``take_args``'): the fetch's failure raised as
        ``round_trip``'s (this link is broken then); None where it refused before the
        fetch (the damage is still the server's, and the caller's Python fetches it)."""
        if isinstance(exc, OSError):
            raise self._break(x11_wire.XWireError(f"the X connection failed: {exc}")) from exc
        if isinstance(exc, _NATIVE_ERRORS):
            raise self._break(_mapped(exc)) from exc
        if isinstance(exc, (ValueError, TypeError, OverflowError, BufferError)):
            # (after the fetch only MemoryError can come)
            log.info("capture event=damage-lane-refused reason=%r", str(exc))
            return None
        raise exc

    def close(self) -> None:
        with contextlib.suppress(Exception):  # (python-xlib reads what is left first: a
            self._d.close()  # reply after an error packet it never asked for fails that)
        self._sock.close()


def _mapped(exc: Exception) -> x11_wire.XWireError:
    """The C extension's error as x11_wire's."""
    kind, detail = (*exc.args, "", "")[:2]
    if kind == "x-error" and isinstance(detail, bytes) and len(detail) == 32:
        return x11_wire.XRequestError(detail)
    return x11_wire.XWireError(str(detail or exc))
