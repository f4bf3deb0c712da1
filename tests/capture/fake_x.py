"""A fake X server's packets for the C round trips' tests (``_xwire``): the request the
tests send, a reply and an event as the X server frames them."""

from __future__ import annotations

import struct

from remoteapp.capture import x11_wire

#: a request whose reply the fake server answers (GetInputFocus: the sync's)
REQUEST = x11_wire.sync_request()


def reply(extra: bytes = b"", detail: int = 7) -> bytes:
    assert len(extra) % 4 == 0
    return struct.pack("=BBHI24x", 1, detail, 1, len(extra) // 4) + extra


def event(kind: int = 22) -> bytes:
    return bytes([kind]) + bytes(31)
