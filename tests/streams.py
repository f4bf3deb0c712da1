"""Socket pairs with a hand on the tap, for testing blocking socket code (the idea of trio's
``testing/_memory_streams.py``, for threads and real sockets).

``stream_pair()`` gives two connected TCP sockets, ``a`` and ``b``, to hand to the code
under test.  The bytes between them do not go straight through: each direction is a
``Tap``, a thread that reads one side and writes the other, which a test can

- ``stall()``: stop reading, like a peer that stopped reading: the (small) kernel buffers
  fill up and the sender's writes block;
- ``trickle()``: deliver one byte at a time, each only once the receiver has read the one
  before, so a parser on the other end sees every possible split;
- ``resume()``: back to whole chunks at full speed;
- ``hook``: a callable that sees each chunk as it passes (count it, keep it, or stall the
  tap at a chosen point).

End of stream is passed on (the reader sees ``b""``).  Everything is closed on exit.
"""

from __future__ import annotations

import contextlib
import fcntl
import socket
import struct
import termios
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

TICK_S = 0.05  #: how often a tap's thread looks at its controls
BUFFER = 4096  #: SO_SNDBUF/SO_RCVBUF of every socket: a stall is felt after a few KB


def unread(sock: socket.socket) -> int:
    """Bytes received by ``sock`` that its owner has not read yet (Linux: FIONREAD)."""
    if sock.fileno() == -1:
        return 0
    raw = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    return int(struct.unpack("i", raw)[0])


def tcp_pair(buffer: int = BUFFER) -> tuple[socket.socket, socket.socket]:
    """Two connected loopback TCP sockets with small buffers (set before connecting, so
    the window is small from the start)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer)
        one = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            one.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer)
            one.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer)
            one.connect(server.getsockname())
            two, _ = server.accept()
        except BaseException:
            one.close()
            raise
    for sock in (one, two):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return one, two


class Tap:
    """One direction: a thread moving bytes from ``src`` to ``dst``; ``receiver`` is the
    socket that reads what ``dst`` writes (the code under test's end)."""

    def __init__(
        self, src: socket.socket, dst: socket.socket, receiver: socket.socket, name: str
    ) -> None:
        self._src, self._dst, self._receiver = src, dst, receiver
        self._flowing = threading.Event()
        self._flowing.set()
        self._trickle = False
        self._stop = threading.Event()
        self.hook: Callable[[bytes], None] | None = None
        self.passed = 0  #: bytes delivered
        self.deliveries = 0  #: separate writes (== bytes while trickling)
        self.eof = threading.Event()  #: the source ended and the end was passed on
        for sock in (src, dst):
            sock.settimeout(TICK_S)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def held(self) -> int:
        """Bytes the sender wrote that this tap has not taken (they wait at its source:
        while stalled, what the sender got written before its writes blocked)."""
        return unread(self._src)

    def stall(self) -> None:
        """Stop reading (and delivering) until ``resume``."""
        self._flowing.clear()

    def trickle(self) -> None:
        """One byte at a time, each once the receiver has read the last."""
        self._trickle = True
        self._flowing.set()

    def resume(self) -> None:
        self._trickle = False
        self._flowing.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._flowing.wait(TICK_S):
                continue
            try:
                data = self._src.recv(1 if self._trickle else 1 << 16)
            except TimeoutError:
                continue
            except OSError:
                data = b""
            if not data:
                with contextlib.suppress(OSError):
                    self._dst.shutdown(socket.SHUT_WR)
                self.eof.set()
                return
            if self.hook is not None:
                self.hook(data)
            self._deliver(memoryview(data))

    def _deliver(self, view: memoryview) -> None:
        while view and not self._stop.is_set():
            if not self._flowing.wait(TICK_S):
                continue  # stalled half-way: nothing more arrives
            piece = view[:1] if self._trickle else view
            try:
                sent = self._dst.send(piece)
            except TimeoutError:
                continue
            except OSError:
                return  # the receiver has gone; its end of stream follows
            view = view[sent:]
            self.passed += sent
            self.deliveries += 1
            if self._trickle:
                # a poll, not a pause: the next byte goes once this one has been read
                while unread(self._receiver) and not self._stop.wait(0.0002):
                    pass


@dataclass
class StreamPair:
    a: socket.socket  #: one end for the code under test
    b: socket.socket  #: the other end
    a_to_b: Tap
    b_to_a: Tap

    @property
    def taps(self) -> tuple[Tap, Tap]:
        return self.a_to_b, self.b_to_a


@contextlib.contextmanager
def stream_pair(buffer: int = BUFFER) -> Iterator[StreamPair]:
    """``a`` and ``b``, joined through two taps; all four sockets closed on exit."""
    a, a_tap = tcp_pair(buffer)
    b_tap, b = tcp_pair(buffer)
    pair = StreamPair(a, b, Tap(a_tap, b_tap, b, "tap-a-to-b"), Tap(b_tap, a_tap, a, "tap-b-to-a"))
    try:
        yield pair
    finally:
        for tap in pair.taps:
            tap.stop()
        for sock in (a, a_tap, b_tap, b):
            sock.close()
