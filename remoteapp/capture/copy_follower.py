"""The RECORD stream fed to the copy model: which copies to trust, where the damage and the
capture's own reads fall (the copy model's fourth piece, sans-IO).

A CopyArea is trusted, and moves the capture's frame (``copy_model.CopyModel.moved``),
when all of these hold at its place in the stream:

- it copies a window onto itself, within the window;
- its GC is plain (``x11_gcs``);
- the window is proven wholly visible at a known place on the screen (``prove``): then
  every source pixel is the screen's, and the destination shows the copy unclipped.

Proofs are the caller's (how a window is shown wholly visible is not here), and every
proof is dropped on any window request of any client (create, map, configure, restack,
reparent, destroy...), any SHAPE or Composite request and any client's death: after
those, a window may be covered or elsewhere.  (A pixel the server changes with no request,
the screen saver's, is not in the stream: the copy's own damage report, checked by the
model, and the damage backend's safety check stay the backstops.)

The raw DAMAGE object's reports (its ``DamageNotify`` events, recorded as delivered) are
the model's damage; the capture's reads (its image requests, from its own connection)
are the model's reads; everything else only ends a trusted copy's wait for its report.
"""

from __future__ import annotations

import struct
from typing import Final

from remoteapp.capture.copy_model import CopyModel
from remoteapp.capture.x11_gcs import GCTable
from remoteapp.capture.x11_record import (
    ClientDied,
    CopyArea,
    Delivered,
    Ended,
    RecordEvent,
    Request,
)
from remoteapp.codec.geometry import Rect

#: core window requests: CreateWindow .. CirculateWindow
WINDOW_REQUESTS: Final = frozenset(range(1, 14))
GET_IMAGE: Final = 73
SHM_GET_IMAGE: Final = 4  #: MIT-SHM's minor opcode
_MORE: Final = 0x80  #: DamageNotify's level: more boxes of this report follow
_DAMAGE_NOTIFY: Final = struct.Struct("4xII4xhhHH")  #: drawable, damage, time, area
#: GetImage: drawable, x, y, width, height; ShmGetImage the same after its opcodes
_IMAGE: Final = struct.Struct("4xIhhHH")


class CopyFollower:
    """Feeds ``x11_record`` events, in order, to a ``CopyModel`` and a ``GCTable``.

    ``damage`` is the raw DAMAGE object on the root (its DamageNotify code
    ``damage_event``); ``reader`` the resource-id base of the connection whose image
    reads of the root window ``root`` are the capture's; ``shm_major`` MIT-SHM's opcode (-1: none);
    ``window_majors`` the extensions whose requests drop every proof (SHAPE,
    Composite)."""

    def __init__(
        self,
        model: CopyModel,
        gcs: GCTable,
        *,
        damage: int,
        damage_event: int,
        reader: int,
        root: int,
        shm_major: int = -1,
        window_majors: frozenset[int] = frozenset(),
    ) -> None:
        self.model, self.gcs = model, gcs
        self._damage, self._damage_event = damage, damage_event
        self._reader, self._root, self._shm_major = reader, root, shm_major
        self._window_majors = WINDOW_REQUESTS | window_majors
        self._proofs: dict[int, Rect] = {}
        self.trusted = self.untrusted = 0  #: copies, counted

    def prove(self, window: int, rect: Rect) -> None:
        """``window`` is wholly visible at ``rect`` (root coordinates), from here on in
        the stream, until a window request or a client's death says otherwise."""
        self._proofs[window] = rect

    def proven(self, window: int) -> Rect | None:
        return self._proofs.get(window)

    def feed(self, event: RecordEvent) -> None:
        if isinstance(event, CopyArea):
            self._copy(event)
            return
        if isinstance(event, Delivered) and self._damaged(event):
            return
        self.model.other()
        self.gcs.feed(event)
        if isinstance(event, ClientDied | Ended):
            self._proofs.clear()
        elif isinstance(event, Request):
            if event.major in self._window_majors:
                self._proofs.clear()
            elif event.client == self._reader:
                self._read(event)

    def _copy(self, c: CopyArea) -> None:
        window = self._proofs.get(c.src) if c.src == c.dst else None
        src = Rect(c.src_x, c.src_y, c.width, c.height)
        dst = Rect(c.dst_x, c.dst_y, c.width, c.height)
        if (
            window is None
            or src.is_empty()
            or not self.gcs.plain(c.gc)
            or not (src.inside(window.w, window.h) and dst.inside(window.w, window.h))
        ):
            self.untrusted += 1
            self.model.other()  # (its damage, if any, comes as any other)
            return
        self.trusted += 1
        self.model.moved(src.shifted(window.x, window.y), c.dst_x - c.src_x, c.dst_y - c.src_y)

    def _damaged(self, event: Delivered) -> bool:
        packet = event.packet
        if packet[0] & 0x7F != self._damage_event or len(packet) < 32:
            return False
        _, damage, x, y, w, h = struct.unpack_from(event.order + _DAMAGE_NOTIFY.format, packet)
        if damage != self._damage:
            return False
        self.model.damage(Rect(x, y, w, h), more=bool(packet[1] & _MORE))
        return True

    def _read(self, r: Request) -> None:
        image = r.major == GET_IMAGE or (r.major == self._shm_major and r.minor == SHM_GET_IMAGE)
        if not image or len(r.data) < _IMAGE.size:
            return
        drawable, x, y, w, h = struct.unpack_from(r.order + _IMAGE.format, r.data)
        if drawable == self._root:
            self.model.read(Rect(x, y, w, h))
