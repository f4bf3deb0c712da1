"""The helpdesk client's failure mapping, against real sockets that misbehave."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from remoteapp.errors import RemoteappError
from remoteapp.net.errors import HelpdeskError
from remoteapp.net.helpdesk import HelpdeskClient, HelpdeskUnavailable, TicketClient


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: only the client's timeout can end a call."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for sock in [*accepted, server]:
        sock.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_unavailable() -> None:
    client = HelpdeskClient(f"http://127.0.0.1:{closed_port()}", timeout_s=2)
    with pytest.raises(HelpdeskUnavailable) as caught:
        client.app_profile("demo")
    assert isinstance(caught.value, HelpdeskError) and isinstance(caught.value, RemoteappError)
    client.close()


def test_every_call_times_out(silent_server: str) -> None:
    client = HelpdeskClient(silent_server, timeout_s=0.3)
    tickets = TicketClient(silent_server, "token", timeout_s=0.3)
    for call in (
        lambda: client.login("a@b.c", "x"),
        lambda: tickets.get_ticket(1),
        lambda: client.poll("123456789", "key", wait_s=0.2),
    ):
        started = time.monotonic()
        with pytest.raises(HelpdeskUnavailable):
            call()
        assert time.monotonic() - started < 3
    client.close()
    tickets.close()
