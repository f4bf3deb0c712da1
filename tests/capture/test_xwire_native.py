"""The X round trips in C (``_xwire``) against a fake X server on a socket pair: the
reply whole, trickled byte by byte, behind events, with trailing bytes left unread, the
server's error, a stall, a close, an oversized packet, a flood of events and an error for
the first of two requests.  The box reads: ``test_xwire_boxes.py``."""

from __future__ import annotations

import array
import fcntl
import select
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from typing import Any

import pytest

from remoteapp.capture import x11_link, x11_wire
from tests.capture.fake_x import REQUEST, event, reply


def generic_event(words: int) -> bytes:
    return struct.pack("=BBHI24x", 35, 0, 1, words) + bytes(4 * words)


class Server(threading.Thread):
    """The fake X server: reads ``expect`` bytes of requests, then answers ``data`` (one
    byte per send when ``trickle``); ``join()`` returns the requests it read."""

    def __init__(
        self, sock: socket.socket, data: bytes, *, trickle: bool = False, expect: int = 4
    ) -> None:
        super().__init__()
        self.sock, self.data, self.trickle, self.expect = sock, data, trickle, expect
        self.got = b""
        self.start()

    def run(self) -> None:
        while len(self.got) < self.expect:
            chunk = self.sock.recv(self.expect - len(self.got))
            if not chunk:
                return
            self.got += chunk
        step = 1 if self.trickle else max(1, len(self.data))
        for i in range(0, len(self.data), step):
            self.sock.sendall(self.data[i : i + step])

    def requests(self) -> bytes:
        self.join(10.0)
        assert not self.is_alive()
        return self.got


def serve(server: socket.socket, data: bytes, *, trickle: bool = False) -> Server:
    """Read the request, then answer ``data``."""
    return Server(server, data, trickle=trickle, expect=len(REQUEST))


@pytest.mark.parametrize("trickle", [False, True], ids=["whole", "byte-by-byte"])
def test_the_reply_comes_back_whole_behind_skipped_events(
    native: Any, pair: tuple[socket.socket, socket.socket], trickle: bool
) -> None:
    client, server = pair
    answer = reply(b"ABCDEFGH")
    thread = serve(server, event() + generic_event(3) + answer, trickle=trickle)
    assert native.round_trip(client.fileno(), REQUEST, 5000) == (answer, 2)
    assert thread.requests() == REQUEST


def test_bytes_after_the_reply_stay_in_the_socket_for_the_python_reader(
    native: Any, pair: tuple[socket.socket, socket.socket]
) -> None:
    client, server = pair
    thread = serve(server, reply() + event(34) + b"partial")
    assert native.round_trip(client.fileno(), REQUEST, 5000) == (reply(), 0)
    assert thread.requests() == REQUEST
    assert client.recv(100) == event(34) + b"partial"


def test_the_servers_error_packet_becomes_xrequesterror(
    native: Any, pair: tuple[socket.socket, socket.socket]
) -> None:
    client, server = pair
    error = struct.pack("=BBHIHB21x", 0, 9, 1, 0x1FFFFF, 4, 130)
    thread = serve(server, error)
    with pytest.raises(native.Error) as err:
        native.round_trip(client.fileno(), REQUEST, 5000)
    assert thread.requests() == REQUEST
    mapped = x11_link._mapped(err.value)
    assert isinstance(mapped, x11_wire.XRequestError)
    assert (mapped.code, mapped.major, mapped.minor) == (9, 130, 4)


@pytest.mark.parametrize(
    ("answer", "close", "message"),
    [
        (b"", False, "no answer from the X server in time"),  # a stall
        (reply()[:20], False, "no answer from the X server in time"),  # stops mid-packet
        (b"", True, "the X server closed the connection"),
        (reply()[:20], True, "the X server closed the connection"),
        (struct.pack("=BBHI24x", 1, 0, 1, 1 << 30), False, "an X packet over the size bound"),
    ],
    ids=["stall", "stall-mid-packet", "closed", "closed-mid-packet", "oversized"],
)
def test_a_stalled_closed_or_oversized_answer_is_a_wire_error(
    native: Any,
    pair: tuple[socket.socket, socket.socket],
    answer: bytes,
    close: bool,
    message: str,
) -> None:
    client, server = pair
    server.sendall(answer)
    if close:
        server.shutdown(socket.SHUT_WR)
    with pytest.raises(native.Error) as err:
        native.round_trip(client.fileno(), REQUEST, 50)
    assert server.recv(100) == REQUEST
    assert err.value.args == ("wire", message)
    mapped = x11_link._mapped(err.value)
    assert type(mapped) is x11_wire.XWireError and str(mapped) == message


def _flood(client: socket.socket, server: socket.socket) -> subprocess.Popen[bytes]:
    """A process that writes events into ``server`` as fast as it can, for ever (a
    thread of this process would let the reader catch up, and its wait time out);
    returned once ``client`` has megabytes of them waiting."""
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    code = "import os\nev = (bytes([22]) + bytes(31)) * 32768\nwhile True:\n    os.write(1, ev)\n"
    flood = subprocess.Popen([sys.executable, "-c", code], stdout=server.fileno())
    deadline = time.monotonic() + 30
    waiting = array.array("i", [0])
    while waiting[0] < 1 << 20 and time.monotonic() < deadline:
        select.select([client], [], [], 1.0)
        fcntl.ioctl(client.fileno(), termios.FIONREAD, waiting)
    return flood


def _unbound_link(sock: socket.socket) -> x11_link.XLink:
    """An XLink on a socket pair (its constructor wants a display): the fake server's."""
    link = object.__new__(x11_link.XLink)
    link._sock, link._reader, link._broken, link.skipped = sock, x11_wire.PacketReader(), None, 0
    return link


@pytest.mark.parametrize("path", ["c", "python"])
def test_a_server_that_never_stops_sending_events_still_times_out(
    native: Any,
    pair: tuple[socket.socket, socket.socket],
    path: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bound holds while events keep coming: the wait for the reply is looked at per
    packet, not only when a read would block (a flood held the capture thread for good)."""
    client, server = pair
    flood = _flood(client, server)
    try:
        started = time.monotonic()
        if path == "c":
            with pytest.raises(native.Error) as err:
                native.round_trip(client.fileno(), REQUEST, 200)
            assert err.value.args == ("wire", "no answer from the X server in time")
        else:
            monkeypatch.setattr(x11_link, "native", None)
            monkeypatch.setattr(x11_link, "REPLY_BOUND_S", 0.2)
            with pytest.raises(x11_wire.XWireError, match="no answer"):
                _unbound_link(client).round_trip(REQUEST)
        assert time.monotonic() - started < 30, "the bound did not hold"
    finally:
        flood.kill()
        flood.wait()


@pytest.mark.parametrize("path", ["c", "python"])
def test_the_servers_error_for_the_first_of_two_requests_breaks_the_link(
    native: Any,
    pair: tuple[socket.socket, socket.socket],
    path: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DamageSubtract's error leaves FetchRegion's reply in the stream: the link breaks,
    where it took that reply for the next round trip's answer.  An error for a lone
    request leaves the link in step."""
    client, server = pair
    if path == "python":
        monkeypatch.setattr(x11_link, "native", None)
    link = _unbound_link(client)
    fetch = x11_wire.subtract_and_fetch(143, 138, 5, 6)
    error = struct.pack("=BBHIHB21x", 0, 9, 10, 5, 0, 143)
    server.sendall(error + struct.pack("=BBHI24x", 1, 0, 11, 2) + bytes(8))
    with pytest.raises(x11_wire.XRequestError):
        link.round_trip(fetch)
    with pytest.raises(x11_wire.XWireError, match="broke earlier"):
        link.round_trip(fetch)
    lone_client, lone_server = socket.socketpair()
    with lone_client, lone_server:
        lone = _unbound_link(lone_client)
        lone_server.sendall(struct.pack("=BBHIHB21x", 0, 9, 12, 0, 0, 43) + reply())
        with pytest.raises(x11_wire.XRequestError):
            lone.round_trip(REQUEST)
        assert lone.round_trip(REQUEST)[:1] == b"\x01"  # (in step: the next is its own)
