"""An active attacker on the path, for real: a TCP proxy between two Transports that
understands the record framing (not the keys) flips a bit in a record, replays one,
swaps two, drops one or cuts the stream inside one.  Each time the receiving side ends
the session at that record with the reason that names it, delivers nothing from it on,
and the sending side ends too (its peer hung up); nobody hangs."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from remoteapp.net.session import Event, Hello, SessionConnection, Text
from remoteapp.net.session_state import Role
from remoteapp.secure import ChannelBroken, SecureParams
from remoteapp.secure.channel import HEADER
from remoteapp.secure.handshake import HEAD
from remoteapp.session.transport import Transport
from tests.streams import tcp_pair

WAIT_S = 10.0
KEY = bytes(range(1, 33))


class RecordProxy:
    """Carries agent -> customer record by record, applying ``action`` to record
    ``index`` (counted from the first record after the handshake); the other direction
    passes untouched."""

    def __init__(self, action: str, index: int) -> None:
        self.action, self.index = action, index
        self.agent, self._a = tcp_pair(1 << 16)
        self._b, self.customer = tcp_pair(1 << 16)
        self._threads = [
            threading.Thread(target=self._records, daemon=True),
            threading.Thread(target=self._back, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read(self, sock: socket.socket, size: int, buffer: bytearray) -> bytes | None:
        while len(buffer) < size:
            try:
                data = sock.recv(1 << 16)
            except OSError:
                return None
            if not data:
                return None
            buffer += data
        out = bytes(buffer[:size])
        del buffer[:size]
        return out

    @staticmethod
    def _send(sock: socket.socket, data: bytes) -> bool:
        """False once the receiver has gone (it hung up on a bad record)."""
        try:
            sock.sendall(data)
        except OSError:
            return False
        return True

    def _records(self) -> None:
        buffer = bytearray()
        head = self._read(self._a, HEAD.size, buffer)  # the agent's one Noise message
        if head is None:
            return
        body = self._read(self._a, HEAD.unpack(head)[1], buffer)
        if body is None:
            return
        if not self._send(self._b, head + body):
            return
        number, held = 0, b""
        while True:
            header = self._read(self._a, HEADER.size, buffer)
            sealed = (
                None if header is None else self._read(self._a, HEADER.unpack(header)[0], buffer)
            )
            if header is None or sealed is None:
                with contextlib.suppress(OSError):
                    self._b.shutdown(socket.SHUT_WR)
                return
            record = header + sealed
            out = record
            if number == self.index:
                if self.action == "flip":
                    out = record[:-3] + bytes([record[-3] ^ 0x40]) + record[-2:]
                elif self.action == "replay":
                    out = record + record
                elif self.action == "drop":
                    out = b""
                elif self.action == "swap":
                    held, out = record, b""
                elif self.action == "cut":
                    if self._send(self._b, record[: len(record) // 2]):
                        with contextlib.suppress(OSError):
                            self._b.shutdown(socket.SHUT_WR)
                    return
            elif held:
                out, held = record + held, b""
            number += 1
            if not self._send(self._b, out):
                return

    def _back(self) -> None:
        while True:
            try:
                data = self._b.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                with contextlib.suppress(OSError):
                    self._a.shutdown(socket.SHUT_WR)
                return
            if not self._send(self._a, data):
                return

    def close(self) -> None:
        for sock in (self.agent, self._a, self._b, self.customer):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(WAIT_S)


class End:
    def __init__(self, sock: socket.socket, role: Role) -> None:
        secure = SecureParams.for_direct(role, KEY)
        self.transport = Transport(sock, SessionConnection(role), secure=secure)
        self.events: list[Event] = []
        self.reasons: list[str] = []
        self.ended = threading.Event()
        self.name = f"{role.value}-net"

    def start(self) -> None:
        self.transport.start(self.events.append, self._end, name=self.name)

    def _end(self, reason: str) -> None:
        self.reasons.append(reason)
        self.ended.set()

    def reason(self) -> str:
        assert self.ended.wait(WAIT_S), "the session did not end"
        assert len(self.reasons) == 1, self.reasons
        return self.reasons[0]


@pytest.fixture
def proxy(request: pytest.FixtureRequest) -> Iterator[RecordProxy]:
    action, index = request.param
    tap = RecordProxy(action, index)
    try:
        yield tap
    finally:
        tap.close()


SENT = [Hello(Role.AGENT, "Ana"), Text("one"), Text("two"), Text("three"), Text("four")]


@pytest.mark.parametrize(
    ("proxy", "reason", "delivered"),
    [
        (("flip", 2), "record 2 failed authentication (altered in transit)", 2),
        (("replay", 1), "record 1 was replayed (expected record 2)", 2),
        (("swap", 1), "records were dropped or reordered (got record 2, expected 1)", 1),
        (("drop", 1), "records were dropped or reordered (got record 2, expected 1)", 1),
        (("cut", 3), "connection lost inside an encrypted record", 3),
    ],
    indirect=["proxy"],
    ids=["bit flip", "replay", "reorder", "drop", "truncation"],
)
def test_tampering_on_the_path_ends_the_session_with_its_reason(
    proxy: RecordProxy, reason: str, delivered: int
) -> None:
    agent = End(proxy.agent, Role.AGENT)
    customer = End(proxy.customer, Role.CUSTOMER)
    for event in SENT:  # one record each, in this order, queued before the handshake (a
        assert agent.transport.send(event)  # send after the customer hung up would fail)
    agent.start()
    customer.start()
    assert reason in customer.reason()
    assert isinstance(customer.transport.failure, ChannelBroken)
    # nothing from the bad record on (what came before it in the same read may be dropped
    # with it: the session is over either way)
    assert customer.events == SENT[: len(customer.events)]
    assert len(customer.events) <= delivered
    assert agent.reason() == "connection lost"  # the customer hung up on it
