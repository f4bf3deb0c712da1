"""Other clients' GCs, as the RECORD stream shows them: which copy screen pixels as they are.

No X request reads another client's GC, so a CopyArea can be trusted to move pixels
unchanged only when its GC's history is in the stream: created while recording, and every
change since seen.  What matters to a copy is its function, plane mask, clip and subwindow
mode; a GC is *plain* when they are GXcopy, all planes, no clip and ClipByChildren (the
defaults).  Anything not known for certain is unknown, and an unknown GC is never plain:
a GC created before the stream began, a component copied from an unknown GC, a request
the server refused (it may have changed some components before failing, so all are then
unknown), a GC freed or its client gone.  (Finding out an older GC's state by drawing
with a copy of it is a later piece: docs/capture.md.)

``GCTable.feed`` takes every ``x11_record`` event in the stream's order.  Malformed
requests never raise: the server refuses them, and their GC becomes unknown.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from typing import Final

from remoteapp.capture.x11_record import ClientDied, Delivered, RecordEvent, Request

CREATE_GC: Final = 55
CHANGE_GC: Final = 56
COPY_GC: Final = 57
SET_CLIP_RECTANGLES: Final = 59
FREE_GC: Final = 60
GC_REQUESTS: Final = frozenset({CREATE_GC, CHANGE_GC, COPY_GC, SET_CLIP_RECTANGLES, FREE_GC})

#: GC components (value-mask bits, in the order their values are listed)
FUNCTION: Final = 1 << 0
PLANE_MASK: Final = 1 << 1
SUBWINDOW_MODE: Final = 1 << 15
CLIP_X_ORIGIN: Final = 1 << 17
CLIP_Y_ORIGIN: Final = 1 << 18
CLIP_MASK: Final = 1 << 19
ALL_COMPONENTS: Final = (1 << 23) - 1

GX_COPY: Final = 3
ALL_PLANES: Final = 0xFFFFFFFF
CLIP_BY_CHILDREN: Final = 0
NO_CLIP: Final = 0  #: clip-mask None
CLIP_RECTANGLES: Final = -1  #: the clip set by SetClipRectangles (its rectangles not kept)


@dataclass(frozen=True, slots=True)
class GCState:
    """The copy components of one GC; None where not known for certain."""

    function: int | None = GX_COPY
    plane_mask: int | None = ALL_PLANES
    subwindow_mode: int | None = CLIP_BY_CHILDREN
    clip: int | None = NO_CLIP  #: NO_CLIP, CLIP_RECTANGLES or a clip pixmap's id
    clip_origin: tuple[int, int] | None = (0, 0)

    @property
    def plain(self) -> bool:
        return (self.function, self.plane_mask, self.subwindow_mode, self.clip) == (
            GX_COPY,
            ALL_PLANES,
            CLIP_BY_CHILDREN,
            NO_CLIP,
        )


_UNKNOWN_STATE: Final = GCState(None, None, None, None, None)


class GCTable:
    """The GCs the stream has shown, by id (``feed`` each event, ``plain`` to ask).

    ``id_mask`` is the server's resource-id mask (the bits a client chooses), so a GC's
    client is its id without them."""

    def __init__(self, id_mask: int) -> None:
        self._client_bits = ~id_mask & 0xFFFFFFFF
        self._gcs: dict[int, GCState] = {}
        #: per client, its last GC request's (sequence, GC), to match a refusal with (a
        #: sequence of None: the stream has none, and any error of the client's counts)
        self._last: dict[int, tuple[int | None, int]] = {}

    def __len__(self) -> int:
        return len(self._gcs)

    def plain(self, gc: int) -> bool:
        state = self._gcs.get(gc)
        return state is not None and state.plain

    def state(self, gc: int) -> GCState | None:
        """What is known of ``gc`` (None: never seen created, or gone)."""
        return self._gcs.get(gc)

    def feed(self, event: RecordEvent) -> None:
        if isinstance(event, Request) and event.major in GC_REQUESTS:
            self._request(event)
        elif isinstance(event, Delivered) and event.packet[0] == 0:
            self._refused(event)
        elif isinstance(event, ClientDied):
            self._gcs = {
                gc: s for gc, s in self._gcs.items() if gc & self._client_bits != event.client
            }
            self._last.pop(event.client, None)

    def _request(self, r: Request) -> None:
        data, order = r.data, r.order
        if len(data) < 8:
            return  # (refused: BadLength; it names no GC we could tell)
        # (the GC it changes: CopyGC's is its second)
        gc = struct.unpack_from(
            order + "I", data, 8 if r.major == COPY_GC and len(data) >= 12 else 4
        )[0]
        self._last[r.client] = (None if r.sequence < 0 else r.sequence & 0xFFFF, gc)
        if r.major == FREE_GC:
            self._gcs.pop(gc, None)
        elif r.major == CREATE_GC:
            values = _values(data, 12, order)
            self._gcs[gc] = _unknown() if values is None else _changed(GCState(), *values)
        elif gc not in self._gcs:
            return  # (an older GC, or another's refused: stays unknown)
        elif r.major == CHANGE_GC:
            values = _values(data, 8, order)
            self._gcs[gc] = _unknown() if values is None else _changed(self._gcs[gc], *values)
        elif r.major == SET_CLIP_RECTANGLES:
            origin = struct.unpack_from(order + "hh", data, 8) if len(data) >= 12 else None
            self._gcs[gc] = replace(self._gcs[gc], clip=CLIP_RECTANGLES, clip_origin=origin)
        elif len(data) < 16:  # (CopyGC without its mask: refused)
            return
        else:
            source, mask = struct.unpack_from(order + "I4xI", data, 4)
            self._gcs[gc] = _copied(self._gcs[gc], self._gcs.get(source, _UNKNOWN_STATE), mask)

    def _refused(self, error: Delivered) -> None:
        """The server's error for a client's last GC request: what it changed is unknown."""
        last = self._last.get(error.client)
        if last is None:
            return
        sequence = struct.unpack_from(error.order + "H", error.packet, 2)[0]
        if last[0] in (None, sequence) and last[1] in self._gcs:
            self._gcs[last[1]] = _unknown()


def _copied(state: GCState, from_: GCState, mask: int) -> GCState:
    """``state`` after CopyGC copied the components in ``mask`` from ``from_``."""
    if mask & FUNCTION:
        state = replace(state, function=from_.function)
    if mask & PLANE_MASK:
        state = replace(state, plane_mask=from_.plane_mask)
    if mask & SUBWINDOW_MODE:
        state = replace(state, subwindow_mode=from_.subwindow_mode)
    if mask & CLIP_MASK:
        state = replace(state, clip=from_.clip)
    if mask & (CLIP_X_ORIGIN | CLIP_Y_ORIGIN):
        state = replace(state, clip_origin=_origin(state.clip_origin, from_.clip_origin, mask))
    return state


def _origin(
    mine: tuple[int, int] | None, theirs: tuple[int, int] | None, mask: int
) -> tuple[int, int] | None:
    """A clip origin after CopyGC copied its x, its y or both (``mask``) from ``theirs``."""
    if (mask & CLIP_X_ORIGIN and mask & CLIP_Y_ORIGIN) or theirs is None:
        return theirs
    if mine is None:
        return None
    return (theirs[0], mine[1]) if mask & CLIP_X_ORIGIN else (mine[0], theirs[1])


def _unknown() -> GCState:
    return _UNKNOWN_STATE


def _values(data: bytes, at: int, order: str) -> tuple[int, dict[int, int]] | None:
    """A request's value mask and the values it lists, by component; None when the list
    is shorter than the mask says (the server refuses it)."""
    if len(data) < at + 4:
        return None
    mask = struct.unpack_from(order + "I", data, at)[0]
    values: dict[int, int] = {}
    at += 4
    for bit in range(23):
        if mask & (1 << bit):
            if len(data) < at + 4:
                return None
            values[1 << bit] = struct.unpack_from(order + "I", data, at)[0]
            at += 4
    return mask, values


def _changed(state: GCState, mask: int, values: dict[int, int]) -> GCState:
    if mask & ~ALL_COMPONENTS:
        return _unknown()  # (bits beyond arc-mode: BadValue)
    if FUNCTION in values:
        state = replace(state, function=values[FUNCTION])
    if PLANE_MASK in values:
        state = replace(state, plane_mask=values[PLANE_MASK])
    if SUBWINDOW_MODE in values:
        state = replace(state, subwindow_mode=values[SUBWINDOW_MODE])
    if CLIP_MASK in values:
        state = replace(state, clip=values[CLIP_MASK])
    if CLIP_X_ORIGIN in values or CLIP_Y_ORIGIN in values:
        x, y = state.clip_origin if state.clip_origin is not None else (None, None)
        x = _int16(values[CLIP_X_ORIGIN]) if CLIP_X_ORIGIN in values else x
        y = _int16(values[CLIP_Y_ORIGIN]) if CLIP_Y_ORIGIN in values else y
        state = replace(state, clip_origin=None if x is None or y is None else (x, y))
    return state


def _int16(value: int) -> int:
    """An INT16 value from its 4-byte slot (the low 16 bits, signed)."""
    value &= 0xFFFF
    return value - 0x10000 if value & 0x8000 else value
