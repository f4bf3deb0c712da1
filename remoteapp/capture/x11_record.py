"""The RECORD extension's stream of other clients' requests, as bytes (sans-IO).

Why: a scroll in an xterm is a CopyArea on its own window; DAMAGE reports only that the
whole text area changed, so the damage backend reads all of it every frame, as polling
does (docs/capture.md, "Scroll's Xvfb load: trusting copies with RECORD").  A RECORD
context over all clients sees the CopyArea itself, with the GC and window requests that
say whether it can be trusted, in the order the server ran them.  This module frames that
stream; what to trust is the model's (not built yet: this is its first piece).

The stream is the replies to one RecordEnableContext (RECORD 1.13), each a 32-byte header
(category, element-header flags, whether the recorded client's byte order is the other
one, its resource-id base) and whole protocol elements: a client's requests (big requests
with their extended length), or what the server sent it (events and errors, 32 bytes each;
replies are never recorded here).  Element headers (a time, a sequence number) are in the
recording client's byte order, the elements in the recorded client's.
``RecordReader`` is the framing: ``receive_data(bytes)``, then ``next_event()`` until it
returns None (or ``next_events()``: all of them at once).  Errors
(``remoteapp.errors.CaptureError``)::

    CaptureError
     +-- XWireError          (x11_wire) a reply whose elements do not add up, a
          |                  category RECORD does not have
          +-- XRequestError  the server's error for the record connection's own request
                             (a bad context, RECORD disabled)

Events on the record connection are skipped: the server sends some to every client,
asked or not (MappingNotify, when the keyboard is remapped).

A request the server will refuse (a CopyArea of the wrong length, a bad drawable) is
recorded before it is checked: a malformed one is a ``Request`` here, never an error, and
a refused one is followed by the ``Delivered`` error with its sequence number (which the
context records with each request: ``FROM_CLIENT_SEQUENCE``).
"""

from __future__ import annotations

import struct
import sys
from collections import deque
from dataclasses import dataclass
from typing import Final, NamedTuple

from remoteapp.capture.x11_wire import (
    ERROR,
    REPLY,
    PacketReader,
    XRequestError,
    XWireError,
)

#: categories of an EnableContext reply
FROM_SERVER: Final = 0
FROM_CLIENT: Final = 1
CLIENT_STARTED: Final = 2
CLIENT_DIED: Final = 3
START_OF_DATA: Final = 4
END_OF_DATA: Final = 5

#: element-header flags (what precedes each element: a time, a sequence number)
FROM_SERVER_TIME: Final = 0x01
FROM_CLIENT_TIME: Final = 0x02
FROM_CLIENT_SEQUENCE: Final = 0x04

COPY_AREA: Final = 62  #: core major opcode
_EVENT_BYTES: Final = 32
_COPY_AREA_BYTES: Final = 28

_REPLY_HEADER: Final = struct.Struct("=BBHIBBxxIII8x")
_NATIVE: Final = "<" if sys.byteorder == "little" else ">"
_SWAPPED: Final = ">" if _NATIVE == "<" else "<"
#: per byte order: a request's length field; a CopyArea's fields; a CARD32
_FORMATS: Final = {
    order: (
        struct.Struct(order + "2xH"),
        struct.Struct(order + "4xIIIhhhhHH"),
        struct.Struct(order + "I"),
    )
    for order in (_NATIVE, _SWAPPED)
}


@dataclass(frozen=True, slots=True)
class Started:
    """StartOfData: the context is enabled; everything after it is recorded."""


@dataclass(frozen=True, slots=True)
class Ended:
    """EndOfData: the context was disabled; nothing follows on this connection."""


@dataclass(frozen=True, slots=True)
class ClientStarted:
    """A client connected (``client``: its resource-id base)."""

    client: int


@dataclass(frozen=True, slots=True)
class ClientDied:
    """A client went: its GCs and windows with it."""

    client: int


# (The three the stream is made of are named tuples, not frozen dataclasses: a scroll's
# stream makes a dozen a frame, and a tuple is made without a Python __init__.)
class Request(NamedTuple):
    """A client's request as it sent it, in its own byte order (``order``: ``<`` or ``>``),
    but for a big request's extended length, taken out as the server does (so every field
    is where the request's layout says; its length field then reads 0).

    ``sequence`` is its sequence number when the context records them, else -1."""

    client: int
    sequence: int
    major: int
    minor: int
    data: bytes
    order: str


class CopyArea(NamedTuple):
    """A well-formed CopyArea (big or not): ``width`` x ``height`` from ``src`` at
    (src_x, src_y) to ``dst`` at (dst_x, dst_y), through ``gc``.  Recorded before the
    server checks it."""

    client: int
    sequence: int
    src: int
    dst: int
    gc: int
    src_x: int
    src_y: int
    dst_x: int
    dst_y: int
    width: int
    height: int


class Delivered(NamedTuple):
    """What the server sent a client (an event, a reply or an error), as its packet."""

    client: int
    packet: bytes
    order: str


@dataclass(frozen=True, slots=True)
class Opcodes:
    """What the copy model needs to know of a display's extensions (-1: absent;
    ``x11_record_setup.opcodes`` asks the display)."""

    shm: int  #: MIT-SHM (ShmGetImage: the capture's reads)
    fixes: int  #: XFIXES (SetGCClipRegion, SetWindowShapeRegion)
    damage_event: int  #: DAMAGE's DamageNotify
    window_majors: frozenset[int]  #: SHAPE, Composite, RANDR: any request drops proofs


RecordEvent = Started | Ended | ClientStarted | ClientDied | Request | CopyArea | Delivered


class RecordReader:
    """Frames the record connection's bytes into ``RecordEvent`` s, in the server's order."""

    def __init__(self, data: bytes = b"") -> None:
        self._packets = PacketReader(data)
        self._events: deque[RecordEvent] = deque()
        self.ended = False

    def receive_data(self, data: bytes) -> None:
        self._packets.receive_data(data)

    @property
    def buffered(self) -> int:
        """Bytes received and not yet framed into a whole reply."""
        return self._packets.buffered

    def next_events(self) -> list[RecordEvent]:
        """Every event the whole replies received hold, in order: ``next_event`` until
        None, in one call (a scroll's stream is a dozen replies a frame).  A malformed
        reply fails the call: none of its events, nor any other of the call's, is handed
        out, and the replies it framed are consumed: after it the stream is over (its
        readers stop at the first error)."""
        out = list(self._events)  # (a reply's events ``next_event`` left)
        ended = False
        for packet in self._packets.next_packets():
            if packet[0] in (REPLY, ERROR):
                out += _events(packet)
                ended = ended or packet[1] == END_OF_DATA
        self._events.clear()
        self.ended = self.ended or ended  # (EndOfData is a reply of its own, never left)
        return out

    def next_event(self) -> RecordEvent | None:
        """The next event, or None until more data comes.  A reply is parsed whole when
        its first event is asked for, so one bad element fails the reply before any of
        its events is handed out."""
        events = self._events
        while not events:
            packet = self._packets.next_packet()
            if packet is None:
                return None
            if packet[0] not in (REPLY, ERROR):
                continue  # (an event the server sends every client unasked: MappingNotify)
            events.extend(_events(packet))
        event = events.popleft()
        if type(event) is Ended:
            self.ended = True
        return event


def _events(packet: bytes) -> list[RecordEvent]:
    """One reply's events (a scroll's stream is a dozen replies a frame, most of them one
    element each: read straight from the header, no object for the reply)."""
    if packet[0] == ERROR:
        raise XRequestError(packet)
    _, category, _, _, flags, swapped, client, _, _ = _REPLY_HEADER.unpack_from(packet)
    order = _SWAPPED if swapped else _NATIVE
    if category == FROM_SERVER:
        return _delivered(memoryview(packet)[32:], client, flags, order)
    if category == FROM_CLIENT:
        return _requests(memoryview(packet)[32:], client, flags, order)
    if category == START_OF_DATA:
        return [Started()]
    if category == END_OF_DATA:
        return [Ended()]
    if category == CLIENT_STARTED:
        return [ClientStarted(client)]
    if category == CLIENT_DIED:
        return [ClientDied(client)]
    raise XWireError(f"a record reply of category {category}")


def _requests(data: memoryview, client: int, flags: int, order: str) -> list[RecordEvent]:
    length, copy_area, card32 = _FORMATS[order]
    header = _FORMATS[_NATIVE][2]  # (element headers are in the recording client's order)
    time_bytes = 4 if flags & FROM_CLIENT_TIME else 0
    with_sequence = bool(flags & FROM_CLIENT_SEQUENCE)
    out: list[RecordEvent] = []
    at, end = 0, len(data)
    while at < end:
        at += time_bytes
        sequence = -1
        if with_sequence:
            _need(at + 4, end, "a request's sequence number")
            sequence = header.unpack_from(data, at)[0]
            at += 4
        _need(at + 4, end, "a request's header")
        size = 4 * length.unpack_from(data, at)[0]
        big = size == 0
        if big:  # BIG-REQUESTS: the length follows the header
            _need(at + 8, end, "a big request's length")
            size = 4 * card32.unpack_from(data, at + 4)[0]
            if size < 8:
                raise XWireError(f"a big request of {size} bytes")
        _need(at + size, end, "a request")
        request = bytes(data[at : at + size])
        at += size
        if big:  # (as the server does: the header, then the body, every offset as usual)
            request = request[:4] + request[8:]
        if request[0] == COPY_AREA and len(request) == _COPY_AREA_BYTES:
            out.append(CopyArea(client, sequence, *copy_area.unpack_from(request)))
        else:
            out.append(Request(client, sequence, request[0], request[1], request, order))
    return out


def _delivered(data: memoryview, client: int, flags: int, order: str) -> list[RecordEvent]:
    """Events and errors as delivered: 32 bytes each, a generic event's too (RECORD keeps
    its first 32 bytes).  (Replies would be longer: no context of ours records them.)"""
    time_bytes = 4 if flags & FROM_SERVER_TIME else 0
    out: list[RecordEvent] = []
    at, end = 0, len(data)
    while at < end:
        at += time_bytes
        _need(at + _EVENT_BYTES, end, "a server packet")
        out.append(Delivered(client, bytes(data[at : at + _EVENT_BYTES]), order))
        at += _EVENT_BYTES
    return out


def _need(until: int, end: int, what: str) -> None:
    if until > end:
        raise XWireError(f"{what} runs past its record reply ({until} of {end} bytes)")
