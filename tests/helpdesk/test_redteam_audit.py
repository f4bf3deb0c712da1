"""Gaps found by the issue 10 audit (/tmp/issue10_audit.md), each with the test that
failed before its fix or on the old main: refused-connection logs stay bounded for a
client that resets before its first frame (§3.10); a peer that skips the handshake is
refused on either side (§1, never a plaintext fallback); the security headers are on
error answers too (§3.10)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import struct
from urllib.parse import urlsplit

import pytest
import requests

from helpdesk.middleware import MAX_BODY
from remoteapp.net.session import Hello, Ping, SessionConnection
from remoteapp.net.session_state import Role
from remoteapp.secure import HandshakeFailed
from remoteapp.secure.handshake import CLEAR_PEER
from remoterelay.server import Relay, RelayConfig
from tests.helpdesk.server_process import Server
from tests.session.transport_ends import WAIT_S, End
from tests.streams import stream_pair


def noted(relay: Relay) -> int:
    """Refusals the relay has counted so far, logged or summed."""
    return sum(e.logged + sum(e.suppressed.values()) for e in relay.refusals._sources.values())


def test_connections_reset_before_a_token_are_logged_like_refusals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A scanner that sends half a frame header and resets (RST) wrote one ``conn-error``
    line per connection, outside the refusals' rate limit."""
    hammer = 40

    async def scenario() -> None:
        relay = Relay(RelayConfig(secret=secrets.token_bytes(32), refusal_summary_s=600))
        await relay.start()
        loop = asyncio.get_running_loop()
        try:
            for _ in range(hammer):
                sock = socket.socket()
                sock.setblocking(False)
                await loop.sock_connect(sock, ("127.0.0.1", relay.port))
                await loop.sock_sendall(sock, b"\x00\x00")  # half a frame header
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()  # RST
            deadline = loop.time() + 30
            while noted(relay) < hammer and loop.time() < deadline:  # every reset handled
                await asyncio.sleep(0.01)
        finally:
            await relay.close()  # flushes the window's summary

    with caplog.at_level(logging.INFO, logger="remoteapp.relay"):
        asyncio.run(scenario())
    lines = [r.getMessage() for r in caplog.records if r.name == "remoteapp.relay"]
    assert [line for line in lines if "event=conn-error" in line] == []
    full = [line for line in lines if "event=refused " in line]
    summaries = [line for line in lines if "event=refused-summary" in line]
    assert len(full) == 5 and all("reason=conn-error" in line for line in full)
    assert len(summaries) == 1 and f"conn-error:{hammer - 5}" in summaries[0]


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER])
def test_a_peer_that_skips_the_handshake_is_refused_on_either_side(role: Role) -> None:
    """Never a plaintext fallback: an app from before encryption (or a probe) that speaks
    the session protocol in the clear right after PAIRED gets no session and none of our
    events, whichever side it plays."""
    other = Role.CUSTOMER if role is Role.AGENT else Role.AGENT
    with stream_pair() as pair:
        end = End(pair.a, role)
        assert end.transport.send(Hello(role, "Our Own Name"))
        end.start("audit-net")
        clear = SessionConnection(other)
        pair.b.sendall(clear.send(Hello(other, "Plain Peer")) + clear.send(Ping(7)))
        assert end.end_reason() == CLEAR_PEER
        assert isinstance(end.transport.failure, HandshakeFailed)
        assert not end.secured.is_set() and end.events == []
        pair.b.settimeout(WAIT_S)
        seen = b""
        while chunk := pair.b.recv(4096):
            seen += chunk
        assert b"Our Own Name" not in seen  # only handshake bytes left this side


def test_error_answers_carry_the_security_headers_too(server: Server) -> None:
    """The headers were on no answer before; now also on the refusals made before any
    route runs (Host check, body limit, NUL) and on 404/405/422."""
    port = urlsplit(server.http_url).port
    answers = {
        "unknown route": requests.get(f"{server.http_url}/no/such/route", timeout=15),
        "wrong method": requests.delete(f"{server.http_url}/api/apps/demo", timeout=15),
        "bad host": requests.get(
            f"{server.http_url}/api/apps/demo", headers={"Host": f"evil.example:{port}"}, timeout=15
        ),
        "body too large": requests.post(
            f"{server.http_url}/api/presence",
            data=b"x" * (MAX_BODY + 1),
            headers={"Content-Type": "application/json"},
            timeout=15,
        ),
        "nul": requests.get(f"{server.http_url}/api/apps/de%00mo", timeout=15),
        "invalid input": requests.post(f"{server.http_url}/api/login", json={}, timeout=15),
    }
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {
        "unknown route": 404,
        "wrong method": 405,
        "bad host": 400,
        "body too large": 413,
        "nul": 400,
        "invalid input": 422,
    }
    for name, answer in answers.items():
        headers = answer.headers
        assert headers.get("X-Content-Type-Options") == "nosniff", name
        assert headers.get("X-Frame-Options") == "DENY", name
        assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), name
        assert answer.json()["code"], name  # a coded JSON error, not a bare page
