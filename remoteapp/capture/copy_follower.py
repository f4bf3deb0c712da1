"""The RECORD stream fed to the copy model: which copies to trust, where the damage and the
capture's own reads fall (the copy model's fourth piece, sans-IO).

A CopyArea is trusted, and moves the capture's frame (``copy_model.CopyModel.moved``),
when all of these hold at its place in the stream:

- it copies a window onto itself, within the window;
- its GC copies plainly within the window (``x11_gcs``: GXcopy, all planes, no clip or
  one a probe showed covers the window): seen created and changed in the stream, or
  probed (a GC older than the stream, wanted in ``wanted_gcs``, proven with
  ``gc_probing`` at the prover's CopyGC in the stream);
- the window is proven wholly visible at a known place on the screen (``prove``): then
  every source pixel is the screen's, and the destination shows the copy unclipped.

A proof comes from the prover's probe (``copy_prover``): under a server grab, a copy of
the window onto itself at no offset, whose own damage report is the window's visible
part; announced with ``probing``, it proves the window when that report, right after the
probe in the stream, is the whole window.  (``prove`` sets one directly.)  Every proof
is dropped on any window request of any other client (create, map, configure, restack,
reparent, destroy...), any SHAPE, Composite or RANDR request, XFIXES' SetWindowShapeRegion
and any client's death: after those, a window may be covered, shaped or elsewhere.
Windows whose plain self-copies went untrusted for want of a proof are ``wanted``.  (A
pixel the server changes with no request, the screen saver's, is not in the stream: the
copy's own damage report, checked by the model, and the damage backend's safety check
stay the backstops.)

The raw DAMAGE object's reports (its ``DamageNotify`` events, recorded as delivered) are
the model's damage; the capture's reads (its image requests, from its own connection)
are the model's reads; everything else only ends a trusted copy's wait for its report.
"""

from __future__ import annotations

import struct
from typing import Final

from remoteapp.capture.copy_model import CopyModel
from remoteapp.capture.x11_gcs import COPY_GC, GCTable
from remoteapp.capture.x11_record import (
    ClientDied,
    CopyArea,
    Delivered,
    Ended,
    Opcodes,
    RecordEvent,
    Request,
)
from remoteapp.codec.geometry import Rect, rect_from

#: core window requests: CreateWindow .. CirculateWindow, but GetWindowAttributes and
#: ChangeSaveSet (they change nothing on the screen)
WINDOW_REQUESTS: Final = frozenset(range(1, 14)) - {3, 6}
GET_IMAGE: Final = 73
FIXES_SET_WINDOW_SHAPE_REGION: Final = 21  #: XFIXES' minor opcode
SHM_GET_IMAGE: Final = 4  #: MIT-SHM's minor opcode
_MORE: Final = 0x80  #: DamageNotify's level: more boxes of this report follow
#: DamageNotify's drawable, damage, time and area, by the recorded client's byte order
_DAMAGE_NOTIFIES: Final = {order: struct.Struct(order + "4xII4xhhHH") for order in "<>"}
#: GetImage: drawable, x, y, width, height; ShmGetImage the same after its opcodes
_IMAGE: Final = struct.Struct("4xIhhHH")


class CopyFollower:
    """Feeds ``x11_record`` events, in order, to a ``CopyModel`` and a ``GCTable``.

    ``damage`` is the raw DAMAGE object on the root; ``reader`` the resource-id base of
    the connection whose image reads of the root window ``root`` are the capture's;
    ``prover`` the probes'; ``opcodes`` the display's extensions (DamageNotify's code,
    MIT-SHM's reads, XFIXES' window shapes, the extensions whose every request drops
    the proofs)."""

    def __init__(
        self,
        model: CopyModel,
        gcs: GCTable,
        *,
        damage: int,
        reader: int,
        root: int,
        opcodes: Opcodes,
        prover: int = -1,
    ) -> None:
        self.model, self.gcs = model, gcs
        self._damage, self._damage_event = damage, opcodes.damage_event
        self._reader, self._root, self._shm_major = reader, root, opcodes.shm
        self._fixes = opcodes.fixes
        self._window_majors = WINDOW_REQUESTS | opcodes.window_majors
        self._prover = prover
        self._proofs: dict[int, Rect] = {}
        self._probes: dict[int, Rect] = {}  #: announced: window -> its rect if visible
        self._probe: tuple[int, Rect, list[Rect]] | None = None  #: one whose report is due
        self.wanted: set[int] = set()  #: windows a proof would have let copies be trusted
        #: GCs never seen created that copied in a proven window: GC -> that window
        self.wanted_gcs: dict[int, int] = {}
        #: announced GC probes: (the GC, the prober's GC) -> what it covers, or None
        self._gc_probes: dict[tuple[int, int], tuple[int, int] | None] = {}
        self.trusted = self.untrusted = 0  #: copies, counted

    def prove(self, window: int, rect: Rect) -> None:
        """``window`` is wholly visible at ``rect`` (root coordinates), from here on in
        the stream, until a window request or a client's death says otherwise."""
        self._proofs[window] = rect

    def proven(self, window: int) -> Rect | None:
        return self._proofs.get(window)

    def take_wanted(self) -> tuple[list[int], dict[int, int]]:
        """The windows and GCs to probe now, handed over and forgotten (the next copy that
        wants one asks again), with any probe announced before and never seen in the
        stream: so every book here stays as small as one grab's copies."""
        windows, gcs = sorted(self.wanted), dict(self.wanted_gcs)
        self.wanted.clear()
        self.wanted_gcs.clear()
        self._probes.clear()
        self._gc_probes.clear()
        return windows, gcs

    def gc_probing(self, gc: int, into: int, covers: tuple[int, int] | None) -> None:
        """The prover's CopyGC of ``gc`` into its ``into`` is a GC probe: from its place
        in the stream, ``gc`` copies plainly within ``covers`` (None: it does not)."""
        self._gc_probes[(gc, into)] = covers

    def probing(self, window: int, rect: Rect) -> None:
        """The prover's next self-copy of ``window`` is a probe; ``rect`` is where the
        window is (root coordinates) under the probe's grab."""
        self._probes[window] = rect

    def feed(self, event: RecordEvent) -> None:
        if isinstance(event, Delivered) and self._damaged(event):
            return
        if self._probe is not None:  # (its report did not come next: none comes)
            self._probed([])
        if isinstance(event, CopyArea):
            self._copy(event)
            return
        self.model.other()
        self.gcs.feed(event)
        if isinstance(event, Request) and event.client == self._prover:
            self._gc_probed(event)
        if isinstance(event, ClientDied | Ended):
            self._proofs.clear()
        elif isinstance(event, Request):
            if event.client != self._prover and (
                event.major in self._window_majors
                or (event.major == self._fixes and event.minor == FIXES_SET_WINDOW_SHAPE_REGION)
            ):
                self._proofs.clear()
            elif event.client == self._reader:
                self._read(event)

    def _copy(self, c: CopyArea) -> None:
        if c.client == self._prover and c.src == c.dst and c.src in self._probes:
            self.model.other()  # (a copy at no offset: no pixel changes)
            self._probe = (c.src, self._probes.pop(c.src), [])
            return
        window = self._proofs.get(c.src) if c.src == c.dst else None
        src = Rect(c.src_x, c.src_y, c.width, c.height)
        dst = Rect(c.dst_x, c.dst_y, c.width, c.height)
        screen = self.model.screen
        if (
            window is None
            or src.is_empty()
            or not self.gcs.copies_within(c.gc, window.w, window.h, window=c.src)
            or not (src.inside(window.w, window.h) and dst.inside(window.w, window.h))
            or not window.inside(screen.w, screen.h)  # (a screen grown since: RandR)
        ):
            self.untrusted += 1
            self.model.other()  # (its damage, if any, comes as any other)
            state = self.gcs.state(c.gc)
            unknown = self.gcs.probe_may_tell(c.gc, c.src)  # (a probe may tell)
            hopeful = unknown or (state is not None and state.copies_within(0, 0))
            if c.src == c.dst and window is None and hopeful:
                self.wanted.add(c.src)
            elif window is not None and unknown:
                self.wanted_gcs[c.gc] = c.src
            return
        self.trusted += 1
        self.model.moved(src.shifted(window.x, window.y), c.dst_x - c.src_x, c.dst_y - c.src_y)

    def _gc_probed(self, r: Request) -> None:
        if r.major != COPY_GC or len(r.data) < 12:
            return
        gc, into = struct.unpack_from(r.order + "II", r.data, 4)
        if (gc, into) in self._gc_probes:
            self.gcs.probed(gc, self._gc_probes.pop((gc, into)))
            self.wanted_gcs.pop(gc, None)

    def _damaged(self, event: Delivered) -> bool:
        packet = event.packet
        if packet[0] & 0x7F != self._damage_event or len(packet) < 32:
            return False
        _, damage, x, y, w, h = _DAMAGE_NOTIFIES[event.order].unpack_from(packet)
        if damage != self._damage:
            return False
        more = bool(packet[1] & _MORE)
        if self._probe is not None:
            self._probe[2].append(Rect(x, y, w, h))
            if not more:
                self._probed(self._probe[2])
            return True
        self.model.damage(rect_from((x, y, w, h)), more=more)
        return True

    def _probed(self, report: list[Rect]) -> None:
        """A probe's report is in (or none came): the whole window proves it."""
        if self._probe is None:
            return
        window, rect, self._probe = self._probe[0], self._probe[1], None
        if report == [rect]:
            self._proofs[window] = rect
            self.wanted.discard(window)

    def _read(self, r: Request) -> None:
        image = r.major == GET_IMAGE or (r.major == self._shm_major and r.minor == SHM_GET_IMAGE)
        if not image or len(r.data) < _IMAGE.size:
            return
        drawable, x, y, w, h = struct.unpack_from(r.order + _IMAGE.format, r.data)
        if drawable == self._root:
            self.model.read(Rect(x, y, w, h))
