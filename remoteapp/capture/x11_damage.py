"""X11 damage: ask the X server what changed (DAMAGE + XFixes regions) instead of diffing
the whole screen, and watch top-level windows move (ConfigureNotify) for the move detector.

``XDamageSource`` is the X boundary, with two connections of its own, both set up by
python-xlib and then driven as bytes (``x11_wire``: python-xlib's generic packet
machinery was most of a typed key's cost).  The reader thread sleeps in ``select()``
(with a wake pipe) on the first until the X server sends an event.  The DAMAGE object on
the root window reports at the *NonEmpty* level: one event when damage appears, and none
after it until the damage is fetched.  The thread wakes the capture loop; when that
grabs, ``take()`` moves the whole damaged region into an XFixes region (``DamageSubtract``)
and fetches its rectangles in one round trip, on the capture thread itself and on the
second connection (no hand-off per grab, and the reply does not wake the reader).  A
thousand tiny draws between two grabs cost one event and one reply, never a thousand
events.  Damage is taken *before* the pixels are read, so anything drawn after the take
raises a new event and a new grab: nothing is lost between the two.

Errors (all ``remoteapp.errors.CaptureError``)::

    CaptureError
     +-- no DAMAGE/XFixes 2 on this server, or a connection failed (at start; the
         caller falls back to polling)
     +-- XWireError / XRequestError (x11_wire; after the start: see below)

A connection that breaks later, or an X error for the fetch, stops damage reporting: the
source reports damage everywhere once, so the next grab is a full one, and the safety
check of ``DamageGrabber`` keeps capture correct.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from collections.abc import Callable
from typing import Any, Final

from remoteapp.capture import x11_wire
from remoteapp.capture.damage import EVERYTHING, Geometry, RectTuple, WindowMoves
from remoteapp.capture.x11_link import XLink, queued
from remoteapp.codec.motion import Motion
from remoteapp.errors import CaptureError

log = logging.getLogger("remoteapp.capture")

#: Longest the reader sleeps in select() before looking at its stop flag again (a close
#: also writes to the wake pipe, so this only bounds a lost wake-up).
SELECT_BOUND_S: Final = 5.0
#: Rectangles kept between two takes; beyond this the whole screen is reported instead.
MAX_PENDING_RECTS: Final = 20_000
_RECV: Final = 1 << 16


def _create_region_request() -> type[Any]:
    """XFixes 2 CreateRegion, which python-xlib lacks (used once, at setup)."""
    from Xlib.protocol import rq

    class CreateRegion(rq.Request):  # type: ignore[misc]
        _request = rq.Struct(
            rq.Card8("opcode"), rq.Opcode(5), rq.RequestLength(), rq.Card32("region")
        )

    return CreateRegion


class XDamageSource:
    """Damage rectangles and window moves of one X display, gathered on a reader thread.

    ``on_damage`` is called (from the reader thread, no lock held) whenever new damage
    arrives; ``take()`` returns everything gathered since the previous take.
    """

    def __init__(self, display: str | None, on_damage: Callable[[], None]) -> None:
        try:
            from Xlib import X
            from Xlib import display as xdisplay
            from Xlib.error import DisplayError, XError
            from Xlib.ext import damage
        except ImportError as exc:  # pragma: no cover - python-xlib is a dependency
            raise CaptureError(f"python-xlib is missing: {exc}") from exc
        self._X, self._damage_ext = X, damage
        try:
            self._d = xdisplay.Display(display)
        except (DisplayError, OSError) as exc:
            raise CaptureError(f"cannot open the display for damage: {exc}") from exc
        q: XLink | None = None
        try:
            self._setup()
            q = self._query_connection(display)
            self._backlog = queued(self._d)  # from here on the reader reads the bytes
        except (XError, CaptureError, OSError) as exc:
            self._d.close()
            if q is not None:
                q.close()
            raise CaptureError(f"no damage reporting on this display: {exc}") from exc
        self._q = q
        self._on_damage = on_damage
        self._lock = threading.Lock()
        self._rects: list[RectTuple] = []
        self._closed = False
        self._syncs: list[threading.Event] = []  #: sync() calls not yet asked of the server
        self._dirty = False  #: a DamageNotify came and the region was not fetched since
        self._pointer_moved = False  #: an XI2 raw motion came since the last take
        #: after a take(): whether the pointer moved between the previous take and it
        self.pointer_moved = True
        self._dead = False
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="x11-damage", daemon=True)
        self._thread.start()

    def _setup(self) -> None:
        d, X = self._d, self._X
        for ext in ("DAMAGE", "XFIXES"):
            if not d.has_extension(ext):
                raise CaptureError(f"the X server has no {ext} extension")
        d.damage_query_version()
        damage = d.query_extension("DAMAGE")
        self._damage_event = damage.first_event + self._damage_ext.DamageNotifyCode
        fixes = d.query_extension("XFIXES")
        version = d.xfixes_query_version()
        if version.major_version < 2:
            raise CaptureError(f"XFixes {version.major_version} has no regions (needs 2)")
        self._root = d.screen().root
        self._region = d.display.allocate_resource_id()
        _create_region_request()(display=d.display, opcode=fixes.major_opcode, region=self._region)
        self._damage = self._root.damage_create(self._damage_ext.DamageReportNonEmpty)
        self._fetch_bytes = x11_wire.subtract_and_fetch(
            damage.major_opcode, fixes.major_opcode, self._damage, self._region
        )
        self._root.change_attributes(event_mask=X.SubstructureNotifyMask)
        self._moves = WindowMoves()
        for child in self._root.query_tree().children:
            with contextlib.suppress(Exception):  # a window may go while we look
                g = child.get_geometry()
                bw2 = 2 * g.border_width
                self._moves.configure(child.id, Geometry(g.x, g.y, g.width + bw2, g.height + bw2))
        self.pointer_events = self._select_raw_motion()
        d.sync()
        self._moves.moved()  # the starting positions are not moves

    def _query_connection(self, display: str | None) -> XLink:
        """The second connection, for take()'s subtract and fetch: their replies then do
        not wake the reader thread (select() sees any byte on its connection).  X
        resources are shared between clients, so the DAMAGE object and the region work
        from it.  Proven here with one fetch."""

        def agree(q: Any) -> None:  # (the server refuses DAMAGE and XFixes 2 requests
            q.damage_query_version()  # from a client that has not agreed their versions)
            q.xfixes_query_version()

        link = XLink(display, agree)
        try:
            self._fetch(link)
            return link
        except BaseException:
            link.close()
            raise

    def _select_raw_motion(self) -> bool:
        """XInput 2 raw motion on the root: the pointer's moves wake the capture loop, so it
        need not poll the pointer.  (A warp, XWarpPointer, raises none: it shows at the
        next grab.)  False where the server has no XInput 2."""
        self._xi_opcode, self._raw_motion = -1, -1
        try:
            from Xlib.ext import xinput

            if not self._d.has_extension("XInputExtension"):
                return False
            if self._d.xinput_query_version().major_version < 2:
                return False
            self._xi_opcode = self._d.query_extension("XInputExtension").major_opcode
            self._raw_motion = xinput.RawMotion
            mask = [(xinput.AllMasterDevices, xinput.RawMotionMask)]
            self._root.xinput_select_events(mask)
            self._d.sync()
            return True
        except Exception as exc:  # python-xlib or the server without it: poll the pointer
            log.info("capture event=no-pointer-events reason=%r", str(exc))
            return False

    # -- reader thread

    def _run(self) -> None:
        sock = self._d.display.socket
        events, partial = self._backlog
        reader = x11_wire.PacketReader(partial)
        asked: list[list[threading.Event]] = []  #: sync() batches waiting for their reply
        try:
            for queued in events:
                self._handle(queued)
            while not self._closed:
                with self._lock:
                    syncs, self._syncs = self._syncs, []
                if syncs:
                    sock.sendall(x11_wire.sync_request())
                    asked.append(syncs)
                readable, _, _ = select.select([sock, self._wake_r], [], [], SELECT_BOUND_S)
                if self._wake_r in readable:
                    os.read(self._wake_r, 64)
                if sock not in readable:
                    continue
                data = sock.recv(_RECV)
                if not data:
                    raise ConnectionError("the X server closed the connection")
                reader.receive_data(data)
                while (packet := reader.next_packet()) is not None:
                    if packet[0] == x11_wire.REPLY:  # a sync's: every event before it is in
                        for done in asked.pop(0) if asked else ():
                            done.set()
                    elif packet[0] == x11_wire.ERROR:  # nothing we send here can fail
                        log.warning("capture event=x-error %s", x11_wire.XRequestError(packet))
                    else:
                        self._handle(packet)
        except Exception as exc:  # the connection broke: report everything, then stop
            self._dead = True
            if not self._closed:
                log.warning("capture event=damage-lost reason=%r", exc)
                self._add([EVERYTHING])
        finally:
            with self._lock:
                waiting, self._syncs = self._syncs, []
            for done in [d for batch in asked for d in batch] + waiting:
                done.set()

    def _handle(self, packet: bytes) -> None:
        kind = packet[0] & 0x7F  # the top bit: sent by a client (SendEvent)
        if kind == self._damage_event:
            # NonEmpty level: no further event until the region is fetched (at the next
            # take), so a burst of draws between two grabs is one event and one fetch
            if not self._dirty:
                self._dirty = True
                self._on_damage()
        elif kind == x11_wire.GENERIC_EVENT:
            if x11_wire.generic_kind(packet) == (self._xi_opcode, self._raw_motion):
                with self._lock:  # take() swaps the flag under the lock: no motion is lost
                    first, self._pointer_moved = not self._pointer_moved, True
                if first:
                    self._on_damage()
        else:
            event = x11_wire.window_event(packet)
            if event is None:
                return
            with self._lock:
                if event.kind == x11_wire.DESTROY_NOTIFY:
                    self._moves.forget(event.window)
                else:
                    geometry = Geometry(event.x, event.y, event.width, event.height)
                    self._moves.configure(event.window, geometry)

    # -- the capture thread (take)

    def _fetch(self, link: XLink) -> list[RectTuple]:
        """The subtract and fetch on the second connection: one round trip.  An error for
        either means the damage is not to be trusted any more."""
        return x11_wire.region_rectangles(link.round_trip(self._fetch_bytes))

    def _add(self, rects: list[RectTuple], notify: bool = True) -> None:
        if not rects:
            return
        with self._lock:
            if len(self._rects) + len(rects) > MAX_PENDING_RECTS:
                self._rects = [EVERYTHING]
            else:
                self._rects += rects
        if notify:
            self._on_damage()

    # -- any thread

    @property
    def foreign_events(self) -> int:
        """Events skipped on the fetch connection (tests)."""
        return self._q.skipped

    @property
    def pending(self) -> bool:
        return self._dirty or bool(self._rects) or self._pointer_moved

    def take(self, left: int = 0, top: int = 0) -> tuple[list[RectTuple], tuple[Motion, ...]]:
        """Damage (x, y, w, h) and move hints since the last take, relative to (left, top).
        With damage reported, the region is fetched here, on the caller's thread (one
        round trip, no hand-off to the reader thread and back).  ``pointer_moved`` then
        says whether the pointer moved since the previous take."""
        with self._lock:
            self.pointer_moved, self._pointer_moved = self._pointer_moved, False
        if self._dirty and not self._dead:
            self._dirty = False  # cleared first: a draw after the subtract raises an event
            try:
                self._add(self._fetch(self._q), notify=False)
            except Exception as exc:  # the connection broke: everything, to be safe
                self._dead = True
                log.warning("capture event=damage-lost reason=%r", exc)
                self._add([EVERYTHING], notify=False)
        with self._lock:
            rects, self._rects = self._rects, []
            moves = self._moves.moved(left, top)
        if left or top:
            rects = [(x - left, y - top, w, h) for x, y, w, h in rects]
        return rects, moves

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until every damage the X server had reported when this was called is
        gathered (a round trip on the reader's connection); False after ``timeout``."""
        if self._dead:
            return False
        done = threading.Event()
        with self._lock:
            self._syncs.append(done)
        os.write(self._wake_w, b"s")
        return done.wait(timeout)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        os.write(self._wake_w, b"x")
        self._thread.join(SELECT_BOUND_S + 1)
        os.close(self._wake_r)
        os.close(self._wake_w)
        with contextlib.suppress(Exception):
            self._d.close()
        self._q.close()
