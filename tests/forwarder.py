"""A TCP forwarder between a test's client and its server: it counts the connections
made and can cut them, as a network that drops (the app must not hammer a server; a
relay cut from its helpdesk)."""

from __future__ import annotations

import contextlib
import socket
import threading


class Forwarder:
    """A TCP forwarder to ``target`` that counts the connections made through it and
    that the test may cut: while cut, each connection is accepted and closed at once
    (nothing reaches the target), and those open when the cut began are closed;
    ``restore`` forwards again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.accepted = 0
        """Connections made to it, cut or not."""
        self.refused = 0
        """Connections closed unforwarded while cut."""
        self._cut = False
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def close(self) -> None:
        self.cut()
        with contextlib.suppress(OSError):  # (wakes the thread blocked in accept)
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self._thread.join(5)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                cut = self._cut
                self.accepted += 1
                self.refused += cut
            if cut:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)
        with self._lock:  # the second pipe of the two to end closes both
            if src in self._open and dst not in self._open:
                self._open.discard(src)
                src.close()
                dst.close()
            else:
                self._open.discard(src)
