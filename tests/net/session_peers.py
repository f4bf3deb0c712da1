"""The session protocol's test peers: byte pipes each way (in memory, or a real loopback
TCP connection), the Hello exchange over them, and a customer fed a peer's raw frames."""

from __future__ import annotations

import json
import socket

from remoteapp.codec.update_format import VERSION as UPDATE_FORMAT
from remoteapp.net.session import (
    ConnectionClosed,
    Event,
    Hello,
    Msg,
    SessionConnection,
)
from remoteapp.net.session_state import Role, State
from remotewire.framing import NEED_DATA, pack_frame


class MemoryPipe:
    """Bytes written on one end come out of the other, in order, in arbitrary pieces."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def write(self, data: bytes) -> None:
        self.buf += data

    def read(self) -> bytes:
        data, self.buf = bytes(self.buf), bytearray()
        return data

    def close(self) -> None:
        pass


class TcpPipe:
    """A real loopback TCP connection; reads wait (bounded) for what was written."""

    def __init__(self) -> None:
        with socket.create_server(("127.0.0.1", 0)) as server:
            self.out = socket.create_connection(server.getsockname(), timeout=10)
            self.inp, _ = server.accept()
        self.inp.settimeout(10)
        self.pending = 0

    def write(self, data: bytes) -> None:
        self.out.sendall(data)
        self.pending += len(data)

    def read(self) -> bytes:
        chunks = []
        while self.pending:
            chunk = self.inp.recv(min(self.pending, 1 << 16))
            if not chunk:
                break
            self.pending -= len(chunk)
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self.out.close()
        self.inp.close()


Pipe = MemoryPipe | TcpPipe


def deliver(pipe: Pipe, conn: SessionConnection) -> list[Event | ConnectionClosed]:
    conn.receive_data(pipe.read())
    events: list[Event | ConnectionClosed] = []
    while (event := conn.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def handshake(pipes: tuple[Pipe, Pipe]) -> tuple[SessionConnection, SessionConnection]:
    to_agent, to_customer = pipes
    customer, agent = SessionConnection(Role.CUSTOMER), SessionConnection(Role.AGENT)
    to_agent.write(customer.send(Hello(Role.CUSTOMER, "Maria (ACME)")))
    to_customer.write(agent.send(Hello(Role.AGENT, "Ana", capabilities=("clipboard",))))
    assert deliver(to_agent, agent) == [Hello(Role.CUSTOMER, "Maria (ACME)")]
    assert deliver(to_customer, customer) == [Hello(Role.AGENT, "Ana", 1, ("clipboard",))]
    assert customer.our_state is customer.their_state is State.ACTIVE
    return customer, agent


def drain(conn: SessionConnection) -> list[Event | ConnectionClosed]:
    out = []
    while (event := conn.next_event()) is not NEED_DATA:
        out.append(event)
    return out


def peer_sends(*frames: bytes) -> SessionConnection:
    customer = SessionConnection(Role.CUSTOMER)
    customer.send(Hello(Role.CUSTOMER, "Maria"))
    customer.receive_data(b"".join(frames))
    return customer


def hello_frame(**fields: object) -> bytes:
    body = {
        "version": 1,
        "role": "agent",
        "name": "Ana",
        "capabilities": [],
        "update_format": UPDATE_FORMAT,
        **fields,
    }
    return pack_frame(Msg.HELLO, json.dumps(body).encode())


HELLO = hello_frame()
