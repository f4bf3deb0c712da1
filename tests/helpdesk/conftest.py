"""One real helpdesk server (HTTP + relay) for the whole package, on ephemeral ports.

Time, without sleeping. Every rule of the server that depends on time (presence lapse,
failure windows, offer expiry, relay silence, recorded durations) reads one injected
``helpdesk.clock.Clock``. The server here is the real ``remoteapp-server`` in its own
process (uvicorn on a real TCP socket, the relay, SQLite or PostgreSQL), started through
``tests/helpdesk/clocked_server.py``, whose clock is real time plus an offset. A test
moves time with ``server.advance(seconds)``: the offset grows (a line on the server's
stdin), and the call returns once the server has acknowledged it on stdout. So a test
that checks a 2 s lapse advances 2 s instead of sleeping them, and nothing in the
product serves tests: the clock is only a constructor argument there.

Time only moves forward, for the whole (session-wide) server: moving it past the relay
lapse while another session is connected would end that one as ``relay-lost``; tests
run one at a time and end their sessions, so none is. Waits for I/O (a held poll, the
sweeper's period) stay on real time; what a test cannot see from outside (a poll that
has reached the server) it reads from the server's database (``presence_seen``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from helpdesk.admin import add_app, add_user
from helpdesk.db import db_factory, make_engine
from helpdesk.models import Presence
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from tests.helpdesk.server_process import Server, start_server
from tests.postgres import new_database

SECRET = secrets.token_hex(32)
# Short lapses and windows: tests move the clock past them; the presence lapse also caps
# how long a poll is held (two thirds of it), which keeps held polls short. The failure
# window is longer: six argon2 checks in a row (a wrong login, or an unknown email's
# dummy check) take over 3 s on a busy machine, and the count must not lapse meanwhile.
FAST = {
    "REMOTEAPP_RELAY_SECRET": SECRET,
    "REMOTEAPP_PRESENCE_LAPSE_S": "2",
    "REMOTEAPP_RATE_WINDOW_S": "20",
    "REMOTEAPP_RELAY_LAPSE_S": "2",
    "REMOTEAPP_SWEEP_S": "0.3",
    # the whole package registers from 127.0.0.1 (load tests too): the registration
    # limits are tested on their own server (test_redteam_registration.py)
    "REMOTEAPP_REGISTER_PER_ADDRESS": "1000000",
    "REMOTEAPP_REGISTER_PER_APP": "1000000",
}


def db_args(request: pytest.FixtureRequest) -> list[str]:
    """The server's database arguments for a fixture parametrized ``sqlite``/``postgresql``:
    none for the embedded default, a fresh database of the test cluster for PostgreSQL."""
    if request.param == "postgresql":
        return ["--db", new_database(request.getfixturevalue("postgres_cluster"))]
    return []


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """The server on the embedded default (SQLite) and on PostgreSQL: the same tests pass
    on both, so no SQLite-only SQL creeps in."""
    data_dir: Path = tmp_path_factory.mktemp("helpdesk")
    server = start_server(data_dir, FAST, db_args(request), clocked=True)
    engine = make_engine(server.db_url)
    factory = db_factory(engine)
    # Extra accounts the demo data lacks: an agent for brute-force tests (so the main
    # agent is never rate-limited) and a user with no role at all.
    add_user(factory, "brute@example.com", "Brute Agent", "brute-pass", agent_of=["demo"])
    add_user(factory, "stranger@example.com", "Stranger", "stranger-pass")
    add_user(
        factory,
        "both@example.com",
        "Admin Agent",
        "both-pass",
        agent_of=["demo"],
        admin_of=["demo"],
    )
    add_app(
        factory,
        "strict",
        "Strict Support",
        fields={"phone": "required", "organization": "hidden"},
        custom=[("contract", "Contract number", True), ("asset", "Asset tag", False)],
    )
    add_user(
        factory, "strictagent@example.com", "Strict Agent", "strictagent-pass", agent_of=["strict"]
    )
    engine.dispose()
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


def wait_until(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Until ``check()`` holds (something the server does on its own), bounded."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)


def presence_seen(server: Server, partner_id: str) -> datetime:
    """When the server last heard from a customer (``last_seen``: a poll refreshes it)."""
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            seen = db.scalar(select(Presence.last_seen).where(Presence.partner_id == partner_id))
    finally:
        engine.dispose()
    assert seen is not None, f"no presence {partner_id}"
    return seen


def login(server: Server, who: str) -> HelpdeskClient:
    client = HelpdeskClient(server.http_url, timeout_s=10)
    if who in ("admin", "agent"):
        creds = server.credentials[who]
        client.login(creds["email"], creds["password"])
    else:
        client.login(f"{who}@example.com", f"{who}-pass")
    return client


@pytest.fixture
def agent(server: Server) -> Iterator[HelpdeskClient]:
    client = login(server, "agent")
    yield client
    client.close()


@pytest.fixture
def admin(server: Server) -> Iterator[HelpdeskClient]:
    client = login(server, "admin")
    yield client
    client.close()


@pytest.fixture
def customer(server: Server) -> Iterator[HelpdeskClient]:
    client = HelpdeskClient(server.http_url, timeout_s=10)
    yield client
    client.close()


@pytest.fixture
def tickets(server: Server) -> Iterator[TicketClient]:
    client = TicketClient(server.http_url, server.credentials["token"], timeout_s=10)
    yield client
    client.close()


def device() -> str:
    return "dev-" + secrets.token_hex(8)
