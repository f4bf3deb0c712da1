"""Run the end-to-end handshake on a blocking socket (the session threads' adapter of
``remoteapp.secure.Handshake``).

Bounded: the whole exchange gets ``timeout_s`` (the relay has paired both sides, so
only a stalled or hostile peer takes longer); ``stop()`` is polled every socket timeout
so a session closed meanwhile does not wait it out.  On a failure the ABORT the core
queued is sent (best effort, briefly) so the other side shows the same clear message.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from typing import Final

from remoteapp.secure import Channel, Handshake, HandshakeFailed, SecureError, SecureParams
from remoteapp.secure.handshake import Secured

HANDSHAKE_TIMEOUT_S: Final = 15.0
RECV_SIZE: Final = 4096
ABORT_SEND_S: Final = 1.0  #: how long the ABORT may take to go out


def secure(
    sock: socket.socket,
    params: SecureParams,
    initial: bytes = b"",
    *,
    timeout_s: float = HANDSHAKE_TIMEOUT_S,
    stop: Callable[[], bool] = lambda: False,
    rekey_every: int | None = None,
) -> tuple[Channel, Secured]:
    """The channel and the handshake's outcome (its ``trailing`` bytes are already fed to
    the channel).  Raises ``SecureError`` (HandshakeFailed, PasswordMismatch) or
    OSError; the socket's timeout is left as it was."""
    handshake = Handshake(params)
    previous = sock.gettimeout()
    deadline = time.monotonic() + timeout_s
    try:
        _send(sock, handshake.data_to_send(), deadline)
        if initial:
            _feed(sock, handshake, initial)
            _send(sock, handshake.data_to_send(), deadline)
        while handshake.result is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HandshakeFailed(
                    f"the other side did not complete the secure handshake in {timeout_s:g} s"
                )
            if stop():
                raise HandshakeFailed("the session was closed during the secure handshake")
            sock.settimeout(min(left, previous or left))
            try:
                data = sock.recv(RECV_SIZE)
            except TimeoutError:
                continue
            _feed(sock, handshake, data)
            _send(sock, handshake.data_to_send(), deadline)
    finally:
        sock.settimeout(previous)
    result = handshake.result
    options = {} if rekey_every is None else {"rekey_every": rekey_every}
    channel = Channel(result.send_key, result.receive_key, **options)
    if result.trailing:  # (b"" would mean the end of the stream)
        channel.receive_data(result.trailing)
    return channel, result


def _feed(sock: socket.socket, handshake: Handshake, data: bytes) -> None:
    try:
        handshake.receive_data(data)
    except SecureError:
        abort = handshake.data_to_send()
        if abort:
            with contextlib.suppress(OSError):
                _send(sock, abort, time.monotonic() + ABORT_SEND_S)
        raise


def _send(sock: socket.socket, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        left = deadline - time.monotonic()
        if left <= 0:
            raise HandshakeFailed("the other side took no handshake data in time")
        sock.settimeout(left)
        try:
            sent = sock.send(view)
        except TimeoutError:
            continue
        view = view[sent:]
