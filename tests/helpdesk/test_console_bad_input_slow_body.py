"""Stalled request bodies (fuzz review, defect 6) against a real server process.

A console POST whose body never arrives used to hold one of the 40 request database
slots while its CSRF check waited for the form, with no bound: 42 of them and every other
request of the server waited 5 s and got 503. Now the form is read before a slot is
taken, and a body that has not arrived within ``REMOTEAPP_BODY_TIMEOUT_S`` gets 408 and
the connection is closed. The bound is short here, so the test waits for it, not longer.
"""

from __future__ import annotations

import json
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.helpdesk.server_process import Server, start_server

BODY_TIMEOUT_S = 8.0
"""Longer than the 5 s a request waits for a database slot: before the fix, the probes
below got their 503 while the stalled bodies still held every slot."""
STALLED = 42
ENV = {
    "REMOTEAPP_RELAY_SECRET": secrets.token_hex(32),
    "REMOTEAPP_SERVER_SECRET": secrets.token_hex(32),
    "REMOTEAPP_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("slow-body")
    server = start_server(data_dir, ENV)
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


def console_cookie(server: Server) -> str:
    """The demo agent's (lowest privilege) console session, through the login form."""
    with httpx.Client(base_url=server.http_url, timeout=10) as client:
        html = client.get("/console/login").text
        marker = 'name="csrf" value="'
        start = html.index(marker) + len(marker)
        token = html[start : html.index('"', start)]
        agent = server.credentials["agent"]
        answer = client.post(
            "/console/login",
            data={"email": agent["email"], "password": agent["password"], "csrf": token},
        )
        assert answer.status_code == 303, answer.text
        return f"remoteapp_console={client.cookies['remoteapp_console']}"


def stalled_post(server: Server, cookie: str) -> socket.socket:
    """A console POST that announces 100 bytes of body and sends 5."""
    url = urlsplit(server.http_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    sock = socket.create_connection((host, port), timeout=BODY_TIMEOUT_S + 10)
    sock.sendall(
        (
            "POST /console/monitoring/demo/connect-code/q1 HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\n"
            f"Cookie: {cookie}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 100\r\n"
            "\r\n"
            "csrf="
        ).encode()
    )
    return sock


def read_answer(sock: socket.socket) -> bytes:
    """Everything until the server closes the connection (fails on the socket timeout)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_stalled_bodies_hold_no_database_slot_and_get_408(server: Server) -> None:
    cookie = console_cookie(server)
    agent = server.credentials["agent"]
    started = time.monotonic()
    sockets = [stalled_post(server, cookie) for _ in range(STALLED)]
    try:
        with httpx.Client(base_url=server.http_url, timeout=10) as client:
            login = client.post(
                "/api/login", json={"email": agent["email"], "password": agent["password"]}
            )
            assert login.status_code == 200, login.text
            bearer = {"Authorization": f"Bearer {login.json()['token']}"}
            apps = client.get("/api/apps/demo", headers=bearer)
            assert apps.status_code == 200, apps.text
            page = client.get("/console/tickets", headers={"Cookie": cookie})
            assert page.status_code == 200, page.text
        probes_done = time.monotonic() - started
        # (answered while every body still stalled: else the 408s freed the slots first)
        assert probes_done < BODY_TIMEOUT_S, f"the probes waited {probes_done:.1f} s"
        for sock in sockets:
            answer = read_answer(sock)  # the server closes the connection after it
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), answer
            assert json.loads(body)["code"] == "body-too-slow", answer
        took = time.monotonic() - started
        assert took < BODY_TIMEOUT_S + 10, f"the 408s came after {took:.1f} s"  # (not 60)
    finally:
        for sock in sockets:
            sock.close()
    assert "Traceback" not in "".join(server.process.log)
