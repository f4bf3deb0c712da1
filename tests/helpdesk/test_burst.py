"""A burst of requests is answered, never stalled.

Each request keeps its database session, and the connection in it, from the thread of
its dependencies to the thread of its endpoint. Unbounded, a burst of a few hundred
requests took every pooled connection that way while every thread waited for one: the
server went silent for the pool's whole timeout, then answered 500. Now a request waits
for a session before taking anything (``helpdesk.db.RequestSessions``): every answer is
a 200, or a 503 ``server-busy`` with Retry-After if the wait ran out.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import anyio
import httpx

from tests.helpdesk.server_process import Server

BURST = 300


async def _burst(server: Server) -> Counter[str]:
    answers: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=None)
    async with httpx.AsyncClient(
        base_url=server.http_url, limits=limits, timeout=httpx.Timeout(30)
    ) as client:
        creds = server.credentials["agent"]
        login = await client.post(
            "/api/login", json={"email": creds["email"], "password": creds["password"]}
        )
        login.raise_for_status()
        bearer = {"Authorization": f"Bearer {login.json()['token']}"}

        async def list_queue() -> None:
            try:
                response = await client.get("/api/apps/demo/queue", headers=bearer)
            except httpx.HTTPError as exc:
                answers[type(exc).__name__] += 1
                return
            code = response.json().get("code", "") if response.status_code != 200 else ""
            answers[f"{response.status_code} {code}".strip()] += 1

        with anyio.fail_after(120):
            async with anyio.create_task_group() as burst:
                for _ in range(BURST):
                    burst.start_soon(list_queue)
    return answers


def test_a_burst_of_authenticated_requests_is_answered(server: Server) -> None:
    answers = asyncio.run(_burst(server))
    assert set(answers) <= {"200", "503 server-busy"}, answers
