"""Join a session at the relay from a blocking socket (the desktop app's adapter of
``remotewire.relay_join.RelayJoin``).

The relay parks the first side up to 30 s, so the wait here is bounded a little above
that. Bytes that arrive right behind the PAIRED frame (the peer's Hello) belong to the
session and are handed over, not dropped.
"""

from __future__ import annotations

import socket
import time

from remotewire.address import parse_address
from remotewire.errors import RelayRefused
from remotewire.relay_join import CONNECT_TIMEOUT_S, PAIR_TIMEOUT_S, RelayJoin


def join(
    address: str, token: str, timeout_s: float = PAIR_TIMEOUT_S
) -> tuple[socket.socket, bytes]:
    """Connected, paired socket and the session bytes already received; RelayRefused or
    OSError (unreachable, timed out) otherwise."""
    sock = socket.create_connection(parse_address(address), timeout=CONNECT_TIMEOUT_S)
    try:
        return sock, join_socket(sock, token, timeout_s)
    except BaseException:
        sock.close()
        raise


def join_socket(sock: socket.socket, token: str, timeout_s: float = PAIR_TIMEOUT_S) -> bytes:
    """Run the handshake on a connected socket; the session bytes that came with PAIRED."""
    handshake = RelayJoin(token)
    sock.sendall(handshake.start())
    deadline = time.monotonic() + timeout_s
    while (outcome := handshake.result()) is None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the other side did not join the relay in time")
        sock.settimeout(left)
        handshake.receive_data(sock.recv(4096))
    if isinstance(outcome, RelayRefused):
        raise outcome
    return outcome.trailing
