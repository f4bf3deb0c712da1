"""The relay over real loopback TCP, in-process: pairing, refusals, forwarding, limits."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoterelay.cli import build_ssl_context
from remoterelay.server import Relay, RelayConfig
from remotewire.framing import NEED_DATA, Frame, FrameReader, FrameType, pack_frame
from remotewire.relay_join import open_relay
from remotewire.tokens import issue_token

SECRET = b"k" * 32


async def read_one_frame(reader: asyncio.StreamReader, timeout_s: float) -> Frame | None:
    """Exactly one frame, a byte at a time so that nothing behind it is consumed."""
    frames = FrameReader(max_payload=4096)

    async def read() -> Frame | None:
        while (frame := frames.next_frame()) is NEED_DATA:
            data = await reader.read(1)
            if not data:
                return None
            frames.receive_data(data)
        return frame

    return await asyncio.wait_for(read(), timeout_s)


async def read_frame(reader: asyncio.StreamReader) -> Frame | None:
    return await read_one_frame(reader, 5)


Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Harness:
    """The relay plus a way to reach it: real TCP, or an in-memory socketpair handed to
    ``Relay.handle_connection`` — the same contract must hold over both."""

    def __init__(self, relay: Relay, transport: str) -> None:
        self.relay = relay
        self.transport = transport
        self.served: list[asyncio.Task[None]] = []  # the relay also tracks and awaits them
        self.opened: list[asyncio.StreamWriter] = []  # our ends, see close_all

    @property
    def port(self) -> int:
        return self.relay.port

    async def connect(self, first: bytes = b"") -> Streams:
        """A new connection whose first bytes are ``first``. In memory they are in the
        socket before the relay starts its first-frame timer, so a stalled event loop (a
        loaded machine, a long garbage collection) cannot turn a short timeout into a
        refusal of a client that did send its token at once."""
        if self.transport == "tcp":
            reader, writer = await asyncio.open_connection("127.0.0.1", self.relay.port)
            writer.write(first)
        else:
            ours, theirs = socket.socketpair()
            ours.sendall(first)
            relay_side = await asyncio.open_connection(sock=theirs, limit=self.relay.config.chunk)
            self.served.append(asyncio.create_task(self.relay.handle_connection(*relay_side)))
            reader, writer = await asyncio.open_connection(sock=ours)
        self.opened.append(writer)
        return reader, writer

    async def close_all(self) -> None:
        """Abort what is still open of our ends: a scenario that failed half-way must not
        leave sockets for the garbage collector (a ResourceWarning in some later test)."""
        for writer in self.opened:
            writer.transport.abort()
        await asyncio.sleep(0)  # connection_lost, which closes the socket, runs next


@pytest.fixture(params=["tcp", "memory"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def dial(relay: Harness, token: str) -> Streams:
    """Raw dial (not ``open_relay``): these tests look at refusals frame by frame."""
    reader, writer = await relay.connect(pack_frame(FrameType.TOKEN, token.encode()))
    await writer.drain()
    return reader, writer


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, OSError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), 2)


Events = list[dict[str, Any]]


def run(
    test: Callable[[Harness, Events], Awaitable[None]], transport: str = "tcp", **config: Any
) -> Events:
    """Run one async scenario against a fresh relay; every scenario is bounded to 20 s."""
    events: Events = []

    async def reporter(event: dict[str, Any]) -> None:
        if event["event"] not in ("heartbeat", "stopping"):  # liveness, not the session's
            events.append(event)

    async def main() -> None:
        relay = Relay(RelayConfig(secret=SECRET, reporter=reporter, **config))
        await relay.start()
        harness = Harness(relay, transport)
        try:
            await asyncio.wait_for(test(harness, events), 20)
        finally:
            await harness.close_all()
            await relay.close()

    asyncio.run(main())
    return events


def tokens(session: str = "s1") -> tuple[str, str]:
    return issue_token(SECRET, session, "agent"), issue_token(SECRET, session, "customer")


async def pair(relay: Harness, session: str = "s1"):  # type: ignore[no-untyped-def]
    agent_token, customer_token = tokens(session)
    a = await dial(relay, agent_token)
    c = await dial(relay, customer_token)
    fa, fc = await read_frame(a[0]), await read_frame(c[0])
    assert fa is not None and fa.type == FrameType.PAIRED and fa.payload == b"customer"
    assert fc is not None and fc.type == FrameType.PAIRED and fc.payload == b"agent"
    return a, c


async def refused(reader: asyncio.StreamReader) -> str:
    frame = await read_frame(reader)
    assert frame is not None and frame.type == FrameType.REFUSED
    assert await reader.read() == b""  # and then closed
    return frame.payload.decode()


def test_pairs_and_forwards_both_ways_then_closes_both(transport: str) -> None:
    async def scenario(relay: Harness, events: Events) -> None:
        (ar, aw), (cr, cw) = await pair(relay)
        aw.write(b"hello customer")
        cw.write(b"hello agent")
        assert await cr.readexactly(14) == b"hello customer"
        assert await ar.readexactly(11) == b"hello agent"
        big = bytes(range(256)) * 4096 * 4  # 4 MiB
        aw.write(big)
        assert await cr.readexactly(len(big)) == big
        await close(aw)
        assert await asyncio.wait_for(cr.read(), 5) == b""  # the other side is closed too
        await close(cw)
        while len(events) < 2:
            await asyncio.sleep(0.01)

    events = run(scenario, transport)
    assert [e["event"] for e in events] == ["connected", "ended"]
    assert events[1]["reason"] == "agent-left"


def test_bytes_sent_while_parked_reach_the_peer(transport: str) -> None:
    async def scenario(relay: Harness, events: Events) -> None:
        agent_token, customer_token = tokens()
        _ar, aw = await dial(relay, agent_token)
        aw.write(b"early")
        await aw.drain()
        await asyncio.sleep(0.1)
        cr, cw = await dial(relay, customer_token)
        assert (await read_frame(cr)).type == FrameType.PAIRED  # type: ignore[union-attr]
        assert await cr.readexactly(5) == b"early"
        await close(aw)
        await close(cw)

    run(scenario, transport)


def test_same_role_third_connection_and_reuse_are_refused(transport: str) -> None:
    async def scenario(relay: Harness, events: Events) -> None:
        agent_token, customer_token = tokens()
        a = await dial(relay, agent_token)
        second_agent = await dial(relay, issue_token(SECRET, "s1", "agent"))
        assert await refused(second_agent[0]) == "same-role"
        c = await dial(relay, customer_token)
        assert (await read_frame(c[0])).type == FrameType.PAIRED  # type: ignore[union-attr]
        third = await dial(relay, issue_token(SECRET, "s1", "customer"))
        assert await refused(third[0]) == "session-full"
        reused = await dial(relay, customer_token)
        assert await refused(reused[0]) == "token-reused"
        for _, w in (a, c, second_agent, third, reused):
            await close(w)

    run(scenario, transport)


def test_forged_and_expired_tokens_are_refused(transport: str) -> None:
    async def scenario(relay: Harness, events: Events) -> None:
        forged = issue_token(b"not the secret", "s1", "agent")
        expired = issue_token(SECRET, "s1", "agent", ttl_s=-1)
        for token, reason in ((forged, "token-invalid"), (expired, "token-expired")):
            r, w = await dial(relay, token)
            assert await refused(r) == reason
            await close(w)

    run(scenario, transport)


def test_garbage_and_slow_loris_are_dropped_and_others_still_served(transport: str) -> None:
    async def scenario(relay: Harness, events: Events) -> None:
        r1, w1 = await relay.connect()
        w1.write(b"\xff" * 64)  # random bytes: announces a 4 GiB frame
        r2, w2 = await relay.connect()
        w2.write(pack_frame(FrameType.DATA, b"not a token"))
        r3, w3 = await relay.connect()
        w3.write(pack_frame(FrameType.TOKEN, b"x" * 100)[:7])  # never completes
        assert await refused(r1) == "oversize-first-frame"
        assert await refused(r2) == "first-frame-not-token"
        (_ar, aw), (cr, cw) = await pair(relay)  # meanwhile a real session works
        aw.write(b"ok")
        assert await cr.readexactly(2) == b"ok"
        started = time.monotonic()
        assert await refused(r3) == "first-frame-timeout"
        assert time.monotonic() - started < 2
        for w in (w1, w2, w3, aw, cw):
            await close(w)

    run(scenario, transport, first_frame_timeout_s=0.5)


def test_park_timeout(transport: str) -> None:
    async def scenario(relay: Harness, events: Events) -> None:
        r, w = await dial(relay, tokens()[0])
        assert await refused(r) == "park-timeout"
        await close(w)

    run(scenario, transport, park_timeout_s=0.3)


def test_idle_timeout_ends_the_session_with_a_reason(transport: str) -> None:
    async def scenario(relay: Harness, events: Events) -> None:
        (ar, aw), (cr, cw) = await pair(relay)
        assert await asyncio.wait_for(ar.read(), 5) == b""
        assert await asyncio.wait_for(cr.read(), 5) == b""
        await close(aw)
        await close(cw)
        while len(events) < 2:
            await asyncio.sleep(0.01)

    events = run(scenario, transport, idle_timeout_s=0.4)
    assert events[-1]["reason"] == "idle-timeout"


def test_bandwidth_cap(transport: str) -> None:
    async def scenario(relay: Harness, events: Events) -> None:
        (_ar, aw), (cr, cw) = await pair(relay)
        started = time.monotonic()
        aw.write(b"x" * 300_000)
        await cr.readexactly(300_000)
        elapsed = time.monotonic() - started
        assert elapsed >= 0.45, elapsed  # 200 kB burst, then 100 kB at 200 kB/s
        await close(aw)
        await close(cw)

    run(scenario, transport, bandwidth_bps=200_000)


def test_back_pressure_stalls_a_fast_sender(transport: str) -> None:
    """A customer that never reads must stall the agent, not grow relay memory."""

    async def scenario(relay: Harness, events: Events) -> None:
        (_ar, aw), (_cr, cw) = await pair(relay)
        chunk = b"x" * 65536
        sent = 0
        while sent < 256 * 2**20:
            aw.write(chunk)
            try:
                await asyncio.wait_for(aw.drain(), 0.5)
            except TimeoutError:
                break
            sent += len(chunk)
        # Only kernel socket buffers plus the relay's bounded buffers hold the bytes.
        assert sent < 64 * 2**20, sent
        aw.transport.abort()
        cw.transport.abort()

    run(scenario, transport)


def test_tls(tmp_path: Path) -> None:
    """With cert/key the relay speaks TLS; the app side uses ``open_relay`` with a context."""
    cert = _self_signed(tmp_path)
    server_context = build_ssl_context(str(cert), str(tmp_path / "key.pem"))
    client_context = ssl.create_default_context(cafile=str(cert))

    async def scenario(relay: Harness, events: Events) -> None:
        agent_token, customer_token = tokens()
        address = f"localhost:{relay.port}"
        (ar, aw), (cr, cw) = await asyncio.gather(
            open_relay(address, agent_token, ssl_context=client_context),
            open_relay(address, customer_token, ssl_context=client_context),
        )
        aw.write(b"secret screen")
        assert await cr.readexactly(13) == b"secret screen"
        cw.write(b"ack")
        assert await ar.readexactly(3) == b"ack"
        await close(aw)
        await close(cw)

    run(scenario, ssl_context=server_context)


@pytest.mark.parametrize("sent", [b"", b"\x16\x03\x01\x02"], ids=["nothing", "partial-hello"])
def test_a_stalled_tls_handshake_is_cut_at_the_first_frames_bound(
    tmp_path: Path, sent: bytes
) -> None:
    """asyncio's own handshake bound (60 s) applied, not the first frame's: a client that
    never finished its ClientHello held a connection a minute (helper-76's find)."""
    cert = _self_signed(tmp_path)
    server_context = build_ssl_context(str(cert), str(tmp_path / "key.pem"))

    async def scenario(relay: Harness, events: Events) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
        writer.write(sent)
        assert await asyncio.wait_for(reader.read(), 10) == b""  # closed, well before 60 s
        await close(writer)

    run(scenario, ssl_context=server_context, first_frame_timeout_s=0.5)


def _self_signed(tmp_path: Path) -> Path:
    """A certificate for localhost (and its key.pem beside it)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert


REASONS = {
    "oversize-first-frame",
    "first-frame-not-token",
    "first-frame-timeout",
    "eof-before-token",
    "token-invalid",
}


@settings(max_examples=40, deadline=None)
@given(garbage=st.binary(min_size=0, max_size=64), hang_up=st.booleans())
def test_any_first_bytes_are_refused_and_the_relay_keeps_serving(
    garbage: bytes, hang_up: bool
) -> None:
    async def scenario(relay: Harness, events: Events) -> None:
        reader, writer = await relay.connect()
        writer.write(garbage)
        if hang_up:
            writer.write_eof()
        await writer.drain()
        frame = await read_one_frame(reader, 5)
        if frame is not None:  # a peer that hung up early may see a plain close instead
            assert frame.type == FrameType.REFUSED
            assert frame.payload.decode() in REASONS
        await close(writer)
        (_ar, aw), (cr, cw) = await pair(relay)
        aw.write(b"still fine")
        assert await cr.readexactly(10) == b"still fine"
        await close(aw)
        await close(cw)

    run(scenario, "memory", first_frame_timeout_s=0.1)
