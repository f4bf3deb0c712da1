"""The write side of ``Transport``: the queue, the write turn, the writer thread, direct
writes, sealing.

A mixin so that ``transport.py`` stays one screenful per concern; it owns no state of
its own, it works on ``Transport``'s (declared below for the type checker), under its
``_room`` lock.  The why of direct writes and of ``on_write`` is in docs/protocol.md,
"The transport".
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from remoteapp.secure import Channel, SecureError
from remoteapp.session.send_queue import Queued, SendQueue

log = logging.getLogger("remoteapp.session")

POLL_S: Final = 1.0  #: socket timeout: how often blocked reads and writes look up
CLOSE_TIMEOUT_S: Final = 2.0  #: how long our Bye may take to go out


class Writes:
    """Transport's writing half (mixed into ``Transport``)."""

    sock: socket.socket
    idle_timeout: float
    direct_writes: int
    _room: threading.Condition
    _room_lock: threading.RLock
    _queue: SendQueue
    _channel: Channel | None
    _twin: socket.socket | None
    _writer: threading.Thread | None
    _busy: bool
    _ended: bool
    _closing: str
    _written_at: float
    failure: Exception | None

    if TYPE_CHECKING:  # Transport's, called from here when a write fails

        def _finish(self, reason: str) -> None: ...

    def _wait_for_room(self, timeout: float) -> bool:
        queue = self._queue
        if not self._ended and queue.room():  # (nearly always: no lock; the lock would be
            return True  # let go before the event is queued all the same)
        with self._room:
            self._room.wait_for(lambda: self._ended or queue.room(), timeout)
            return not self._ended and queue.room()

    def _write_turn(self) -> bool:
        """Take the write turn if nothing is queued or being written: the caller then
        writes its event itself (``_write_now``); the writer waits, later sends queue
        behind it.  Called with ``_conn_lock`` held, as ``_enqueue``."""
        with self._room_lock:
            if self._ended or self._busy or self._queue or self._twin is None:
                return False
            self._busy = True
            return True

    def _enqueue(self, item: Queued, *, force: bool = False) -> bool | None:
        """Queue ``item`` (``send_queue``'s policy): True if queued, False if the session
        has ended meanwhile, None if it is undroppable and there is no room.  Called with
        ``_conn_lock`` held, so queue order is encoding order."""
        with self._room:
            if self._ended:
                return False
            if not self._queue.push(item, force=force):
                return None
            self._room.notify_all()
            self._start_writer()
        return True

    def _start_writer(self) -> None:
        """With ``_room`` held: the writer thread runs from the first queued item on."""
        if self._writer is None:
            self._writer = threading.Thread(
                target=self._write_loop, name="session-writer", daemon=True
            )
            self._writer.start()

    def _write_loop(self) -> None:
        mine = False  # the writer set _busy (a direct sender may hold it meanwhile)
        while True:
            with self._room:
                if mine:
                    self._busy = mine = False
                # nothing goes out before the channel is up (queued events wait for it),
                # nor while a sender writes its own
                while (not self._queue or self._channel is None or self._busy) and not (
                    self._ended
                ):
                    if self.sock.fileno() == -1:  # closed under us (never started, say)
                        return
                    # (each change waited for notifies: a queued item, the channel, the
                    # turn given back, the end; the bound is a backstop, not a poll,
                    # which woke an idle writer every second)
                    self._room.wait(self.idle_timeout)
                if self._ended:
                    return
                item = self._queue.pop()
                self._busy = mine = True
                self._room.notify_all()  # room for a waiting sender
                channel = self._channel
            assert channel is not None  # the wait above
            sealed = (
                item.data
                if item.sealed
                else self._seal(channel, item.data, item.on_write, item.queued_at)
            )
            if sealed is None or not self._write(sealed):
                return
            self._written_at = time.monotonic()
            if item.last:
                self._finish(self._closing)
                return

    def _seal(
        self, channel: Channel, data: bytes, on_write: Callable[[float], None] | None,
        queued_at: float,
    ) -> bytearray | None:  # fmt: skip
        """The records of an event's ``data`` (queued at ``queued_at``); None (and the
        session ended) if they cannot be made: a direct sender then lets go of the write
        turn and the writer exits, so a failure never leaves a session half-dead."""
        try:
            sealed = channel.seal(data)
            if on_write is not None:
                # free for it since: its queueing, or the end of the write before it (a
                # write blocked by the link is the link's time, not ours)
                on_write(max(0.0, time.monotonic() - max(queued_at, self._written_at)))
        except SecureError as exc:  # the crypto library failed: nothing more can go out
            log.warning("session event=channel-broken reason=%r", str(exc))
            self.failure = exc
            self._finish(str(exc))
            return None
        except Exception:  # a bug (an on_write callback, say): end it at once (a Bye
            # would follow records the peer never gets: no clean end is possible)
            log.exception("session event=send-failed")
            self._finish("internal error")
            return None
        return sealed

    def _let_go(self) -> None:
        """Give the write turn back without writing (the writer may wait for it)."""
        with self._room_lock:
            self._busy = False
            if self._queue:
                self._room.notify_all()

    def _write_now(
        self, data: bytes, on_write: Callable[[float], None] | None, queued_at: float
    ) -> bool:
        """Seal and write an event's ``data`` on the sender's thread (which holds the
        write turn), never waiting: what the socket does not take at once goes to the
        head of the queue, for the writer thread."""
        channel, twin = self._channel, self._twin
        if channel is None or twin is None:  # (the session ended meanwhile)
            self._let_go()
            return False
        sealed = self._seal(channel, data, on_write, queued_at)
        if sealed is None:  # (the seal failed: the session has ended now)
            self._let_go()
            return False
        try:
            sent = twin.send(sealed)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self._finish(f"connection lost: {exc}")
            return False
        with self._room_lock:  # (notify_all below needs it held, the condition's lock)
            self._busy = False
            self.direct_writes += 1
            if sent < len(sealed):
                self._queue.put_back(Queued(bytes(memoryview(sealed)[sent:]), sealed=True))
                self._start_writer()
            else:
                self._written_at = time.monotonic()
            if self._queue:
                self._room.notify_all()
        return True

    def _write(self, data: bytes | bytearray) -> bool:
        """Write all of ``data``; False (and the session ended) if the peer takes no byte
        for ``idle_timeout`` (``CLOSE_TIMEOUT_S`` once we are closing) or the socket fails."""
        view = memoryview(data)
        progress = time.monotonic()
        while view:
            if self._ended:
                return False
            try:
                sent = self.sock.send(view)
            except TimeoutError:
                limit = CLOSE_TIMEOUT_S if self._closing else self.idle_timeout
                if time.monotonic() - progress > limit:
                    self._finish(f"the other side took no data for {limit:g} s")
                    return False
                continue
            except OSError as exc:
                self._finish(f"connection lost: {exc}")
                return False
            view = view[sent:]
            progress = time.monotonic()
        return True
