"""A shaping proxy for one direction of a TCP connection: a token bucket at the link
rate, a one-way delay, and a bounded queue (like ``tc tbf limit``), so a sender that
outruns the link feels TCP back-pressure.  ``bench.shaped_link`` puts one each way
between the customer and the agent; ``bench.netns`` uses it as a delay line.
"""

from __future__ import annotations

import contextlib
import heapq
import socket
import threading
import time

QUEUE_LIMIT = 64 * 1024  #: bytes the link holds before it stops reading (tbf limit)


class ShapedLink:
    """One direction: read ``src``, deliver to ``dst`` at ``bps`` after ``delay`` s."""

    def __init__(self, src: socket.socket, dst: socket.socket, bps: float, delay: float) -> None:
        self._src, self._dst, self._bps, self._delay = src, dst, bps, delay
        self._queue: list[tuple[float, int, bytes]] = []
        self._queued = 0
        self.max_queued = 0
        self._cond = threading.Condition()
        self._free_at = 0.0
        self._n = 0
        self._done = False
        self._threads = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._write, daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _read(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queued < QUEUE_LIMIT or self._done)
            try:
                data = self._src.recv(16384)
            except OSError:
                data = b""
            with self._cond:
                if not data:
                    self._done = True
                    self._cond.notify_all()
                    return
                now = time.monotonic()
                self._free_at = max(self._free_at, now) + len(data) * 8 / self._bps
                self._n += 1
                heapq.heappush(self._queue, (self._free_at + self._delay, self._n, data))
                self._queued += len(data)
                self.max_queued = max(self.max_queued, self._queued)
                self._cond.notify_all()

    def _write(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._done)
                if not self._queue:
                    break
                at, _, data = self._queue[0]
                wait = at - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._queue)
                self._queued -= len(data)
                self._cond.notify_all()
            try:
                self._dst.sendall(data)
            except OSError:
                break
        with contextlib.suppress(OSError):
            self._dst.shutdown(socket.SHUT_WR)

    def join(self) -> None:
        for t in self._threads:
            t.join(5)


def tcp_pair() -> tuple[socket.socket, socket.socket]:
    """Two connected loopback TCP sockets (Nagle off, as the app's)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        one = socket.create_connection(server.getsockname())
        two, _ = server.accept()
    for sock in (one, two):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return one, two
