"""A SessionConnection on a blocking socket: a reader thread, a send queue, a writer thread
(the writing half, direct writes included, in ``transport_writes``).

``send`` may be called on the GUI thread (the viewer's input), so it never waits on the
network: it encodes (the sans-IO ``conn.send``, so the protocol state moves in the
caller's order), then either writes the bytes itself without waiting (a small event,
nothing queued or being written: a non-blocking twin of the socket) or queues them for
the writer thread; what the socket does not take at once goes to the head of the queue.
The queue is bounded (``send_queue``'s policy): a queue full of undroppable events ends
the session at once, never a blocked ``send``.  ``send(event, wait=s)`` is for bulk
senders off the GUI thread (screen updates, clipboard text): it waits up to ``s`` for
room (back-pressure).  Every wait is bounded (``idle_timeout``, ``CLOSE_TIMEOUT_S``).

Locks: ``_conn_lock`` guards the conn (a sender to encode and queue, the reader while it
parses one ``recv``); ``_room`` the queue and the end state.  Neither is held during
socket I/O, so the GUI thread never waits on a thread that waits on the network.

End to end encrypted, always: the reader thread runs the handshake first
(``secure_link``), every record is sealed before it is written and opened before
``conn.receive_data``; there is no plaintext path.  The why of each choice (kernel
buffers, rate control's ``on_write``, direct writes) is in docs/protocol.md, "The
transport".
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Final

from remoteapp.errors import LocalProtocolError, RemoteProtocolError
from remoteapp.net.messages import SMALL_UPDATE
from remoteapp.net.session import (
    Bye,
    ConnectionClosed,
    Event,
    Ping,
    PointerMove,
    ScreenUpdate,
    SessionConnection,
)
from remoteapp.secure import Channel, SecureError, SecureParams
from remoteapp.session.secure_link import HANDSHAKE_TIMEOUT_S, secure
from remoteapp.session.send_queue import MAX_BYTES, MAX_EVENTS, Queued, SendQueue
from remoteapp.session.sockopts import limit_unsent
from remoteapp.session.transport_writes import CLOSE_TIMEOUT_S, POLL_S, Writes
from remotewire.framing import NEED_DATA

log = logging.getLogger("remoteapp.session")

RECV_SIZE: Final = 1 << 16
#: events up to this size may be written by their sender (larger ones: the writer thread)
DIRECT_MAX: Final = 4096


class Transport(Writes):
    """Drive ``conn`` over ``sock``: ``start(on_event, on_end)`` runs the reader thread;
    the writer thread starts with the first send."""

    def __init__(
        self,
        sock: socket.socket,
        conn: SessionConnection,
        idle_timeout: float = 30.0,
        *,
        secure: SecureParams,
        max_events: int = MAX_EVENTS,
        max_bytes: int = MAX_BYTES,
        handshake_timeout: float = HANDSHAKE_TIMEOUT_S,
        rekey_every: int | None = None,
    ) -> None:
        self.sock = sock
        self.conn = conn
        self.secure = secure
        self.handshake_timeout = handshake_timeout
        self._rekey_every = rekey_every
        self.verification_code: str | None = None  #: once secured: compare it aloud
        #: what broke the session, if the peer's bytes or the secure channel did
        self.failure: Exception | None = None
        self._channel: Channel | None = None  # set once by the reader, then the writer's
        self.idle_timeout = idle_timeout
        self.max_events = max_events
        self.end_reason = ""
        self._conn_lock = threading.Lock()  # guards conn; encode + queue in one go
        #: guards the queue and the end state; its lock, taken without the condition's
        #: Python-level ``__enter__`` where nothing waits or is notified (a typed key's)
        self._room_lock = threading.RLock()
        self._room = threading.Condition(self._room_lock)
        self._queue = SendQueue(max_events, max_bytes)
        self._closed = threading.Event()  # no more sends
        #: the same, read without a call (set first, never cleared): the capture loop looks
        #: at it several times a typed key
        self._shut = False
        self._ended = False  # the socket is shut, on_end called (or about to be)
        self._closing = ""  # our own reason, once close() has queued our Bye
        self._writer: threading.Thread | None = None
        self._on_end: Callable[[str], None] = lambda reason: None
        self._written_at = 0.0  # when the last write finished (writer or direct)
        self._busy = False  # an item is being sealed and written (writer or direct)
        self.direct_writes = 0  #: events their sender wrote itself (a bench/test figure)
        sock.settimeout(POLL_S)
        # the direct writes' non-blocking twin (a timeout socket polls before it sends):
        # made with the channel by the reader thread, which always ends in _finish
        self._twin: socket.socket | None = None
        self.unsent_limited = limit_unsent(sock)

    @property
    def closed(self) -> bool:
        """No more sends: the session ended or is ending."""
        return self._shut

    @property
    def coalesced(self) -> int:
        """Pointer moves replaced or dropped (a bench/test figure)."""
        with self._room:
            return self._queue.coalesced

    @property
    def queued(self) -> int:
        """Events waiting for the writer."""
        with self._room:
            return len(self._queue)

    def wait_closed(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) for the session to be over; True if it is."""
        return self._closed.wait(timeout)

    # -- sending (any thread)

    def send(
        self,
        event: Event,
        *,
        wait: float = 0.0,
        on_write: Callable[[float], None] | None = None,
        also: Ping | None = None,
    ) -> bool:
        """Queue ``event``; False (nothing queued) when the session is over.

        Returns at once unless ``wait`` > 0 (not on the GUI thread): then it waits up to
        ``wait`` s for room in the queue, and ends the session if none comes.  Raises
        LocalProtocolError if this side may not send ``event`` now (a bug of the caller).
        ``on_write(lag)``: as the event's bytes start out, on the thread that writes them
        (the writer's, or the caller's for a direct write: no lock of the caller's held).
        ``also``: a Ping (an event with no books of its own), framed before ``event`` and
        written with it, so that the peer's reader wakes once for both.
        """
        if self._shut:
            return False
        if wait > 0 and not self._wait_for_room(wait):
            if not self._shut:
                self._finish(f"the other side took no data for {wait:g} s")
            return False
        with self._conn_lock:
            if self._shut:
                return False
            try:
                # (``also`` first: if ``event`` is refused, nothing of either goes out)
                data = self.conn.send(event) if also is None else (
                    self.conn.send(also) + self.conn.send(event)
                )  # fmt: skip
            except LocalProtocolError:
                if self._shut:
                    return False
                raise
            queued_at = time.monotonic()
            # (a typed key's update: nothing queued or being written, ours to write now)
            direct = len(data) <= DIRECT_MAX and self._write_turn()
            queued: bool | None = True
            if not direct:
                move = isinstance(event, PointerMove)
                item = Queued(data, move=move, queued_at=queued_at, on_write=on_write)
                queued = self._enqueue(item, force=wait > 0)
        if direct:
            return self._write_now(data, on_write, queued_at)
        if queued is None:
            self._finish(
                f"the other side stopped reading ({self.max_events} events waiting to be sent)"
            )
        return bool(queued)

    def send_update(
        self, seq: int, data: bytes, on_write: Callable[[float], None], wait: float
    ) -> bool:
        """``send(ScreenUpdate(seq, data), wait=wait, on_write=on_write)``; a typed key's
        update (small, a credit free, nothing queued or being written) is framed
        (``SessionConnection.small_update``) and written here without the general
        path's steps."""
        with self._conn_lock:
            if self._shut:
                return False
            framed = None
            if len(data) <= SMALL_UPDATE and self._write_turn():  # (a larger one: send's)
                try:
                    framed = self.conn.small_update(seq, data)
                finally:
                    if framed is None:  # (no credit, say, or an error: the turn goes back)
                        self._let_go()
            queued_at = time.monotonic()
        if framed is None:
            return self.send(ScreenUpdate(seq, data), wait=wait, on_write=on_write)
        return self._write_now(framed, on_write, queued_at)

    # -- lifecycle

    def start(
        self,
        on_event: Callable[[Event], None],
        on_end: Callable[[str], None],
        name: str,
        initial: bytes = b"",
        on_secured: Callable[[str], None] = lambda code: None,
    ) -> threading.Thread:
        """Run the reader thread; ``initial`` is session data already read (by the relay
        handshake) and is processed first.  ``on_secured(code)`` runs on it once the
        channel is up, with the verification code, before any event."""
        with self._room:
            self._on_end = on_end
            ended = self._ended
        if ended:  # the first send failed already
            on_end(self.end_reason)
        thread = threading.Thread(
            target=self._read_loop, args=(on_event, initial, on_secured), name=name, daemon=True
        )
        thread.start()
        return thread

    def close(self, reason: str) -> None:
        """End the session from this side, without waiting: our Bye is queued, the writer
        sends it (within CLOSE_TIMEOUT_S) and closes the socket, then ``on_end(reason)``.

        A short non-daemon thread waits for that, so a program quitting right after
        ``close`` still says goodbye (bounded) instead of dropping the connection."""
        with self._conn_lock:
            if self._closed.is_set():
                return
            self._closing = reason
            self._shut = True
            self._closed.set()
            data: bytes | None = None
            try:
                data = self.conn.send(Bye(reason))
                self._enqueue(Queued(data, last=True), force=True)
            except LocalProtocolError:  # we may have said Bye already (data: None)
                pass
            except Exception:  # (a bug: closed is set, so no later close() would end it)
                log.exception("session event=bye-failed")
                data = None  # (the Bye may have been encoded and not queued)
        with self._room:
            writer = self._writer
        if data is None or writer is None:
            self._finish(reason)
            return
        try:
            threading.Thread(
                target=self._linger, args=(writer,), name="session-close", daemon=False
            ).start()
        except RuntimeError as exc:  # no thread to spare: the writer still sends the Bye and
            # ends the session (each stall bounded by CLOSE_TIMEOUT_S, not the whole: a peer
            # taking a byte at a time keeps it going); a quitting program's wait is lost
            log.warning("session event=linger-failed reason=%r", str(exc))

    def _linger(self, writer: threading.Thread) -> None:
        writer.join(CLOSE_TIMEOUT_S + POLL_S)
        self._finish(self._closing)

    # -- the reader thread

    def _handshake(self, initial: bytes, on_secured: Callable[[str], None]) -> Channel | None:
        """Secure the stream (reader thread); None (and the session ended) on failure."""
        try:
            channel, result = secure(
                self.sock,
                self.secure,
                initial,
                timeout_s=self.handshake_timeout,
                stop=self._closed.is_set,  # closed meanwhile: stop waiting for the peer
                rekey_every=self._rekey_every,
            )
        except SecureError as exc:
            log.warning("session event=secure-failed reason=%r", str(exc))
            if not self._closed.is_set():  # (our own close is no failure of the peer's)
                self.failure = exc
            self._finish(str(exc))
            return None
        except OSError as exc:
            self._finish(f"connection lost: {exc}")
            return None
        log.info("session event=secured mode=%s", self.secure.mode)
        self.verification_code = result.verification_code
        with self._room:
            self._channel = channel
            if not self._ended:
                with contextlib.suppress(OSError):  # (closed meanwhile: no direct writes)
                    self._twin = self.sock.dup()
                    self._twin.settimeout(0.0)
            self._room.notify_all()  # the writer may go
        on_secured(result.verification_code)
        return channel

    def _read_loop(
        self, on_event: Callable[[Event], None], initial: bytes, on_secured: Callable[[str], None]
    ) -> None:
        try:
            self._read(on_event, initial, on_secured)
        except Exception:  # a bug here or in a callback: never a session left half-dead
            log.exception("session event=reader-failed")
            try:  # our Bye says why, as for a handler's bug
                self.close("internal error")
            except Exception:  # (the conn itself is what failed)
                self._finish("internal error")

    def _read(
        self, on_event: Callable[[Event], None], initial: bytes, on_secured: Callable[[str], None]
    ) -> None:
        channel = self._handshake(initial, on_secured)
        if channel is None:
            return
        last_heard = time.monotonic()
        pending = True  # the handshake's trailing bytes may hold whole records already
        while not self._ended:
            if not pending:
                try:
                    data = self.sock.recv(RECV_SIZE)
                except TimeoutError:
                    if time.monotonic() - last_heard > self.idle_timeout:
                        self._finish(f"peer silent for {self.idle_timeout:g} s")
                    continue
                except OSError as exc:
                    self._finish(f"connection lost: {exc}")
                    return
                last_heard = time.monotonic()
                channel.receive_data(data)  # b"": the end, which the channel passes on
            pending = False
            try:
                with self._conn_lock:
                    events = []
                    while (record := channel.next_record()) is not NEED_DATA:
                        self.conn.receive_data(record)
                        while (event := self.conn.next_event()) is not NEED_DATA:
                            events.append(event)
            except SecureError as exc:  # nothing more can be read or trusted: no Bye
                log.warning("session event=channel-broken reason=%r", str(exc))
                self.failure = exc
                self._finish(str(exc))
                return
            except RemoteProtocolError as exc:
                log.warning("session event=protocol-error reason=%r", str(exc))
                self.failure = exc
                self.close(f"protocol error: {exc}")
                return
            for event in events:
                if isinstance(event, ConnectionClosed):
                    self._finish(event.reason if event.clean else "connection lost")
                    return
                if isinstance(event, Bye):
                    self._finish(event.reason or "ended by the other side")
                    return
                try:
                    on_event(event)
                except Exception:  # a bug in a handler must not leave the session half-dead
                    log.exception("session event=handler-error")
                    self.close("internal error")
                    return

    def _finish(self, reason: str) -> None:
        """The session is over: shut the socket (which wakes both threads), tell on_end
        once.  Never blocks: safe on the GUI thread."""
        with self._room:
            if self._ended:
                return
            self._ended = True
            self._shut = True
            self._closed.set()
            reason = self._closing or reason  # we said why first
            self.end_reason = reason
            self._queue.clear()
            self._room.notify_all()
            on_end = self._on_end
            twin, self._twin = self._twin, None
        with contextlib.suppress(OSError):  # the peer may have gone first
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        if twin is not None:
            twin.close()
        log.info("session event=ended reason=%r", reason)
        on_end(reason)
