"""Held long polls must not starve the other endpoints.

A long poll that blocked a worker thread while waiting would, with a few hundred
customers polling, use up the server's thread pool (about 40 threads) and leave the agent's
queue listing and connects waiting for seconds. This holds 300 polls open and checks that
both still answer within a functional bound (not a benchmark: see bench/server_longpoll.py).

Tasks here are structured with anyio and stopped through its cancel scopes, never with
``Task.cancel()``: httpx closes the connections it drops from its pool inside an anyio
shield, which anyio's cancellation respects but ``Task.cancel()`` goes through. A poller
cancelled that way while the pool was closing idle connections left those sockets open
(about a hundred a run on a loaded machine), and their ResourceWarning then failed
whichever test was running when the garbage collector found them.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
import httpx

from remoteapp.net.helpdesk import HelpdeskClient
from tests.helpdesk.conftest import presence_seen, wait_until
from tests.helpdesk.server_process import Server

POLLS = 300
FIELDS = {"name": "Poll Load", "email": "poll.load@example.com"}
BOUND_S = 5.0
GATE = 16  # registrations and leaves in flight at once
STOP_S = 10.0  # told to stop, each poller ends when its held poll is answered (a few s)


@dataclass
class Measured:
    held: int = 0  #: polls in flight at once before the agent's calls began
    queue_s: list[float] = field(default_factory=list)
    connect_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  #: any poll or leave not answered 200


async def _hold_polls_and_measure(server: Server) -> Measured:
    measured = Measured()
    limits = httpx.Limits(max_connections=POLLS + 20, max_keepalive_connections=None)
    async with httpx.AsyncClient(
        base_url=server.http_url, limits=limits, timeout=httpx.Timeout(30)
    ) as client:
        customers = await _register(client, POLLS)
        try:
            await _poll_while_the_agent_works(server, client, customers, measured)
        finally:
            await _leave(client, customers, measured.errors)
    return measured


async def _register(client: httpx.AsyncClient, count: int) -> list[tuple[str, str]]:
    customers: list[tuple[str, str]] = []
    gate = anyio.Semaphore(GATE)

    async def register() -> None:
        async with gate:
            response = await client.post(
                "/api/presence",
                json={
                    "app_id": "demo",
                    "device_id": "lp-" + secrets.token_hex(8),
                    "fields": FIELDS,
                    "custom": {},
                },
            )
        response.raise_for_status()
        body = response.json()
        customers.append((body["partner_id"], body["presence_key"]))

    with anyio.fail_after(60):
        async with anyio.create_task_group() as registering:
            for _ in range(count):
                registering.start_soon(register)
    return customers


async def _poll_while_the_agent_works(
    server: Server, client: httpx.AsyncClient, customers: list[tuple[str, str]], m: Measured
) -> None:
    stop = anyio.Event()
    in_flight = 0

    async def poll(partner_id: str, key: str) -> None:
        nonlocal in_flight
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            in_flight += 1
            try:
                response = await client.get(
                    f"/api/presence/{partner_id}/events",
                    params={"wait": 25},
                    headers={"X-Presence-Key": key},
                )
                if response.status_code != 200:
                    m.errors.append(f"poll: HTTP {response.status_code} {response.text[:200]}")
            except httpx.HTTPError as exc:
                m.errors.append(f"poll: {type(exc).__name__}: {exc}")
            finally:
                in_flight -= 1

    async with anyio.create_task_group() as pollers:
        for partner_id, key in customers:
            pollers.start_soon(poll, partner_id, key)
        try:
            give_up = time.monotonic() + 20
            while in_flight < POLLS and time.monotonic() < give_up:
                await anyio.sleep(0.05)
            m.held = in_flight
            if m.held == POLLS:
                with anyio.fail_after(60):
                    m.queue_s, m.connect_s = await anyio.to_thread.run_sync(
                        _agent_calls, server, abandon_on_cancel=True
                    )
        finally:
            # A poller ends once its held poll is answered; any still waiting after
            # STOP_S are cancelled, by anyio (see the module docstring).
            stop.set()
            pollers.cancel_scope.deadline = anyio.current_time() + STOP_S


async def _leave(
    client: httpx.AsyncClient, customers: list[tuple[str, str]], errors: list[str]
) -> None:
    """Leave the queue as we found it."""
    gate = anyio.Semaphore(GATE)

    async def leave(partner_id: str, key: str) -> None:
        async with gate:
            try:
                response = await client.delete(
                    f"/api/presence/{partner_id}", headers={"X-Presence-Key": key}
                )
            except httpx.HTTPError as exc:
                errors.append(f"leave: {type(exc).__name__}: {exc}")
                return
        if response.status_code >= 300:
            errors.append(f"leave: HTTP {response.status_code} {response.text[:200]}")

    with anyio.fail_after(60):
        async with anyio.create_task_group() as leaving:
            for partner_id, key in customers:
                leaving.start_soon(leave, partner_id, key)


@contextmanager
def _present(server: Server, partner_id: str, presence_key: str) -> Iterator[None]:
    """The customer holds one poll at a time, as its app does, so it stays online however
    long the connect takes under load (the test's lapse is 2 s; the connect's bound 5 s)."""
    stop = threading.Event()

    def keep_polling() -> None:
        client = HelpdeskClient(server.http_url, timeout_s=30)
        try:
            while not stop.is_set():
                client.poll(partner_id, presence_key, wait_s=0.5)
        finally:
            client.close()

    registered = presence_seen(server, partner_id)
    poller = threading.Thread(target=keep_polling, daemon=True)
    poller.start()
    try:
        wait_until(lambda: presence_seen(server, partner_id) > registered, 30)  # its first poll
        yield
    finally:
        stop.set()
        poller.join(60)


def _agent_calls(server: Server) -> tuple[list[float], list[float]]:
    """A few queue listings and connects, each timed, while the polls are held."""
    # Generous client timeouts: the bound is asserted by the test, not by a timeout.
    agent = HelpdeskClient(server.http_url, timeout_s=30)
    customer = HelpdeskClient(server.http_url, timeout_s=30)
    agent.login(server.credentials["agent"]["email"], server.credentials["agent"]["password"])
    queue_s: list[float] = []
    connect_s: list[float] = []
    try:
        for _ in range(5):
            started = time.monotonic()
            agent.queue("demo")
            queue_s.append(time.monotonic() - started)
            reg = customer.register("demo", "lpc-" + secrets.token_hex(8), FIELDS)
            with _present(server, reg.partner_id, reg.presence_key):
                started = time.monotonic()
                grant = agent.connect(reg.partner_id, reg.password)
                connect_s.append(time.monotonic() - started)
                agent.end_session(grant.session_id, "test")
            customer.leave(reg.partner_id, reg.presence_key)
    finally:
        agent.close()
        customer.close()
    return queue_s, connect_s


def test_held_long_polls_do_not_starve_queue_and_connect(server: Server) -> None:
    measured = asyncio.run(_hold_polls_and_measure(server))
    assert not measured.errors, measured.errors[:5]
    assert measured.held == POLLS, f"only {measured.held} polls in flight"
    assert max(measured.queue_s) < BOUND_S, measured.queue_s
    assert max(measured.connect_s) < BOUND_S, measured.connect_s
