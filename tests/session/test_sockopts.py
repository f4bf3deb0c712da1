"""limit_unsent on real sockets: a TCP socket whose peer does not read takes far fewer
bytes before it stops being writable (the rest waits in the app's queue); other kinds of
socket are left alone."""

from __future__ import annotations

import socket
import sys

import pytest

from remoteapp.session.sockopts import TCP_NOTSENT_LOWAT, limit_unsent


def accepted_until_full(limit: bool) -> int:
    """Bytes a non-blocking TCP socket takes while its peer reads nothing."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        sender = socket.create_connection(server.getsockname())
        receiver, _ = server.accept()
    with sender, receiver:
        if limit:
            assert limit_unsent(sender, 16 << 10)
            assert sender.getsockopt(socket.IPPROTO_TCP, TCP_NOTSENT_LOWAT) == 16 << 10
        sender.setblocking(False)
        total, chunk = 0, b"x" * 65536
        while total < 64 << 20:
            try:
                total += sender.send(chunk)
            except BlockingIOError:
                break
        return total


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's option")
def test_a_stalled_peer_leaves_the_bytes_with_the_app() -> None:
    limited, unlimited = accepted_until_full(True), accepted_until_full(False)
    assert limited < unlimited / 2, (limited, unlimited)


def test_not_tcp_is_left_alone() -> None:
    one, two = socket.socketpair()
    with one, two:
        assert not limit_unsent(one)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        assert not limit_unsent(udp)
