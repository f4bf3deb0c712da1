"""Join a session at the relay from a blocking socket (the desktop app's adapter of
``remotewire.relay_join.RelayJoin``).

The relay parks the first side up to 30 s, so the wait here is bounded a little above
that. Bytes that arrive right behind the PAIRED frame (the peer's Hello) belong to the
session and are handed over, not dropped.

A ``tls://host:port`` relay (``remoteapp-relay --cert``) is joined over TLS, verified
by ``remoteapp.net.tls`` (system store plus the profile's pinned CA); the session then
gets a plain socket whose bytes ``tls_bridge`` carries. A plain relay on another host is
refused unless the profile says ``insecure: true`` (``tls.InsecureRefused``). TLS errors
are ``OSError`` instances, like every other failure to reach the relay.
"""

from __future__ import annotations

import socket
import ssl
import time

from remoteapp.net import tls
from remoteapp.session.tls_bridge import bridge
from remotewire.address import parse_relay_address
from remotewire.errors import RelayRefused
from remotewire.relay_join import CONNECT_TIMEOUT_S, PAIR_TIMEOUT_S, RelayJoin


def join(
    address: str,
    token: str,
    timeout_s: float = PAIR_TIMEOUT_S,
    policy: tls.TrustPolicy | None = None,
) -> tuple[socket.socket, bytes]:
    """Connected, paired socket and the session bytes already received; RelayRefused or
    OSError (unreachable, timed out; ``tls.TlsError``: not trusted, plain refused)
    otherwise. ``policy``: the installed one (the profile's) unless given."""
    host, port, over_tls = parse_relay_address(address)
    if not over_tls:
        tls.refuse_plain(host, "the relay", policy)
    sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S)
    try:
        if over_tls:
            sock = tls.wrap(sock, host, "the relay", policy)
        trailing = join_socket(sock, token, timeout_s)
        if isinstance(sock, ssl.SSLSocket):
            sock.settimeout(None)
            return bridge(sock), trailing
        return sock, trailing
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
            raise TimeoutError("the relay did not pair us in time")
        sock.settimeout(left)
        handshake.receive_data(sock.recv(4096))
    if isinstance(outcome, RelayRefused):
        raise outcome
    return outcome.trailing
