"""X11 damage: ask the X server what changed (DAMAGE + XFixes regions) instead of diffing
the whole screen, and watch top-level windows move (ConfigureNotify) for the move detector.

``XDamageSource`` is the X boundary, with python-xlib connections of its own: its reader
thread's, on which it sleeps in ``select()`` (with a wake pipe) until the X server sends
an event, and take()'s (see below).  The DAMAGE object on the root window reports at the
*NonEmpty* level: one event when damage appears, and none after it until the damage is
fetched.  The thread wakes the capture loop; when that grabs, ``take()`` moves the whole
damaged region into an XFixes region (``DamageSubtract``) and fetches its rectangles in
one round trip, on the capture thread itself and on a second connection of its own (no
hand-off per grab, and the reply does not wake the reader: on typing these were a good
part of the cost of a key).  A thousand tiny draws between two grabs cost one event and
one reply, never a thousand events.
Damage is taken *before* the pixels are read, so anything drawn after the take raises a
new event and a new grab: nothing is lost between the two.

Errors (all ``remoteapp.errors.CaptureError``)::

    CaptureError
     +-- no DAMAGE/XFixes 2 on this server, or the connection failed (at start; the
         caller falls back to polling)

A connection that breaks later stops the thread and reports damage everywhere once, so the
next grab is a full one; the safety check of ``DamageGrabber`` keeps capture correct.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from collections.abc import Callable
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from remoteapp.capture.damage import Geometry, WindowMoves
from remoteapp.codec.motion import Motion
from remoteapp.errors import CaptureError

log = logging.getLogger("remoteapp.capture")

#: Longest the reader sleeps in select() before looking at its stop flag again (a close
#: also writes to the wake pipe, so this only bounds a lost wake-up).
SELECT_BOUND_S: Final = 5.0
#: Rectangles kept between two takes; beyond this the whole screen is reported instead.
MAX_PENDING_RECTS: Final = 20_000

_EVERYTHING: Final = (0, 0, 0x7FFF, 0x7FFF)
_GENERIC_EVENT: Final = 35  #: the X core's GenericEvent (XInput 2), not in Xlib.X
_NO_RECTS: Final = np.zeros((0, 4), np.int32)
_NO_RECTS.flags.writeable = False


def _xfixes_requests() -> tuple[type[Any], type[Any], type[Any]]:
    """XFixes 2 region requests python-xlib lacks: CreateRegion, DestroyRegion,
    FetchRegion (whose reply's rectangles stay raw bytes, parsed by numpy)."""
    from Xlib.protocol import rq

    class CreateRegion(rq.Request):  # type: ignore[misc]
        _request = rq.Struct(
            rq.Card8("opcode"), rq.Opcode(5), rq.RequestLength(), rq.Card32("region")
        )

    class DestroyRegion(rq.Request):  # type: ignore[misc]
        _request = rq.Struct(
            rq.Card8("opcode"), rq.Opcode(10), rq.RequestLength(), rq.Card32("region")
        )

    class FetchRegion(rq.ReplyRequest):  # type: ignore[misc]
        _request = rq.Struct(
            rq.Card8("opcode"), rq.Opcode(19), rq.RequestLength(), rq.Card32("region")
        )
        _reply = rq.Struct(
            rq.ReplyCode(),
            rq.Pad(1),
            rq.Card16("sequence_number"),
            rq.ReplyLength(),
            rq.Int16("x"),
            rq.Int16("y"),
            rq.Card16("width"),
            rq.Card16("height"),
            rq.Pad(16),
            rq.Binary("rectangles"),
        )

    return CreateRegion, DestroyRegion, FetchRegion


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
        try:
            self._setup()
        except (XError, CaptureError) as exc:
            self._d.close()
            raise CaptureError(f"no damage reporting on this display: {exc}") from exc
        self._on_damage = on_damage
        self._q_errors: list[Any] = []  #: X errors on the second connection (none, normally)
        self._q = self._query_connection(display)
        self._lock = threading.Lock()
        self._rects: list[npt.NDArray[np.int32]] = []
        self._count = 0
        self._closed = False
        self._syncs: list[threading.Event] = []
        #: every X call on the connection: the reader thread's and a take()'s fetch
        #: (python-xlib's own locks are no-ops unless Xlib.threaded is imported)
        self._xlock = threading.Lock()
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
        # python-xlib registers a copy of the event class: match the code, not the class
        self._damage_event = (
            d.query_extension("DAMAGE").first_event + self._damage_ext.DamageNotifyCode
        )
        fixes = d.query_extension("XFIXES")
        version = d.xfixes_query_version()
        if version.major_version < 2:
            raise CaptureError(f"XFixes {version.major_version} has no regions (needs 2)")
        self._fixes_opcode = fixes.major_opcode
        self._create, self._destroy, self._fetch = _xfixes_requests()
        self._root = d.screen().root
        self._region = d.display.allocate_resource_id()
        self._create(display=d.display, opcode=self._fixes_opcode, region=self._region)
        self._damage = self._root.damage_create(self._damage_ext.DamageReportNonEmpty)
        self._root.change_attributes(event_mask=X.SubstructureNotifyMask)
        self._moves = WindowMoves()
        for child in self._root.query_tree().children:
            with contextlib.suppress(Exception):  # a window may go while we look
                g = child.get_geometry()
                bw2 = 2 * g.border_width
                self._moves.configure(child.id, Geometry(g.x, g.y, g.width + bw2, g.height + bw2))
        d.sync()
        self._moves.moved()  # the starting positions are not moves
        self.pointer_events = self._select_raw_motion()

    def _query_connection(self, display: str | None) -> Any:
        """A second connection for take()'s subtract and fetch, so their replies do not
        wake the reader thread (select() sees any byte on its connection) or contend for
        its lock: one wake per DamageNotify instead of two.  X resources are shared
        between clients, so the DAMAGE object and the region work from it.  None (take()
        then uses the reader's connection) if it cannot be opened or used."""
        from Xlib import display as xdisplay

        q = None
        try:
            q = xdisplay.Display(display)
            # the server refuses DAMAGE and XFixes 2 requests from a client that has not
            # agreed their versions (BadRequest)
            q.damage_query_version()
            q.xfixes_query_version()
            errors = self._q_errors
            q.set_error_handler(lambda err, request: errors.append(err))
            q.damage_subtract(self._damage, 0, self._region)  # proves both ids work here
            self._fetch(display=q.display, opcode=self._fixes_opcode, region=self._region)
            if errors:  # the subtract's error came before the fetch's reply
                raise CaptureError(f"the second connection got {errors[0]}")
            return q
        except Exception as exc:  # any failure: the reader's connection it is
            log.info("capture event=damage-one-connection reason=%r", str(exc))
            if q is not None:
                with contextlib.suppress(Exception):
                    q.close()
            return None

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
        fd = self._d.fileno()
        try:
            while not self._closed:
                with self._lock:
                    syncs, self._syncs = self._syncs, []
                with self._xlock:
                    if syncs:
                        self._d.sync()  # a round trip: every event sent before it is in
                    self._drain()
                for done in syncs:
                    done.set()
                readable, _, _ = select.select([fd, self._wake_r], [], [], SELECT_BOUND_S)
                if self._wake_r in readable:
                    os.read(self._wake_r, 64)
        except Exception as exc:  # the connection broke: report everything, then stop
            self._dead = True
            if not self._closed:
                log.warning("capture event=damage-lost reason=%r", exc)
                self._add(np.array([_EVERYTHING], np.int32))
        finally:
            with self._lock:
                waiting, self._syncs = self._syncs, []
            for done in waiting:
                done.set()

    def _drain(self) -> None:
        """Handle every event python-xlib has read (``_xlock`` held).  A round trip reads
        the events that came before its reply into python-xlib's queue, where select()
        cannot see them: whoever made the round trip drains them."""
        while self._d.pending_events():
            self._handle(self._d.next_event())

    def _handle(self, event: Any) -> None:
        X = self._X
        if event.type == self._damage_event:
            # NonEmpty level: no further event until the region is fetched (at the next
            # take), so a burst of draws between two grabs is one event and one fetch
            if not self._dirty:
                self._dirty = True
                self._on_damage()
        elif event.type == _GENERIC_EVENT:
            if (
                getattr(event, "extension", None) == self._xi_opcode
                and getattr(event, "evtype", None) == self._raw_motion
            ):
                with self._lock:  # take() swaps the flag under the lock: no motion is lost
                    first, self._pointer_moved = not self._pointer_moved, True
                if first:
                    self._on_damage()
        elif event.type in (X.ConfigureNotify, X.CreateNotify):
            bw2 = 2 * event.border_width
            geometry = Geometry(event.x, event.y, event.width + bw2, event.height + bw2)
            with self._lock:
                self._moves.configure(event.window.id, geometry)
        elif event.type == X.DestroyNotify:
            with self._lock:
                self._moves.forget(event.window.id)

    def _fetch_damage(self, conn: Any) -> None:
        """Move the damage into the XFixes region and fetch its rectangles (one round trip
        on ``conn``).  ``_dirty`` is cleared first: a draw after the subtract raises a new
        event."""
        self._dirty = False
        conn.damage_subtract(self._damage, 0, self._region)
        reply = self._fetch(display=conn.display, opcode=self._fixes_opcode, region=self._region)
        if conn is self._q and self._q_errors:  # the subtract failed: not to be trusted
            raise CaptureError(f"damage subtract failed: {self._q_errors[0]}")
        raw = np.frombuffer(reply.rectangles, dtype=np.int16).reshape(-1, 4)
        rects = raw.astype(np.int32)
        rects[:, 2:] = raw[:, 2:].view(np.uint16)
        self._add(rects, notify=False)

    def _add(self, rects: npt.NDArray[np.int32], notify: bool = True) -> None:
        if not len(rects):
            return
        with self._lock:
            if self._count + len(rects) > MAX_PENDING_RECTS:
                self._rects, self._count = [np.array([_EVERYTHING], np.int32)], 1
            else:
                self._rects.append(rects)
                self._count += len(rects)
        if notify:
            self._on_damage()

    # -- any thread

    @property
    def pending(self) -> bool:
        return self._dirty or self._count > 0 or self._pointer_moved

    def take(self, left: int = 0, top: int = 0) -> tuple[npt.NDArray[np.int32], tuple[Motion, ...]]:
        """Damage (n, 4) and move hints since the last take, relative to (left, top).
        With damage reported, the region is fetched here, on the caller's thread (one
        round trip, no hand-off to the reader thread and back).  ``pointer_moved`` then
        says whether the pointer moved since the previous take."""
        with self._lock:
            self.pointer_moved, self._pointer_moved = self._pointer_moved, False
        if self._dirty and not self._dead:
            try:
                if self._q is not None:
                    self._fetch_damage(self._q)  # the capture thread's own connection
                else:
                    with self._xlock:
                        self._fetch_damage(self._d)
                        self._drain()
            except Exception as exc:  # the connection broke: everything, to be safe
                self._dead = True
                log.warning("capture event=damage-lost reason=%r", exc)
                self._add(np.array([_EVERYTHING], np.int32), notify=False)
        with self._lock:
            chunks, self._rects, self._count = self._rects, [], 0
            moves = self._moves.moved(left, top)
        if not chunks:
            return _NO_RECTS, moves
        rects = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
        if left or top:
            rects[:, 0] -= left
            rects[:, 1] -= top
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
        if self._q is not None:
            with contextlib.suppress(Exception):
                self._q.close()
