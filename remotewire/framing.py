"""Sans-IO framing shared by the relay and the app (in the spirit of h11).

Wire format of one frame::

    +----------------+--------+-----------------+
    | length: u32 BE | type u8| payload (length)|
    +----------------+--------+-----------------+

``length`` counts the payload only. The reader checks it against ``max_payload`` as soon as
the 5-byte header is complete, before any payload is buffered, so a peer cannot make us
hold more than one maximum frame; a layer above with limits of its own (a session
message's size by its type, who may send it) passes ``check``, which judges each header
at the same moment. No sockets or event loops here: feed bytes in with ``receive_data``
and pull ``Frame`` events out with ``next_frame`` until ``NEED_DATA``.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from remotewire.errors import FrameTooLarge, OversizeFrame

HEADER: Final = struct.Struct(">IB")
HEADER_SIZE: Final = HEADER.size
DEFAULT_MAX_PAYLOAD: Final = 1 << 20
"""1 MiB: a token or a screen update chunk fits; anything larger is a bug or an attack."""


class FrameType(enum.IntEnum):
    """What a frame carries. Unknown types are passed through; the layer above decides."""

    TOKEN = 1
    """First frame from a client to the relay: an ASCII session token."""
    PAIRED = 2
    """Relay to client: the other side is here, raw bytes flow from now on."""
    REFUSED = 3
    """Relay to client: connection refused; payload is a short UTF-8 reason."""
    DATA = 4
    """Application payload between agent and customer."""
    CLOSE = 5
    """Orderly end; payload is an optional UTF-8 reason."""


class _NeedData(enum.Enum):
    NEED_DATA = "NEED_DATA"


NEED_DATA: Final = _NeedData.NEED_DATA
"""Returned by ``FrameReader.next_frame`` when more bytes are needed for a whole frame."""

NeedData = Literal[_NeedData.NEED_DATA]


@dataclass(frozen=True, slots=True)
class Frame:
    """One complete frame. ``type`` is an int so unknown types survive a round trip."""

    type: int
    payload: bytes = b""


def pack_frame(
    frame_type: int, payload: bytes = b"", *, max_payload: int = DEFAULT_MAX_PAYLOAD
) -> bytes:
    """Serialise one frame; raises ``FrameTooLarge`` (our bug) instead of sending junk."""
    if not 0 <= frame_type <= 0xFF:
        raise FrameTooLarge(f"frame type {frame_type} does not fit in one byte")
    if len(payload) > max_payload:
        raise FrameTooLarge(f"payload of {len(payload)} bytes exceeds {max_payload}")
    return HEADER.pack(len(payload), frame_type) + payload


class FrameReader:
    """Incremental parser: bytes in, ``Frame`` events out, never more than one frame held."""

    def __init__(
        self,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
        check: Callable[[int, int], None] | None = None,
    ) -> None:
        """``check(frame_type, length)``: raises to refuse a header (after the size
        check); the header then stays buffered and nothing of its payload is awaited."""
        self.max_payload = max_payload
        self._check = check
        self._buffer = bytearray()
        self._header: tuple[int, int] | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as frames, a frame's header under way
        included (a stream that ends inside a frame ended uncleanly)."""
        return len(self._buffer) + (HEADER_SIZE if self._header is not None else 0)

    def receive_data(self, data: bytes) -> None:
        """Append bytes from the peer; an oversize header is reported by ``next_frame``."""
        self._buffer += data

    def next_frame(self) -> Frame | NeedData:
        """Return the next whole frame, or ``NEED_DATA``; raises ``OversizeFrame``."""
        if self._header is None:
            if len(self._buffer) < HEADER_SIZE:
                return NEED_DATA
            length, frame_type = HEADER.unpack_from(self._buffer)
            if length > self.max_payload:
                # Refuse before waiting for (and buffering) the announced payload.
                raise OversizeFrame(f"peer announced {length} bytes, limit {self.max_payload}")
            if self._check is not None:
                self._check(frame_type, length)
            del self._buffer[:HEADER_SIZE]
            self._header = (length, frame_type)
        length, frame_type = self._header
        if len(self._buffer) < length:
            return NEED_DATA
        payload = bytes(self._buffer[:length])
        del self._buffer[:length]
        self._header = None
        return Frame(frame_type, payload)

    def trailing_data(self) -> bytes:
        """Hand over bytes buffered past the last frame (when switching to raw forwarding)."""
        if self._header is not None:
            length, frame_type = self._header
            head = HEADER.pack(length, frame_type)
        else:
            head = b""
        data = head + bytes(self._buffer)
        self._buffer.clear()
        self._header = None
        return data
