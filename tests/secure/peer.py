"""The other end of a session done by hand, for tests that play one side on a raw
socket: it runs the real end-to-end handshake (on a thread, so the code under test can
run its own at the same time), then seals and opens records with the real channel."""

from __future__ import annotations

import os
import socket
import threading

from remoteapp.net.session import Event, SessionConnection
from remoteapp.net.session_state import Role
from remoteapp.secure import Channel, SecureParams
from remoteapp.session.secure_link import secure
from remotewire.framing import NEED_DATA


def direct_pair() -> tuple[SecureParams, SecureParams]:
    """Agent's and customer's params of one direct session with a fresh key."""
    key = os.urandom(32)
    return SecureParams.for_direct(Role.AGENT, key), SecureParams.for_direct(Role.CUSTOMER, key)


class HandPeer:
    """Secures ``sock`` as ``params.role`` in the background; ``channel()`` waits for it."""

    def __init__(self, sock: socket.socket, params: SecureParams, **options: object) -> None:
        self.sock = sock
        self.params = params
        self.code: str | None = None
        self.error: Exception | None = None
        self._channel: Channel | None = None
        self._options = options
        self._thread = threading.Thread(target=self._run, name="hand-peer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._channel, result = secure(self.sock, self.params, **self._options)  # type: ignore[arg-type]
            self.code = result.verification_code
        except Exception as exc:  # handed to the test by channel()
            self.error = exc

    def channel(self, timeout: float = 20.0) -> Channel:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the handshake did not finish"
        if self.error is not None:
            raise self.error
        assert self._channel is not None
        return self._channel

    def send(self, data: bytes) -> None:
        self.sock.sendall(self.channel().seal(data))

    def read_until(self, last: Event, timeout: float = 20.0) -> list[Event]:
        """What the other side sent, parsed as our role would, up to ``last``."""
        channel = self.channel()
        conn = SessionConnection(self.params.role)
        events: list[Event] = []
        self.sock.settimeout(timeout)
        while last not in events:
            data = self.sock.recv(1 << 16)
            assert data, "the other side closed the connection"
            channel.receive_data(data)
            while (record := channel.next_record()) is not NEED_DATA:
                conn.receive_data(record)
                while (event := conn.next_event()) is not NEED_DATA:
                    events.append(event)  # type: ignore[arg-type]
        return events
