"""Gaps found by the issue 10 audit (/tmp/issue10_audit.md), each with the test that
failed before its fix: refused-connection logs stay bounded for a client that resets
before its first frame (issue 10 §3.10)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import struct

import pytest

from remoterelay.server import Relay, RelayConfig


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
