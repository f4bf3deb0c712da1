"""The customers of the long-poll benches (``bench.server_longpoll``,
``bench.scale_longpoll``): a child process (``PollerProcess``) registers ``count``
customers and holds one long poll each on its own keep-alive HTTP/1.1 connection
(``Connection11``), re-polling when answered, all on one asyncio loop (``Pollers``)."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import random
import resource
import secrets
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

FIELDS = {"name": "Long Poll", "email": "poll@example.com"}


def raise_nofile(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Connection11:
    """One keep-alive HTTP/1.1 connection, as a customer app holds one. The bench's own
    minimal client: with thousands of connections a pooled client's bookkeeping (not the
    server) would dominate the poller's CPU and distort the lateness it measures."""

    def __init__(self, url: str) -> None:
        host_port = url.split("://", 1)[1].rstrip("/")
        self.host, _, port = host_port.rpartition(":")
        self.port = int(port)
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: Any, timeout_s: float
    ) -> tuple[int, Any]:
        """Status and decoded JSON body; reconnects if the server closed the connection."""
        payload = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        if body is not None:
            head += "Content-Type: application/json\r\n"
        head += f"Content-Length: {len(payload)}\r\n\r\n"
        for attempt in (1, 2):
            if self.streams is None:
                self.streams = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), 10
                )
            reader, writer = self.streams
            try:
                writer.write(head.encode() + payload)
                await writer.drain()
                return await asyncio.wait_for(self._response(reader), timeout_s)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")

    @staticmethod
    async def _response(reader: asyncio.StreamReader) -> tuple[int, Any]:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        data = await reader.readexactly(length) if length else b""
        return status, json.loads(data) if data else None

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


class Pollers:
    """``count`` customers, registered then long-polling, on an asyncio loop in a thread."""

    def __init__(
        self, url: str, count: int, wait_s: float, seconds: float, stagger_s: float = 0.0
    ) -> None:
        self.url, self.count, self.wait_s, self.seconds = url, count, wait_s, seconds
        self.stagger_s = stagger_s
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.customers: list[tuple[str, str, Connection11]] = []
        self.in_flight = 0
        self.answered = 0
        self.late: list[float] = []
        """Per poll answered without events: seconds past its wait (server backlog)."""
        self.errors: list[str] = []
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def run(self, coro: Any, timeout_s: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def start(self) -> None:
        self.thread.start()

    async def register(self) -> float:
        gate = asyncio.Semaphore(16)

        async def one() -> None:
            conn = Connection11(self.url)
            body = {"app_id": "demo", "device_id": "lp-" + secrets.token_hex(8)}
            async with gate:
                status, data = await conn.request(
                    "POST", "/api/presence", {}, body | {"fields": FIELDS, "custom": {}}, 30
                )
            if status != 200:
                conn.close()
                raise RuntimeError(f"register: HTTP {status} {data}")
            self.customers.append((data["partner_id"], data["presence_key"], conn))

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(self.count)))
        return time.perf_counter() - started

    async def _poll_forever(
        self, partner_id: str, key: str, conn: Connection11, deadline: float
    ) -> None:
        if self.stagger_s:  # real customers do not all start polling in the same second
            await asyncio.sleep(random.uniform(0, self.stagger_s))
        target = f"/api/presence/{partner_id}/events?wait={self.wait_s:g}"
        while not self.stop.is_set() and time.monotonic() < deadline:
            self.in_flight += 1
            sent = time.monotonic()
            try:
                status, data = await conn.request(
                    "GET", target, {"X-Presence-Key": key}, None, self.wait_s + 60
                )
                if status != 200:
                    self.errors.append(f"HTTP {status}")
                    await asyncio.sleep(1)
                else:
                    self.answered += 1
                    if not data["events"]:  # ran out of time: how late was it?
                        self.late.append(max(0.0, time.monotonic() - sent - self.wait_s))
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(1)
            finally:
                self.in_flight -= 1

    async def start_polls(self, settle_timeout_s: float) -> float:
        deadline = time.monotonic() + self.seconds
        started = time.perf_counter()
        self.tasks = [
            asyncio.create_task(self._poll_forever(p, k, c, deadline)) for p, k, c in self.customers
        ]
        # Every request sent; whether the server has run their first step is read from
        # the database by the caller (wait_first_steps).
        give_up = time.monotonic() + settle_timeout_s + self.stagger_s
        while self.in_flight < self.count and time.monotonic() < give_up:
            await asyncio.sleep(0.05)
        return time.perf_counter() - started

    async def close(self) -> None:
        self.stop.set()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for _, _, conn in self.customers:
            conn.close()

    def shutdown(self) -> None:
        try:
            self.run(self.close(), 30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


def poller_process(
    conn: Connection, url: str, count: int, wait_s: float, seconds: float, stagger_s: float
) -> None:
    """Child process: owns the pollers, so their CPU and GIL are not the measuring thread's.
    Commands over ``conn``: register, start, stats, stop (each answered with a dict)."""
    raise_nofile(count + 512)
    pollers = Pollers(url, count, wait_s, seconds, stagger_s)
    pollers.start()
    try:
        while conn.poll(seconds + 120):
            command, timeout_s = conn.recv()
            if command == "register":
                conn.send({"register_s": pollers.run(pollers.register(), timeout_s)})
            elif command == "start":
                conn.send(
                    {"started_s": pollers.run(pollers.start_polls(timeout_s), timeout_s + 10)}
                )
            elif command == "stats":
                conn.send(
                    {
                        "in_flight": pollers.in_flight,
                        "answered": pollers.answered,
                        "late": list(pollers.late),
                        "errors": len(pollers.errors),
                        "first_errors": pollers.errors[:3],
                    }
                )
            else:
                break
    finally:
        pollers.shutdown()
        conn.send({"stopped": True})


class PollerProcess:
    def __init__(
        self, url: str, count: int, wait_s: float, seconds: float, stagger_s: float
    ) -> None:
        self.conn, child = multiprocessing.get_context("spawn").Pipe()
        self.proc = multiprocessing.get_context("spawn").Process(
            target=poller_process, args=(child, url, count, wait_s, seconds, stagger_s), daemon=True
        )
        self.proc.start()

    def call(self, command: str, timeout_s: float) -> dict[str, Any]:
        self.conn.send((command, timeout_s))
        if not self.conn.poll(timeout_s + 30):
            raise TimeoutError(f"poller process did not answer {command!r}")
        answer: dict[str, Any] = self.conn.recv()
        return answer

    def stop(self) -> None:
        try:
            if self.proc.is_alive():
                self.call("stop", 30)
        finally:
            self.proc.join(10)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(5)
