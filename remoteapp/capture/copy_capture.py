"""The copy model run live for a capture: the RECORD stream, a raw DAMAGE object, the
prover, the follower and the model, one grab at a time (the copy model's sixth piece).

Why: a scrolling terminal copies its text and draws a line; following the copies, a
grab reads only the line (docs/capture.md, "The copy model").  A grab asks ``plan()``
what to read (the model's unknown rectangles), reads them itself on the connection
whose client it named (``reader``: the capture's own reads are the model's reads), and
``settle()`` waits, with a bound, until the stream shows those reads: every request the
server ran before them is then in the stream, and the model's ops up to here bring the
previous frame to the screen as of the reads (``copy_pieces``).

Every read placed in a frame must be one the stream shows, awaited before the ops are
applied: a read the stream cannot place (another connection's) or one that arrives late
would let a copy that happened before it be applied after it.

Errors::

    CaptureError
     +-- no RECORD, DAMAGE or a connection at start (the caller captures without it)
     +-- the probes failed (their connection) or waited past PROBE_BOUND_S (``plan``)
     +-- XWireError (x11_wire: the stream or the damage connection broke later, or
                     the stream ended: the context disabled or freed)

After any of these later, or a ``settle`` that timed out, the capture is over
(``following`` False): the caller closes it and reads what the damage says.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Final

from remoteapp.capture.copy_follower import CopyFollower
from remoteapp.capture.copy_model import CopyModel, Move, Paste
from remoteapp.capture.copy_prover import WindowProver
from remoteapp.capture.x11_gcs import GCTable
from remoteapp.capture.x11_link import open_display, readable
from remoteapp.capture.x11_record import Ended
from remoteapp.capture.x11_record_setup import RecordStream, opcodes
from remoteapp.capture.x11_wire import XWireError
from remoteapp.codec.geometry import Rect
from remoteapp.errors import CaptureError

#: what one recv of the damage connection takes (its events are only drained)
DRAIN_BYTES: Final = 1 << 16
#: the most stream reads one catch-up makes (64 KB each) before the grab goes on
MAX_READS_PER_CATCH_UP: Final = 64
#: the longest the capture thread waits for the probes
PROBE_BOUND_S: Final = 2.0


class RawDamage:
    """A raw DAMAGE object on the root, on a connection of its own whose events are only
    drained: the stream records them as delivered, in place (the model's damage)."""

    def __init__(self, display: str | None) -> None:
        from Xlib.error import XError
        from Xlib.ext import damage

        self._d: Any = open_display(display, "raw damage")
        try:
            if not self._d.has_extension("DAMAGE"):
                raise CaptureError("the X server has no DAMAGE extension")
            self._d.damage_query_version()
            root = self._d.screen().root
            self.id = int(root.damage_create(damage.DamageReportRawRectangles))
            self._d.sync()
        except (XError, OSError, CaptureError) as exc:
            self.close()
            raise CaptureError(f"cannot create the raw damage object: {exc}") from exc
        self._sock: socket.socket = self._d.display.socket
        self._sock.setblocking(False)  # (python-xlib never reads it again: bytes only)

    def drain(self) -> None:
        """Throw away what the connection holds (its events: the stream has them)."""
        while True:
            try:
                data = self._sock.recv(DRAIN_BYTES)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    return
                raise XWireError(f"the damage connection failed: {exc}") from exc
            if not data:
                raise XWireError("the X server closed the damage connection")
            if len(data) < DRAIN_BYTES:
                return

    def close(self) -> None:
        with contextlib.suppress(Exception):  # (python-xlib's close reads what is pending)
            self._d.close()
        with contextlib.suppress(Exception):
            self._d.display.socket.close()


class CopyCapture:
    """The model of the whole root window against one capture's frame (module docstring).

    ``reader``: the client (resource-id base) of the connection the capture reads the
    root with.  One thread (the capture's) calls everything."""

    def __init__(
        self, display: str | None, reader: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = RecordStream(display)
        self._raw: RawDamage | None = None
        self._prover: WindowProver | None = None
        try:
            control = self._stream.control
            root = control.screen().root
            geometry = root.get_geometry()
            self.width, self.height = int(geometry.width), int(geometry.height)
            self._raw = RawDamage(display)
            self._prover = WindowProver(
                display, self._probing, clock=clock, announce_gc=self._gc_probing
            )
            ops = opcodes(control)
            mask = int(control.display.info.resource_id_mask)
        except Exception as exc:
            self.close()
            if isinstance(exc, CaptureError):
                raise
            raise CaptureError(f"cannot follow the copies: {exc}") from exc
        self.model = CopyModel(self.width, self.height)
        self.follower = CopyFollower(
            self.model, GCTable(mask, ops.fixes), damage=self._raw.id, reader=reader,
            root=int(root.id), opcodes=ops, prover=self._prover.client,
        )  # fmt: skip
        self._ops: list[Move | Paste] = []
        self._pasted = 0  #: pixels pasted among ``_ops`` (the grab's reads, as seen)
        self.following = True
        #: the last catch-up stopped at its bound with more in the stream, maybe
        self.behind = False

    @property
    def screen(self) -> Rect:
        return Rect(0, 0, self.width, self.height)

    def fileno(self) -> int:
        return self._stream.fileno()

    def _probing(self, window: int, rect: Rect) -> None:
        self.follower.probing(window, rect)

    def _gc_probing(self, gc: int, into: int, covers: tuple[int, int] | None) -> None:
        self.follower.gc_probing(gc, into, covers)

    def catch_up(self) -> None:
        """Feed what the stream holds now to the model; drain the damage connection.
        XWireError if either broke (``following`` is then False)."""
        try:
            self.behind = True
            for _ in range(MAX_READS_PER_CATCH_UP):
                events = self._stream.read()
                if not events:
                    self.behind = False
                    break
                for event in events:
                    self.follower.feed(event)
                    if isinstance(event, Ended):  # (the context went: nothing more comes)
                        raise XWireError("the record stream ended")
            ops = self.model.ops()
            self._pasted += sum(op.box.area for op in ops if isinstance(op, Paste))
            self._ops += ops
            if self._raw is not None:
                self._raw.drain()
        except Exception as exc:
            self.following = False
            if isinstance(exc, XWireError):
                raise
            raise XWireError(f"the record stream failed: {exc}") from exc

    def plan(self) -> list[Rect]:
        """What the next grab must read: the stream caught up with, the windows and GCs
        the follower wants probed probed (their proofs come through the stream), then
        the model's unknown rectangles (disjoint)."""
        self.catch_up()
        windows, gcs = self.follower.take_wanted()
        if self._prover is not None and (windows or gcs):
            self._probe(self._prover, windows, sorted(gcs.items()))
        return list(self.model.unknown.rects)

    def _probe(self, prover: WindowProver, windows: list[int], gcs: list[tuple[int, int]]) -> None:
        """The probes, on a thread of their own that the capture thread waits for at most
        PROBE_BOUND_S: their round trips are python-xlib's, with no bound, and another
        client's server grab holds them as long as it lasts.  Past the bound, or if
        the probes' connection broke, following is over (CaptureError)."""
        failed: list[BaseException] = []

        def run() -> None:
            try:
                for window in windows:
                    prover.probe(window)
                for gc, window in gcs:
                    prover.probe_gc(gc, window)
            except Exception as exc:  # (python-xlib's: the probes' connection broke)
                failed.append(exc)

        thread = threading.Thread(target=run, name="copy-probes", daemon=True)
        thread.start()
        thread.join(PROBE_BOUND_S)
        if thread.is_alive():  # (its announcements would come from that thread: all over)
            self.following = False
            prover.abandon()
            self._prover = None
            raise CaptureError(f"the probes waited past {PROBE_BOUND_S} s (a server grab?)")
        if failed:
            self.following = False
            raise CaptureError(f"the probes failed: {failed[0]!r}") from failed[0]

    def settle(self, reads: list[Rect], deadline: float) -> list[Move | Paste] | None:
        """The ops since the last settle, once the stream shows the grab's ``reads``
        (the boxes ``plan`` gave, read since on ``reader``'s connection); None if they
        did not show by ``deadline`` (time.monotonic()): following is then over."""
        want = sum(box.area for box in reads)
        while self._pasted < want:
            left = deadline - time.monotonic()
            if left <= 0:
                self.following = False
                return None
            readable([self._stream.fileno()], left)
            self.catch_up()
        ops, self._ops, self._pasted = self._ops, [], 0
        self.model.update()  # (the viewer's share: not used here, and not to pile up)
        return ops

    def drop(self) -> None:
        """The ops so far apply to no frame (the damage grabber's grabs): gone."""
        self._ops, self._pasted = [], 0
        self.model.update()

    def forget(self) -> None:
        """The frame is lost (a grab dropped, a read failed): everything unknown."""
        self.model.unknown.add(self.screen)

    def close(self) -> None:
        self.following = False
        self._stream.close()
        for part in (self._raw, self._prover):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.close()
        self._raw = self._prover = None


class CaptureOpening:
    """A CopyCapture opened on a thread of its own: its connections and the RECORD
    context take some 20 ms, a frame's time, which the capture thread does not wait
    for (nor for a server grab that holds them).  ``take()`` hands over the capture, or
    the exception that stopped it, once; ``cancel()`` closes one not taken, and does not
    wait: a capture the thread is still opening (as long as another client's server grab
    holds it) is closed by the thread when it is done."""

    def __init__(self, factory: Callable[[int], CopyCapture], reader: int) -> None:
        self._lock = threading.Lock()
        self._result: CopyCapture | BaseException | None = None
        self._cancelled = False
        self.thread = threading.Thread(
            target=self._run, args=(factory, reader), name="copy-open", daemon=True
        )
        self.thread.start()

    def _run(self, factory: Callable[[int], CopyCapture], reader: int) -> None:
        result: CopyCapture | BaseException
        try:
            result = factory(reader)
        except Exception as exc:  # (CaptureError; anything else the factory raised)
            result = exc
        with self._lock:
            if not self._cancelled:
                self._result = result
                return
        if isinstance(result, CopyCapture):
            result.close()

    def take(self) -> CopyCapture | BaseException | None:
        """The capture, or what stopped it; None while it opens (or once taken)."""
        with self._lock:
            result, self._result = self._result, None
        return result

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            result, self._result = self._result, None
        if isinstance(result, CopyCapture):
            result.close()
