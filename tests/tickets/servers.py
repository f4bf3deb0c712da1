"""The fixtures of the outbox and record tests (tests/tickets/conftest.py makes them
theirs; a module elsewhere imports what it uses): each module its own real helpdesk
server (a module's tickets and sessions are its own), the ticket client of its token,
and a middlebox between an app and that server."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from remoteapp.net.helpdesk import TicketClient
from tests.helpdesk.server_process import Server, start_server
from tests.tickets.middlebox import Middlebox, middlebox


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    name = request.module.__name__.rpartition(".")[2]
    server = start_server(
        tmp_path_factory.mktemp(f"{name}-server"),
        {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32)},
    )
    yield server
    server.process.stop()


@pytest.fixture
def tickets(server: Server) -> Iterator[TicketClient]:
    client = TicketClient(server.http_url, server.credentials["token"])
    yield client
    client.close()


@pytest.fixture
def box_between(server: Server) -> Iterator[Middlebox]:
    with middlebox(server.http_url) as box:
        yield box


@pytest.fixture
def through(server: Server, box_between: Middlebox) -> Iterator[TicketClient]:
    """The ticket client of an app whose way to the server passes the middlebox."""
    client = TicketClient(box_between.url, server.credentials["token"], timeout_s=1)
    yield client
    client.close()
