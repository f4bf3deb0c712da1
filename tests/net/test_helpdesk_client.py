"""The helpdesk client's failure mapping, against real sockets that misbehave."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from remoteapp.errors import RemoteappError
from remoteapp.net.errors import HelpdeskError
from remoteapp.net.helpdesk import (
    ErrorCode,
    HelpdeskClient,
    HelpdeskUnavailable,
    NotAllowed,
    NotFound,
    RateLimited,
    TicketClient,
)


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


@pytest.fixture
def refusing_server() -> Iterator[str]:
    """A real HTTP server whose answer to ``.../<status>-<variant>`` is that refusal."""
    bodies: dict[str, tuple[int, dict[str, str], bytes]] = {
        "403-coded": (
            403,
            {},
            b'{"detail": "wrong partner ID or password", "code": "wrong-partner-password"}',
        ),
        "403-uncoded": (403, {}, b'{"detail": "no code here (a real Movidesk)"}'),
        "404-not-json": (404, {}, b"<html>Not Found</html>"),
        "429-coded": (
            429,
            {"Retry-After": "7"},
            b'{"detail": "too many failed attempts; try again in 7 s", '
            b'"code": "too-many-failed-attempts"}',
        ),
        "429-bad-retry-after": (429, {"Retry-After": "soon"}, b'{"detail": "slow down"}'),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = bodies[self.path.rsplit("/", 1)[1]]
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(5)
    server.server_close()


def test_refusals_carry_the_servers_code(refusing_server: str) -> None:
    """The app branches on ``code``; the message is only shown."""
    client = HelpdeskClient(refusing_server, timeout_s=5)
    try:
        with pytest.raises(NotAllowed) as coded:
            client.app_profile("403-coded")
        assert coded.value.code == ErrorCode.WRONG_PARTNER_PASSWORD
        assert coded.value.message == "wrong partner ID or password"
        with pytest.raises(NotAllowed) as uncoded:
            client.app_profile("403-uncoded")
        assert uncoded.value.code is None
        with pytest.raises(NotFound) as not_json:
            client.app_profile("404-not-json")
        assert not_json.value.code is None and not_json.value.message == "Not Found"
        with pytest.raises(RateLimited) as limited:
            client.app_profile("429-coded")
        assert limited.value.code == ErrorCode.TOO_MANY_FAILED_ATTEMPTS
        assert limited.value.retry_after == 7
        with pytest.raises(RateLimited) as unparsable:
            client.app_profile("429-bad-retry-after")
        assert unparsable.value.retry_after == 1 and unparsable.value.code is None
    finally:
        client.close()
