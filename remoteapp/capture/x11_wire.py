"""The X11 packets the capture writes and reads itself, as bytes (sans-IO).

python-xlib builds and parses every packet through a generic pure-Python machinery of
request objects and field lists: one DAMAGE fetch round trip cost about 0.33 ms of CPU
per typed key (measured cold, 125 ms apart), more than half of that key's grab, and the
reader thread paid as much again to parse each DamageNotify.  The packets on that hot
path have fixed layouts (the X11 protocol, DAMAGE 1.1, XFixes 2 and MIT-SHM 1.2
specifications), so they are built once and parsed here with ``struct`` and numpy;
connecting, the version handshakes and setup stay python-xlib's.  Everything is in the
client's byte order, which python-xlib chose at connection setup (native, ``=``).

``PacketReader`` is the framing: ``receive_data(bytes)``, then ``next_packet()`` until
it returns None (or ``next_packets()``: all of them at once).  Errors
(``remoteapp.errors.CaptureError``)::

    CaptureError
     +-- XWireError          a packet this connection should never carry
          +-- XRequestError  the X server's error packet for one of our requests
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from remoteapp.errors import CaptureError

#: The largest packet accepted: a FetchRegion reply of a whole 4K screen cut into
#: single-pixel bands stays far below this; beyond it the stream is not to be trusted.
MAX_PACKET: Final = 64 << 20

ERROR: Final = 0
REPLY: Final = 1
CREATE_NOTIFY: Final = 16
DESTROY_NOTIFY: Final = 17
CONFIGURE_NOTIFY: Final = 22
GENERIC_EVENT: Final = 35  #: XGE (XInput 2's events): 32 bytes plus 4 × its length

_HEADER: Final = struct.Struct("=BBHI")  # type, detail, sequence, length (replies, XGE)
_GET_INPUT_FOCUS: Final = struct.pack("=BBH", 43, 0, 1)
_DAMAGE_SUBTRACT: Final = 3  #: minor opcodes (DAMAGE 1.1, XFixes 2)
_FIXES_FETCH_REGION: Final = 19
_REGION_REPLY: Final = 32  #: bytes before the rectangles of a FetchRegion reply
_RECTANGLE: Final = struct.Struct("=hhHH")  #: x, y, width, height
_SHM_GET_IMAGE: Final = 4  #: minor opcode (MIT-SHM 1.2)
#: opcodes, length 8, drawable, x, y, width, height, plane mask, format, seg, offset
_SHM_GET_IMAGE_REQUEST: Final = struct.Struct("=BBHIhhHHIB3xII")
_SHM_GET_IMAGE_REPLY: Final = 32  #: depth in the header, then visual and size: no more
_ALL_PLANES: Final = 0xFFFFFFFF
_Z_PIXMAP: Final = 2


class XWireError(CaptureError):
    """The connection carried something it should not (a bad or oversized packet)."""


class XRequestError(XWireError):
    """The X server answered one of our requests with an error packet."""

    def __init__(self, packet: bytes) -> None:
        code, minor, major = packet[1], struct.unpack_from("=H", packet, 8)[0], packet[10]
        super().__init__(f"X error {code} for request {major}.{minor}")
        self.code, self.major, self.minor = code, major, minor


def subtract_and_fetch(damage_major: int, fixes_major: int, damage: int, region: int) -> bytes:
    """DamageSubtract(damage, repair=None, parts=region) then FetchRegion(region): the
    damage moves into ``region`` and its rectangles come back in one reply.  Built once
    per source: the ids never change."""
    subtract = struct.pack("=BBHIII", damage_major, _DAMAGE_SUBTRACT, 4, damage, 0, region)
    return subtract + struct.pack("=BBHI", fixes_major, _FIXES_FETCH_REGION, 2, region)


def shm_get_image(
    shm_major: int, drawable: int, x: int, y: int, width: int, height: int, seg: int, offset: int
) -> bytes:
    """MIT-SHM GetImage of an area of ``drawable`` as ZPixmap, all planes, into segment
    ``seg`` at byte ``offset``."""
    return _SHM_GET_IMAGE_REQUEST.pack(
        shm_major, _SHM_GET_IMAGE, 8, drawable, x, y, width, height, _ALL_PLANES, _Z_PIXMAP,
        seg, offset,
    )  # fmt: skip


def shm_image_depth(reply: bytes) -> int:
    """The depth of the image a ShmGetImage reply says was written."""
    if len(reply) != _SHM_GET_IMAGE_REPLY:
        raise XWireError(f"a ShmGetImage reply of {len(reply)} bytes")
    return reply[1]


def request_count(data: bytes) -> int:
    """How many requests ``data`` holds (each says its length, in words, at bytes 2-3)."""
    count = at = 0
    while at + 4 <= len(data):
        words = struct.unpack_from("=H", data, at + 2)[0]
        at += 4 * max(words, 1)
        count += 1
    return count


def sync_request() -> bytes:
    """GetInputFocus: its reply comes after every event the server sent before it."""
    return _GET_INPUT_FOCUS


def region_rectangles(reply: bytes) -> list[tuple[int, int, int, int]]:
    """The x, y, w, h rectangles of a FetchRegion reply, as tuples: for a typed key's one
    or two, 3 us against 50 us cold for the five numpy calls an array took."""
    if len(reply) < _REGION_REPLY or (len(reply) - _REGION_REPLY) % 8:
        raise XWireError(f"a FetchRegion reply of {len(reply)} bytes")
    return list(_RECTANGLE.iter_unpack(memoryview(reply)[_REGION_REPLY:]))


@dataclass(frozen=True, slots=True)
class WindowEvent:
    """A top-level window's Create/Configure/DestroyNotify; its outer size (border in)."""

    kind: int
    window: int
    x: int = 0
    y: int = 0
    width: int = 0
    height: int = 0


_CONFIGURE: Final = struct.Struct("=4xI4xhhHHH")  # window, above, x, y, w, h, border
_CREATE: Final = struct.Struct("=4xIhhHHH")  # (parent) window, x, y, w, h, border
_DESTROY: Final = struct.Struct("=4x4xI")  # (event) window


def window_event(packet: bytes) -> WindowEvent | None:
    """Decode a window event of SubstructureNotify on the root; None for other kinds."""
    kind = packet[0] & 0x7F
    if kind == CONFIGURE_NOTIFY:
        window, x, y, w, h, border = _CONFIGURE.unpack_from(packet, 4)
    elif kind == CREATE_NOTIFY:
        window, x, y, w, h, border = _CREATE.unpack_from(packet, 4)
    elif kind == DESTROY_NOTIFY:
        return WindowEvent(kind, _DESTROY.unpack_from(packet, 0)[0])
    else:
        return None
    return WindowEvent(kind, window, x, y, w + 2 * border, h + 2 * border)


def generic_kind(packet: bytes) -> tuple[int, int]:
    """(extension major opcode, event type) of a GenericEvent."""
    return packet[1], struct.unpack_from("=H", packet, 8)[0]


def _packet_size(buf: bytearray, at: int) -> int:
    """The size of the packet whose 32-byte header starts at ``at``: 32, and 4 × the length
    field more for replies and generic events; over MAX_PACKET is an error."""
    if buf[at] not in (REPLY, GENERIC_EVENT):
        return 32
    size: int = 32 + 4 * _HEADER.unpack_from(buf, at)[3]
    if size > MAX_PACKET:
        raise XWireError(f"an X packet of {size} bytes (over {MAX_PACKET})")
    return size


class PacketReader:
    """Frames an X connection's byte stream into packets: errors, replies and events
    (32 bytes; replies and generic events 32 + 4 × their length field)."""

    def __init__(self, data: bytes = b"") -> None:
        self._buf = bytearray(data)

    def receive_data(self, data: bytes) -> None:
        self._buf += data

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def next_packets(self) -> list[bytes]:
        """Every whole packet buffered, in order: ``next_packet`` until None, in one pass
        (a scroll's record stream brings a dozen a frame).  A packet too long to take is
        an error with nothing consumed, this call's packets before it included."""
        buf = self._buf
        out = []
        at, end = 0, len(buf)
        while end - at >= 32:
            size = _packet_size(buf, at)
            if end - at < size:
                break
            out.append(bytes(buf[at : at + size]))
            at += size
        del buf[:at]
        return out

    def next_packet(self) -> bytes | None:
        """The next whole packet, or None until more data comes."""
        buf = self._buf
        if len(buf) < 32:
            return None
        size = _packet_size(buf, 0)
        if len(buf) < size:
            return None
        packet = bytes(buf[:size])
        del buf[:size]
        return packet
