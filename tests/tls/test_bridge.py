"""The TLS bridge's bounds, against a stand-in relay at the network boundary: a TLS
server (the test CA's certificate) that pairs at once and then takes no byte."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator

import pytest

from remoteapp.net import tls
from remoteapp.session import relay_link
from remoteapp.session.tls_bridge import POLL_S
from remotewire.framing import FrameType, pack_frame
from tests.tls.conftest import Pki


def bridges() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tls-bridge"]


@pytest.fixture
def stalled_relay(pki: Pki) -> Iterator[int]:
    """Accepts one TLS client, answers PAIRED with a little session data, then reads
    nothing more until the test ends."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.server.cert, pki.server.key)
    listener = socket.socket()
    # a small, fixed receive window (no autotuning): the relay's side fills up quickly
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    done = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with context.wrap_socket(conn, server_side=True) as tls_conn:
            tls_conn.recv(4096)  # the TOKEN frame
            tls_conn.sendall(pack_frame(FrameType.PAIRED) + b"peer hello")
            done.wait(30)

    thread = threading.Thread(target=serve)
    thread.start()
    yield int(listener.getsockname()[1])
    done.set()
    thread.join(10)
    listener.close()


def test_a_session_that_closes_while_the_relay_takes_nothing_ends_its_bridge(
    stalled_relay: int, pki: Pki
) -> None:
    before = len(bridges())
    policy = tls.TrustPolicy(ca_pem=pki.ca.pem)
    sock, initial = relay_link.join(f"tls://127.0.0.1:{stalled_relay}", "t", 5, policy)
    sock.settimeout(5)
    got = initial + sock.recv(64) if len(initial) < 10 else initial
    assert got == b"peer hello"  # bytes behind PAIRED reach the session
    assert len(bridges()) == before + 1
    sock.settimeout(1.0)
    with pytest.raises(TimeoutError):  # the relay reads nothing: every buffer fills up
        while True:
            sock.sendall(b"x" * 65536)
    sock.close()
    deadline = time.monotonic() + 3 * POLL_S + 2
    while len(bridges()) > before:  # a poll, not a sleep: the bridge notices within POLL_S
        assert time.monotonic() < deadline, "the bridge thread outlived its session"
        time.sleep(0.05)
