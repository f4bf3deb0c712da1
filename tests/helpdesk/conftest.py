"""One real helpdesk server (HTTP + relay) for the whole package, on ephemeral ports."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpdesk.admin import add_app, add_user
from helpdesk.db import make_engine, session_factory
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from tests.helpdesk.server_process import Server, start_server
from tests.postgres import new_database

SECRET = secrets.token_hex(32)
FAST = {
    "REMOTEAPP_RELAY_SECRET": SECRET,
    "REMOTEAPP_PRESENCE_LAPSE_S": "2",
    "REMOTEAPP_RATE_WINDOW_S": "3",
    "REMOTEAPP_RELAY_LAPSE_S": "2",
    "REMOTEAPP_SWEEP_S": "0.3",
}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """The server on the embedded default (SQLite) and on PostgreSQL: the same tests pass
    on both, so no SQLite-only SQL creeps in."""
    data_dir: Path = tmp_path_factory.mktemp("helpdesk")
    if request.param == "postgresql":
        db_url = new_database(request.getfixturevalue("postgres_cluster"))
        server = start_server(data_dir, FAST, ["--db", db_url])
    else:
        db_url = f"sqlite:///{data_dir / 'helpdesk.sqlite3'}"
        server = start_server(data_dir, FAST)
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    # Extra accounts the demo data lacks: an agent for brute-force tests (so the main
    # agent is never rate-limited) and a user with no role at all.
    add_user(sessions, "brute@example.com", "Brute Agent", "brute-pass", agent_of=["demo"])
    add_user(sessions, "stranger@example.com", "Stranger", "stranger-pass")
    add_user(
        sessions,
        "both@example.com",
        "Admin Agent",
        "both-pass",
        agent_of=["demo"],
        admin_of=["demo"],
    )
    add_app(
        sessions,
        "strict",
        "Strict Support",
        fields={"phone": "required", "organization": "hidden"},
        custom=[("contract", "Contract number", True), ("asset", "Asset tag", False)],
    )
    add_user(
        sessions, "strictagent@example.com", "Strict Agent", "strictagent-pass", agent_of=["strict"]
    )
    engine.dispose()
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


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
