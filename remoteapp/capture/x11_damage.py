"""X11 damage: ask the X server what changed (DAMAGE + XFixes regions) instead of diffing
the whole screen, and watch top-level windows move (ConfigureNotify) for the move detector.

``XDamageSource`` is the X boundary, with two connections of its own, both set up by
python-xlib (``x11_damage_setup``) and then driven as bytes (``x11_wire``: python-xlib's
generic packet machinery was most of a typed key's cost).  It has no thread: the
capture thread sleeps in its ``wait()``, a ``select()`` on the first connection and a
wake pipe (which ``wake()`` writes to from any thread), and handles what the X server
sent when it wakes.
The DAMAGE object on the root window reports at the *NonEmpty* level: one event when
damage appears, and none after it until the damage is fetched.  When the loop grabs,
``take()`` moves the whole damaged region into an XFixes region (``DamageSubtract``) and
fetches its rectangles in one round trip, on the second connection.  A thousand tiny
draws between two grabs cost one event and one reply, never a thousand events.  Damage
is taken *before* the pixels are read, so anything drawn after the take raises a new
event and a new grab: nothing is lost between the two.

Errors (all ``remoteapp.errors.CaptureError``)::

    CaptureError
     +-- no DAMAGE/XFixes 2 on this server, or a connection failed (at start, in
         ``x11_damage_setup``; the caller falls back to polling)
     +-- XWireError / XRequestError (x11_wire; after the start: see below)

A connection that breaks later, or an X error for the fetch, stops damage reporting: the
source reports damage everywhere once, so the next grab is a full one, and the safety
check of ``DamageGrabber`` keeps capture correct.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from remoteapp.capture import x11_link, x11_wire
from remoteapp.capture.damage import EVERYTHING, Geometry, RectTuple
from remoteapp.capture.wake_pipe import WakePipe
from remoteapp.capture.x11_damage_setup import DamageSetup
from remoteapp.capture.x11_link import BoxRead, XLink
from remoteapp.codec.motion import Motion

if TYPE_CHECKING:
    from remoteapp.capture.key_grabs import LaneParts

log = logging.getLogger("remoteapp.capture")

#: Rectangles kept between two takes; beyond this the whole screen is reported instead.
MAX_PENDING_RECTS: Final = 20_000
RECV_BYTES: Final = 1 << 16  #: what a wait reads of the event connection at most
SEEN_DAMAGE: Final = 1  #: _xwire.wait_damage's summary bits
SEEN_MOTION: Final = 2


class XDamageSource:
    """Damage rectangles and window moves of one X display, gathered as the capture thread
    waits.

    The caller's one capture thread reads the first connection (``wait``, ``take``,
    ``sync``): no thread of its own, so an event costs one thread wake-up, the capture
    thread's.  ``wake()`` (any thread) interrupts a ``wait``; ``take()`` returns
    everything gathered since the previous take.
    """

    def __init__(self, display: str | None) -> None:
        setup = DamageSetup(display)  # (CaptureError: no damage reporting on this display)
        self._d, self._sock, self._q = setup.d, setup.sock, setup.q
        self._damage, self._damage_event = setup.damage, setup.damage_event
        self._fetch_bytes, self._moves = setup.fetch_bytes, setup.moves
        self._xi_opcode, self._raw_motion = setup.xi_opcode, setup.raw_motion
        self.pointer_events = setup.pointer_events
        self._reader = x11_wire.PacketReader(setup.partial)
        self._replies = 0  #: replies read on the first connection (sync's)
        self._syncs = 0  #: syncs sent (replies come in order: the n-th is the n-th sync's)
        self._rects: list[RectTuple] = []
        self._dirty = False  #: a DamageNotify came and the region was not fetched since
        self._pointer_moved = False  #: an XI2 raw motion came since the last take
        #: the last wait() read the connection, and nothing was taken since
        self._fresh = False
        #: after a take(): whether the pointer moved between the previous take and it
        self.pointer_moved = True
        self._dead = False
        self._wake = WakePipe()
        for packet in setup.events:
            self._handle(packet)

    # -- reading the event connection (the capture thread, as it waits or takes)

    def wait(self, timeout: float) -> None:
        """Sleep until the X server sends an event (damage, a pointer move, a window's
        move), ``wake()`` is called, or ``timeout`` passes; then gather what came.
        Returns at once if ``wake()`` was called since the last wait.  With something
        pending already, only ``wake()`` or the timeout end it: the caller grabs by its
        own clock then, and a drag's stream of events would only wake it for nothing
        (``take`` gathers them)."""
        quiet = self._dead or self.pending
        native = x11_link.native
        if native is not None:  # the sleep, the wake's drain and the read in one C call
            try:
                fd = -1 if quiet else self._sock.fileno()
                if fd == -1 and not quiet:  # (-1 would mean: do not watch it)
                    raise OSError(errno.EBADF, "the X connection is closed")
                if self._reader.buffered:  # (a packet cut short: the Python reader's)
                    _, data = native.wait_events(fd, self._wake.fd, max(0.0, timeout), RECV_BYTES)
                    seen = 0
                else:  # a typed key's DamageNotify is told, not framed and dispatched here
                    _, seen, data = native.wait_damage(
                        fd, self._wake.fd, max(0.0, timeout), RECV_BYTES,
                        self._damage_event, self._xi_opcode, self._raw_motion,
                    )  # fmt: skip
            except OSError as exc:  # the X connection's (the pipe is ours till close)
                self.saw(0, None, error=exc)
                return
            self.saw(seen, data)
            return
        sock = self._sock.fileno()
        ready = x11_link.readable([self._wake.fd] if quiet else [sock, self._wake.fd], timeout)
        if self._wake.fd in ready:
            self._wake.drain()
        self._fresh = sock in ready
        if self._fresh:
            self._gather()

    def wake(self) -> None:
        """Any thread: make the capture thread's ``wait`` return (now or the next one)."""
        self._wake.wake()

    def lane_parts(self) -> LaneParts | None:
        """What the key lane (``key_grabs``) waits and takes with: ``wait_damage``'s
        descriptors and events, the fetch and its link; None where only ``wait`` and
        ``take`` can (no C extension, something pending, a packet cut short)."""
        native, fd = x11_link.native, self._sock.fileno()
        if native is None or self.pending or self._dead or self._reader.buffered or fd == -1:
            return None
        waits = (fd, self._wake.fd, self._damage_event, self._xi_opcode, self._raw_motion)
        return waits, self._fetch_bytes, self._q

    def saw(
        self, seen: int, data: bytes | None, rects: Sequence[RectTuple] = (),
        error: Exception | None = None, *, read: bool = True,
    ) -> None:  # fmt: skip
        """What a wait on the connection saw (``wait_damage``'s summary and bytes), damage
        taken but not read (``rects``, root coordinates) or the connection's failure:
        ``wait``'s, and the key lane's as it hands the connection back.  ``read``: the
        connection was read just now (the next take need not read it first)."""
        self._fresh = read and error is None and (seen != 0 or data is not None)
        if seen & SEEN_DAMAGE:
            self._dirty = True
        if seen & SEEN_MOTION:
            self._pointer_moved = True
        if data is not None:
            self._gather(data)
        if rects:
            self._add(rects)
        if error is not None:
            self._lost(error)

    def _gather(self, first: bytes | None = None) -> None:
        """Handle every event the connection holds now (``first``: what ``wait`` has
        just read of it), without waiting.  A broken connection stops damage reporting
        (everything is reported once)."""
        if self._dead:
            return
        try:
            data = first
            while True:
                if data is None:
                    try:
                        data = self._sock.recv(RECV_BYTES)
                    except BlockingIOError:
                        break
                if not data:
                    raise ConnectionError("the X server closed the connection")
                self._reader.receive_data(data)
                if len(data) < RECV_BYTES:  # all there was
                    break
                data = None
            while (packet := self._reader.next_packet()) is not None:
                if packet[0] == x11_wire.REPLY:  # a sync()'s
                    self._replies += 1
                elif packet[0] == x11_wire.ERROR:  # nothing we send here can fail
                    log.warning("capture event=x-error %s", x11_wire.XRequestError(packet))
                else:
                    self._handle(packet)
        except Exception as exc:  # the connection or its stream broke: report everything
            self._lost(exc)

    def _lost(self, exc: Exception) -> None:
        self._dead = True
        self._dirty = False  # (not to be fetched any more: EVERYTHING below stands for it)
        if not self._wake.closed:
            log.warning("capture event=damage-lost reason=%r", exc)
            self._add([EVERYTHING])

    def _handle(self, packet: bytes) -> None:
        kind = packet[0] & 0x7F  # the top bit: sent by a client (SendEvent)
        if kind == self._damage_event:
            # NonEmpty level: no further event until the region is fetched (at the next
            # take), so a burst of draws between two grabs is one event and one fetch
            self._dirty = True
        elif kind == x11_wire.GENERIC_EVENT:
            if x11_wire.generic_kind(packet) == (self._xi_opcode, self._raw_motion):
                self._pointer_moved = True
        else:
            event = x11_wire.window_event(packet)
            if event is None:
                return
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

    def _add(self, rects: Sequence[RectTuple]) -> None:
        if len(self._rects) + len(rects) > MAX_PENDING_RECTS:
            self._rects = [EVERYTHING]
        else:
            self._rects += rects

    # -- the capture thread

    @property
    def foreign_events(self) -> int:
        """Events skipped on the fetch connection (tests)."""
        return self._q.skipped

    @property
    def pending(self) -> bool:
        """Damage or a pointer move gathered and not taken (what ``wait`` read)."""
        return self._dirty or bool(self._rects) or self._pointer_moved

    @property
    def reporting(self) -> bool:
        return not self._dead

    @property
    def damaged(self) -> bool:
        return self._dirty or bool(self._rects)

    def take(self, left: int = 0, top: int = 0) -> tuple[Sequence[RectTuple], tuple[Motion, ...]]:
        """Damage (x, y, w, h) and move hints since the last take, relative to (left, top).
        Events already in are gathered first, unless the last ``wait`` has just read
        them (one syscall per frame saved: what comes in between ends the next wait, and
        costs that wake and a fetch that may find nothing, never a loss);
        with damage reported, the region is fetched here (one round trip on the second
        connection).  ``pointer_moved`` then says whether the pointer moved since the
        previous take."""
        rects, moves, _ = self.take_read(left, top, None)
        return rects, moves

    def take_read(
        self, left: int, top: int, read: BoxRead | None
    ) -> tuple[Sequence[RectTuple], tuple[Motion, ...], int | Exception | None]:
        """``take``, and with ``read`` the read of the damage's boxes in the same C call
        where it can (``XLink.take_boxes``: a typed key's grab).  The third item says
        which: None, the damage as ``take`` returns it (nothing read); else the coalesced
        boxes, read into the frame (the read's skipped events) or not (the read's error:
        the frame is not to be trusted at the boxes and the stale boxes)."""
        if not self._fresh:
            self._gather()
        self._fresh = False
        self.pointer_moved, self._pointer_moved = self._pointer_moved, False
        if self._dirty and not self._dead:
            self._dirty = False  # cleared first: a draw after the subtract raises an event
            try:
                got = None
                if read is not None and not self._rects:
                    got = self._q.take_boxes(self._fetch_bytes, left, top, read)
                if got is None:
                    self._add(self._fetch(self._q))
                elif got[1] is not None:  # (the boxes: read, or the read failed)
                    return got[0], self._moves.moved(left, top), got[1]
                else:
                    self._add(got[0])  # (the reply's rectangles)
            except Exception as exc:  # the connection broke: everything, to be safe
                self._lost(exc)
        rects, self._rects = self._rects, []
        moves = self._moves.moved(left, top)
        if left or top:
            rects = [(x - left, y - top, w, h) for x, y, w, h in rects]
        return rects, moves, None

    def sync(self, timeout: float = 5.0) -> bool:
        """Gather every damage the X server had reported when this was called (a round
        trip on the first connection); False after ``timeout``, on a dead source, or on
        a ``wake`` (left for the next ``wait``: the capture thread has more to do than
        a safety check's question)."""
        if self._dead:
            return False
        self._syncs += 1  # (a reply that came after its sync timed out is not ours)
        want = self._syncs
        deadline = time.monotonic() + timeout
        try:
            self._sock.sendall(x11_wire.sync_request())
        except OSError as exc:
            self._lost(exc)
            return False
        fd = self._sock.fileno()
        while self._replies < want and not self._dead:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready = x11_link.readable([fd, self._wake.fd], left)
            if self._wake.fd in ready:  # (first, even with the reply in: its byte stays
                return False  # for the wait, and the check gives way to what woke us)
            if fd in ready:
                self._gather()
        return not self._dead

    def close(self) -> None:
        if not self._wake.close():
            return
        with contextlib.suppress(Exception):
            self._d.close()
        self._q.close()
