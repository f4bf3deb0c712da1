"""A plain socket for the session whose bytes one thread carries over a TLS connection.

``Transport`` reads on one thread and writes on another. An OpenSSL connection must not
be used by two threads at once (a read can write: TLS 1.3 key updates, alerts), and
interleaved calls corrupt records now and then. So the TLS socket gets one owner: this
bridge's thread moves bytes between it and one end of a socket pair; the session gets
the other end, an ordinary socket that any number of threads may use.

Memory is bounded: at most one ``CHUNK`` waits in each direction, and a side is read
only once what came from it has been passed on. The thread ends, closing both sockets,
when either side closes or fails, or when the session's end of the pair has been closed
(looked at every ``POLL_S`` while the relay takes no bytes).
"""

from __future__ import annotations

import logging
import selectors
import socket
import ssl
import threading
from typing import Final

log = logging.getLogger("remoteapp.tls")

CHUNK: Final = 64 * 1024
POLL_S: Final = 1.0


def bridge(tls_sock: ssl.SSLSocket) -> socket.socket:
    """The session's end of a pair whose bytes a daemon thread carries over ``tls_sock``
    (connected, handshaken; owned by the bridge from now on)."""
    session_end, bridge_end = socket.socketpair()
    pump = _Pump(tls_sock, bridge_end, session_end)
    threading.Thread(target=pump.run, name="tls-bridge", daemon=True).start()
    return session_end


class _Pump:
    def __init__(
        self, tls_sock: ssl.SSLSocket, plain: socket.socket, session_end: socket.socket
    ) -> None:
        self.tls = tls_sock
        self.plain = plain
        self.session_end = session_end  # only looked at: closed means the session is over
        self.to_plain = b""  # decrypted, not yet taken by the session
        self.to_tls = b""  # from the session, not yet taken by TLS
        self.tls_eof = False
        self.plain_eof = False
        self.recv_wait = selectors.EVENT_READ  # what TLS's last read waited for
        self.send_wait = selectors.EVENT_WRITE  # what TLS's last write waited for

    def run(self) -> None:
        self.tls.setblocking(False)
        self.plain.setblocking(False)
        try:
            with selectors.DefaultSelector() as selector:
                while True:
                    while self._step():
                        pass
                    if self.plain_eof and not self.to_tls:
                        break  # the session is over and all it sent went out
                    _watch(selector, self.tls, self._tls_interest())
                    _watch(selector, self.plain, self._plain_interest())
                    if not selector.select(POLL_S) and self.session_end.fileno() == -1:
                        break  # the session closed its end while the relay took nothing
        except OSError as exc:  # ssl.SSLError too: a reset, a bad record, an alert
            log.info("tls event=bridge-ended reason=%r", str(exc))
        finally:
            self.tls.close()
            self.plain.close()

    def _tls_interest(self) -> int:
        wants = 0
        if not self.to_plain and not self.tls_eof:
            wants |= self.recv_wait
        if self.to_tls:
            wants |= self.send_wait
        return wants

    def _plain_interest(self) -> int:
        wants = 0
        if not self.to_tls and not self.plain_eof:
            wants |= selectors.EVENT_READ
        if self.to_plain:
            wants |= selectors.EVENT_WRITE
        return wants

    def _step(self) -> bool:
        """One pass over the four moves without waiting; True if any made progress."""
        progress = False
        if not self.to_plain and not self.tls_eof:
            try:
                data = self.tls.recv(CHUNK)
            except ssl.SSLWantReadError:
                self.recv_wait = selectors.EVENT_READ
            except ssl.SSLWantWriteError:
                self.recv_wait = selectors.EVENT_WRITE
            else:
                progress = True
                if data:
                    self.to_plain = data
                else:
                    self.tls_eof = True
                    self.plain.shutdown(socket.SHUT_WR)  # the session reads EOF
        if self.to_plain:
            try:
                sent = self.plain.send(self.to_plain)
            except BlockingIOError:
                pass
            else:
                self.to_plain = self.to_plain[sent:]
                progress = True
        if not self.to_tls and not self.plain_eof:
            try:
                data = self.plain.recv(CHUNK)
            except BlockingIOError:
                pass
            else:
                progress = True
                self.to_tls = data
                self.plain_eof = not data
        if self.to_tls:
            try:
                sent = self.tls.send(self.to_tls)
            except ssl.SSLWantWriteError:
                self.send_wait = selectors.EVENT_WRITE
            except ssl.SSLWantReadError:
                self.send_wait = selectors.EVENT_READ
            else:
                self.to_tls = self.to_tls[sent:]
                progress = True
        return progress


def _watch(selector: selectors.BaseSelector, sock: socket.socket, events: int) -> None:
    """Wait on ``events`` of ``sock`` from now on (none: not at all)."""
    registered = sock in selector.get_map()
    if not events:
        if registered:
            selector.unregister(sock)
    elif registered:
        selector.modify(sock, events)
    else:
        selector.register(sock, events)
