"""Held long polls must not starve the other endpoints.

A long poll that blocked a worker thread while waiting would, with a few hundred
customers polling, use up the server's thread pool (about 40 threads) and leave the agent's
queue listing and connects waiting for seconds. This holds 300 polls open and checks that
both still answer within a functional bound (not a benchmark: see bench/server_longpoll.py).
"""

from __future__ import annotations

import asyncio
import secrets
import time

import httpx

from remoteapp.net.helpdesk import HelpdeskClient
from tests.helpdesk.server_process import Server

POLLS = 300
FIELDS = {"name": "Poll Load", "email": "poll.load@example.com"}
BOUND_S = 5.0


async def _hold_polls_and_measure(server: Server) -> tuple[list[float], list[float], list[str]]:
    errors: list[str] = []
    limits = httpx.Limits(max_connections=POLLS + 20, max_keepalive_connections=None)
    async with httpx.AsyncClient(
        base_url=server.http_url, limits=limits, timeout=httpx.Timeout(30)
    ) as client:
        gate = asyncio.Semaphore(16)

        async def register() -> tuple[str, str]:
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
            return body["partner_id"], body["presence_key"]

        customers = await asyncio.wait_for(asyncio.gather(*(register() for _ in range(POLLS))), 60)
        stop = asyncio.Event()
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
                        errors.append(f"HTTP {response.status_code}")
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                finally:
                    in_flight -= 1

        pollers = [asyncio.create_task(poll(p, k)) for p, k in customers]
        try:
            give_up = time.monotonic() + 20
            while in_flight < POLLS and time.monotonic() < give_up:
                await asyncio.sleep(0.05)
            assert in_flight == POLLS, f"only {in_flight} polls in flight"
            queue_s, connect_s = await asyncio.wait_for(asyncio.to_thread(_agent_calls, server), 60)
        finally:
            stop.set()
            for task in pollers:
                task.cancel()
            await asyncio.gather(*pollers, return_exceptions=True)
            for partner_id, key in customers:  # leave the queue as we found it
                await client.delete(f"/api/presence/{partner_id}", headers={"X-Presence-Key": key})
    return queue_s, connect_s, errors


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
    queue_s, connect_s, errors = asyncio.run(_hold_polls_and_measure(server))
    assert not errors, errors[:5]
    assert max(queue_s) < BOUND_S, queue_s
    assert max(connect_s) < BOUND_S, connect_s
