"""Join a session at the relay from a blocking socket: send the token, wait to be paired.

The relay parks the first side up to 30 s, so the wait here is bounded a little above
that.  Bytes that arrive right behind the PAIRED frame (the peer's Hello) belong to the
session and are handed over, not dropped.
"""

from __future__ import annotations

import socket
import time

from remoteapp.net.errors import RelayRefused
from remoteapp.net.framing import NEED_DATA, FrameReader, FrameType, pack_frame

PAIR_TIMEOUT_S = 40.0
CONNECT_TIMEOUT_S = 10.0


def parse_address(address: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` too) -> (host, port)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"relay address {address!r} is not host:port")
    return host.strip("[]"), int(port)


def join(
    address: str, token: str, timeout_s: float = PAIR_TIMEOUT_S
) -> tuple[socket.socket, bytes]:
    """Connected, paired socket and the session bytes already received; RelayRefused or
    OSError (unreachable, timed out) otherwise."""
    sock = socket.create_connection(parse_address(address), timeout=CONNECT_TIMEOUT_S)
    try:
        sock.sendall(pack_frame(FrameType.TOKEN, token.encode()))
        reader = FrameReader(max_payload=4096)
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the other side did not join the relay in time")
            sock.settimeout(left)
            data = sock.recv(4096)
            if not data:
                raise RelayRefused("relay closed the connection before pairing")
            reader.receive_data(data)
            frame = reader.next_frame()
            if frame is NEED_DATA:
                continue
            if frame.type == FrameType.PAIRED:
                return sock, reader.trailing_data()
            if frame.type == FrameType.REFUSED:
                raise RelayRefused(frame.payload.decode(errors="replace") or "refused")
            raise RelayRefused(f"unexpected frame {frame.type} before pairing")
    except BaseException:
        sock.close()
        raise
