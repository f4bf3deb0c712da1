"""Other clients' GCs, as the RECORD stream shows them: which copy screen pixels as they are.

No X request reads another client's GC, so a CopyArea can be trusted to move pixels
unchanged only when its GC's history is in the stream: created while recording, and every
change since seen.  What matters to a copy is its function, plane mask, clip and subwindow
mode; a GC is *plain* when they are GXcopy, all planes, no clip and ClipByChildren (the
defaults).  Anything not known for certain is unknown (None), and an unknown GC is never
plain: a GC created before the stream began, a clip set by XFIXES' SetGCClipRegion, a GC
freed or its client gone.  An older GC is known once a probe has drawn with a copy of it
(``probed``, from ``copy_prover.WindowProver.probe_gc``).

Refused requests are not seen: the stream records no errors (with an error set the server
records every event it delivers whose second byte is in the set, and ignores the
delivered-events set; Xvfb 21.1).  So a change that may not have happened counts as
"either": a component is known only when the old and the new value agree.  The server
applies ChangeGC's values in bit order and stops at the first that fails, so the values
after one that may fail (a tile, stipple, font or clip pixmap, dashes, a value out of its
range) are either; every component CopyGC copies is either (it fails whole when the GCs
do not match); a SetClipRectangles clip is either.  CreateGC is whole or nothing: had it
failed, the GC would not exist, and a copy through it would fail with no damage.  The
copy model sees that only if a recorded event comes before any other damage (helper-69's
review: a draw that is not recorded, of the copy's destination, can look like its
report), so a GC is trusted for copies only in the drawable it was made on (another may
have another depth: the copy is refused) and only when its CreateGC could not have been
refused; any other is probed first (``probe_may_tell``).  (A CreateGC of an id already
in the table is either: the server refuses a live id.  A CreateGC of an id outside its
client's range is refused too, and ignored.  A client re-creating its own live GC older
than the stream is not modelled.)

``GCTable.feed`` takes every ``x11_record`` event in the stream's order.  Malformed
requests never raise.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace
from typing import Final

from remoteapp.capture.x11_record import ClientDied, RecordEvent, Request

CREATE_GC: Final = 55
CHANGE_GC: Final = 56
COPY_GC: Final = 57
SET_CLIP_RECTANGLES: Final = 59
FREE_GC: Final = 60
GC_REQUESTS: Final = frozenset({CREATE_GC, CHANGE_GC, COPY_GC, SET_CLIP_RECTANGLES, FREE_GC})
FIXES_SET_GC_CLIP_REGION: Final = 20  #: XFIXES' minor opcode

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
#: a clip, or none, that a probe showed lets every pixel of ``covers`` (from the drawable's
#: origin) be written
CLIP_COVERS: Final = -2


@dataclass(frozen=True, slots=True)
class GCState:
    """The copy components of one GC; None where not known for certain."""

    function: int | None = GX_COPY
    plane_mask: int | None = ALL_PLANES
    subwindow_mode: int | None = CLIP_BY_CHILDREN
    clip: int | None = NO_CLIP  #: NO_CLIP, CLIP_RECTANGLES or a clip pixmap's id
    clip_x: int | None = 0
    clip_y: int | None = 0
    covers: tuple[int, int] | None = None  #: with CLIP_COVERS: the width and height
    #: the drawable it was created on (a copy elsewhere may be refused: another depth);
    #: UNSURE when it may not exist (a CreateGC value that may fail); None: any (probed)
    drawable: int | None = field(default=None, compare=False)

    def copies_within(self, width: int, height: int) -> bool:
        """Whether a copy inside a ``width`` x ``height`` drawable with no children (a
        proven window) moves its pixels unchanged: GXcopy, all planes, and no clip or
        one a probe showed covers it (the subwindow mode is then moot)."""
        if self.function != GX_COPY or self.plane_mask != ALL_PLANES:
            return False
        if self.clip == NO_CLIP:
            return True
        return (
            self.clip == CLIP_COVERS
            and self.covers is not None
            and self.covers[0] >= width
            and self.covers[1] >= height
        )

    @property
    def plain(self) -> bool:
        return (self.function, self.plane_mask, self.subwindow_mode, self.clip) == (
            GX_COPY,
            ALL_PLANES,
            CLIP_BY_CHILDREN,
            NO_CLIP,
        )


UNKNOWN_STATE: Final = GCState(None, None, None, None, None, None, None)
UNSURE: Final = -1  #: ``GCState.drawable`` of a GC that may not exist
#: component bit -> GCState field
_FIELDS: Final = {
    FUNCTION: "function",
    PLANE_MASK: "plane_mask",
    SUBWINDOW_MODE: "subwindow_mode",
    CLIP_X_ORIGIN: "clip_x",
    CLIP_Y_ORIGIN: "clip_y",
    CLIP_MASK: "clip",
}
#: the largest value of each enumerated component (a larger one fails: BadValue)
_ENUM_MAX: Final = {0: 15, 5: 2, 6: 3, 7: 2, 8: 3, 9: 1, 15: 1, 16: 1, 22: 1}
#: components that name a resource (tile, stipple, font) or allocate (dashes): may fail
_MAY_FAIL: Final = frozenset({10, 11, 14, 21})
_CLIP_MASK_BIT: Final = 19
_LINE_WIDTH_BIT: Final = 4


class GCTable:
    """The GCs the stream has shown, by id (``feed`` each event, ``plain`` to ask).

    ``id_mask`` is the server's resource-id mask (the bits a client chooses), so a GC's
    client is its id without them; ``fixes_major`` XFIXES' opcode, whose SetGCClipRegion
    clips a GC by a region (not kept: the GC becomes unknown)."""

    def __init__(self, id_mask: int, fixes_major: int = -1) -> None:
        self._client_bits = ~id_mask & 0xFFFFFFFF
        self._fixes = fixes_major
        self._gcs: dict[int, GCState] = {}

    def __len__(self) -> int:
        return len(self._gcs)

    def plain(self, gc: int) -> bool:
        state = self._gcs.get(gc)
        return state is not None and state.plain

    def state(self, gc: int) -> GCState | None:
        """What is known of ``gc`` (None: never seen created, or gone)."""
        return self._gcs.get(gc)

    def copies_within(self, gc: int, width: int, height: int, window: int | None = None) -> bool:
        """``GCState.copies_within``; with ``window``, also that a copy in it through the
        GC cannot be refused (created on it, or probed)."""
        state = self._gcs.get(gc)
        if state is None or (window is not None and state.drawable not in (None, window)):
            return False
        return state.copies_within(width, height)

    def probe_may_tell(self, gc: int, window: int) -> bool:
        """Whether a probe of ``gc`` in ``window`` could make it trusted there: older than
        the stream, unknown, made on another drawable, or it may not exist."""
        state = self._gcs.get(gc)
        return (
            state is None
            or state == UNKNOWN_STATE  # (the drawable is not compared)
            or state.drawable not in (None, window)
        )

    def probed(self, gc: int, covers: tuple[int, int] | None) -> None:
        """A probe of ``gc`` at this place in the stream (``copy_prover``): it copies
        plainly within ``covers``, or (None) it was not shown to."""
        self._gcs[gc] = (
            UNKNOWN_STATE
            if covers is None
            else GCState(GX_COPY, ALL_PLANES, None, CLIP_COVERS, None, None, covers)
        )

    def feed(self, event: RecordEvent) -> None:
        if isinstance(event, Request) and event.major in GC_REQUESTS:
            self._request(event)
        elif isinstance(event, Request) and event.major == self._fixes:
            if event.minor == FIXES_SET_GC_CLIP_REGION and len(event.data) >= 8:
                gc = struct.unpack_from(event.order + "I", event.data, 4)[0]
                if gc in self._gcs:
                    self._gcs[gc] = UNKNOWN_STATE
        elif isinstance(event, ClientDied):
            self._gcs = {
                gc: s for gc, s in self._gcs.items() if gc & self._client_bits != event.client
            }

    def _request(self, r: Request) -> None:
        data, order = r.data, r.order
        if len(data) < 8:
            return  # (refused: BadLength; it names no GC)
        # (the GC it changes: CopyGC's is its second)
        at = 8 if r.major == COPY_GC and len(data) >= 12 else 4
        gc = struct.unpack_from(order + "I", data, at)[0]
        old = self._gcs.get(gc)
        if r.major == FREE_GC:
            self._gcs.pop(gc, None)
        elif r.major == CREATE_GC:
            if gc & self._client_bits != r.client:
                return  # (an id outside the client's range: BadIDChoice; helper-68's review)
            values = _values(data, 12, order)
            new = _changed(GCState(), values, sure=True)
            drawable = struct.unpack_from(order + "I", data, 8)[0] if len(data) >= 12 else UNSURE
            if values is None or any(_may_fail(bit, word) for bit, word in values):
                drawable = UNSURE  # (refused, the GC would not be: a copy through it fails)
            new = replace(new, drawable=drawable)
            if old is not None:
                new = _either(old, new, ALL_COMPONENTS)
                new = replace(new, drawable=drawable if old.drawable == drawable else UNSURE)
            self._gcs[gc] = new
        elif old is None:
            return  # (an older GC, or one gone: stays unknown)
        elif r.major == CHANGE_GC:
            values = _values(data, 8, order)
            moved = values is not None and any(bit in (17, 18) for bit, _ in values)
            self._gcs[gc] = _uncovered(old, _changed(old, values, sure=False), moved)
        elif r.major == SET_CLIP_RECTANGLES:
            clip = GCState(clip=CLIP_RECTANGLES, clip_x=None, clip_y=None)
            if len(data) >= 12:
                x, y = struct.unpack_from(order + "hh", data, 8)
                clip = replace(clip, clip_x=x, clip_y=y)
            self._gcs[gc] = _either(old, clip, CLIP_MASK | CLIP_X_ORIGIN | CLIP_Y_ORIGIN)
        elif len(data) >= 16:  # CopyGC: either, component by component
            source, mask = struct.unpack_from(order + "I4xI", data, 4)
            theirs = self._gcs.get(source, UNKNOWN_STATE)
            if theirs.clip == CLIP_COVERS:  # (a probed clip is not known, only its cover)
                theirs = replace(theirs, clip=None)
            new = _either(old, theirs, mask)
            self._gcs[gc] = _uncovered(old, new, bool(mask & (CLIP_X_ORIGIN | CLIP_Y_ORIGIN)))


def _uncovered(old: GCState, new: GCState, origin_moved: bool) -> GCState:
    """A probed clip moved by its origin covers what the probe saw no longer."""
    if old.clip == CLIP_COVERS and new.clip == CLIP_COVERS and origin_moved:
        return replace(new, clip=None)
    return new


def _either(old: GCState, new: GCState, mask: int) -> GCState:
    """``old`` with each component in ``mask`` known only where ``new`` agrees."""
    changes = {
        name: getattr(old, name) if getattr(old, name) == getattr(new, name) else None
        for bit, name in _FIELDS.items()
        if mask & bit
    }
    return replace(old, **changes)


def _values(data: bytes, at: int, order: str) -> list[tuple[int, int]] | None:
    """A request's values by component bit, in the order the server applies them; None
    when the list is not what the mask says (the server refuses it whole)."""
    if len(data) < at + 4:
        return None
    mask = struct.unpack_from(order + "I", data, at)[0]
    bits = [bit for bit in range(32) if mask & (1 << bit)]
    if len(data) != at + 4 + 4 * len(bits):
        return None  # (BadLength, checked first; a bit past arc-mode fails last, in order)
    words = struct.unpack_from(order + f"{len(bits)}I", data, at + 4)
    return list(zip(bits, words, strict=True))


def _changed(state: GCState, values: list[tuple[int, int]] | None, *, sure: bool) -> GCState:
    """``state`` after a CreateGC (``sure``: applied whole, or the GC is not there) or a
    ChangeGC (applied in bit order up to the first value that fails: the components
    from one that may fail on are either)."""
    if values is None:
        return UNKNOWN_STATE if sure else state  # (refused whole: nothing changed)
    certain = True
    for bit, word in values:
        certain = certain and (sure or not _may_fail(bit, word))
        name = _FIELDS.get(1 << bit)
        if name is not None:
            value = _int16(word) if bit in (17, 18) else word
            old = getattr(state, name)
            known: int | None = value if certain or old == value else None
            state = replace(state, **{name: known})  # type: ignore[arg-type]
    return state


def _may_fail(bit: int, word: int) -> bool:
    """Whether the server may refuse component ``bit`` set to ``word``."""
    return (
        bit in _MAY_FAIL
        or word > _ENUM_MAX.get(bit, 0xFFFFFFFF)
        or (bit == _CLIP_MASK_BIT and word != NO_CLIP)
        or (bit == _LINE_WIDTH_BIT and word > 0xFFFF)
    )


def _int16(value: int) -> int:
    """An INT16 value from its 4-byte slot (the low 16 bits, signed)."""
    value &= 0xFFFF
    return value - 0x10000 if value & 0x8000 else value
