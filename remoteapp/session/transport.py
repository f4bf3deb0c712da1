"""A SessionConnection on a blocking socket, safe to use from several threads.

Reads happen on one reader thread; sends may come from any thread and are serialized.
Every wait is bounded: the socket has a timeout, and a peer silent for longer than
``idle_timeout`` ends the session.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable

from remoteapp.errors import LocalProtocolError, RemoteProtocolError
from remoteapp.net.session import Bye, ConnectionClosed, Event, SessionConnection
from remotewire.framing import NEED_DATA

log = logging.getLogger("remoteapp.session")

RECV_SIZE = 1 << 16


class Transport:
    """Drive ``conn`` over ``sock``: ``start(on_event)`` runs the reader thread."""

    def __init__(
        self, sock: socket.socket, conn: SessionConnection, idle_timeout: float = 30.0
    ) -> None:
        self.sock = sock
        self.conn = conn
        self.idle_timeout = idle_timeout
        self._lock = threading.Lock()  # guards conn and writes to sock
        self._closed = threading.Event()
        self.end_reason = ""
        self._on_end: Callable[[str], None] = lambda reason: None
        sock.settimeout(1.0)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def send(self, event: Event) -> bool:
        """Send ``event``; False (and nothing sent) when the session is over."""
        if self._closed.is_set():
            return False
        with self._lock:
            try:
                data = self.conn.send(event)
            except LocalProtocolError:
                if self._closed.is_set():
                    return False
                raise
            try:
                self.sock.settimeout(self.idle_timeout)  # a stuck peer cannot block us forever
                self.sock.sendall(data)
                self.sock.settimeout(1.0)
            except OSError as exc:
                self._finish(f"connection lost: {exc}")
                return False
        return True

    def start(
        self,
        on_event: Callable[[Event], None],
        on_end: Callable[[str], None],
        name: str,
        initial: bytes = b"",
    ) -> threading.Thread:
        """Run the reader thread; ``initial`` is session data already read (by the relay
        handshake) and is processed first."""
        self._on_end = on_end
        thread = threading.Thread(
            target=self._read_loop, args=(on_event, initial), name=name, daemon=True
        )
        thread.start()
        return thread

    def close(self, reason: str) -> None:
        """End the session from this side: say Bye (if we still can), then close."""
        if self._closed.is_set():
            return
        with contextlib.suppress(LocalProtocolError):  # we may have said Bye already
            self.send(Bye(reason))
        self._finish(reason)

    def _read_loop(self, on_event: Callable[[Event], None], initial: bytes) -> None:
        last_heard = time.monotonic()
        while not self._closed.is_set():
            try:
                data, initial = (initial, b"") if initial else (self.sock.recv(RECV_SIZE), b"")
            except TimeoutError:
                if time.monotonic() - last_heard > self.idle_timeout:
                    self._finish(f"peer silent for {self.idle_timeout:g} s")
                continue
            except OSError as exc:
                self._finish(f"connection lost: {exc}")
                return
            last_heard = time.monotonic()
            try:
                with self._lock:
                    self.conn.receive_data(data)
                    events = []
                    while (event := self.conn.next_event()) is not NEED_DATA:
                        events.append(event)
            except RemoteProtocolError as exc:
                log.warning("session event=protocol-error reason=%r", str(exc))
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
        if self._closed.is_set():
            return
        self._closed.set()
        self.end_reason = reason
        with contextlib.suppress(OSError):  # the peer may have gone first
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        log.info("session event=ended reason=%r", reason)
        self._on_end(reason)
