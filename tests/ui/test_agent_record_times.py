"""A session record's start and end are the server's (helper-102's review): this
machine's clock hours off the server's billed a 5-second session 3 hours, or dated its
action in the future, while a crashed app's record, completed from the server's state,
mixed the two clocks ("Start 11:01:05 ... End 08:01:11"). Against a real server whose
clock runs three hours ahead of this machine's, and a real relay."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from remoteapp.tickets import TicketOutbox
from remoteapp.tickets.record import parse_time
from remoteapp.ui.agent_records import AgentRecords
from remoteapp.ui.qt import QtCore
from remotewire.relay_join import open_relay
from tests.helpdesk.server_process import Server, start_server

AHEAD_S = 3 * 3600
SESSION_S = 600  # by the server's clock


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("record-times"),
        {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32), "REMOTEAPP_PRESENCE_LAPSE_S": "3600"},
        clocked=True,
    )
    yield server
    server.process.stop()


def test_the_record_is_on_the_servers_clock(server: Server, qtbot: QtBot, tmp_path: Path) -> None:
    server.advance(AHEAD_S)
    customer = HelpdeskClient(server.http_url, timeout_s=10)
    agent = HelpdeskClient(server.http_url, timeout_s=10)
    user = agent.login(
        server.credentials["agent"]["email"], server.credentials["agent"]["password"]
    )
    # a ticket API out of reach keeps the record in the outbox, to be read
    tickets = TicketClient("http://127.0.0.1:1", "token", timeout_s=10)
    parent = QtCore.QObject()
    records = AgentRecords(parent, TicketOutbox(tmp_path / "outbox"), agent, tickets, user)
    try:
        reg = customer.register(
            "demo", "dev-" + secrets.token_hex(8), {"name": "Ana", "email": "ana@example.com"}
        )
        grant = agent.connect(reg.partner_id, reg.password)
        offer = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers[0]
        record = records.store_open(grant.session_id, 2, None, "Ana", reg.partner_id)
        assert abs(record.start - datetime.now(UTC)) < timedelta(seconds=5)  # this machine's

        async def session() -> None:
            (_, a), (_, c) = await asyncio.gather(
                open_relay(grant.relay, grant.token), open_relay(offer.relay, offer.token)
            )
            await asyncio.to_thread(
                qtbot.waitUntil,
                lambda: agent.session_state(grant.session_id).state == "connected",
                timeout=10_000,
            )
            await asyncio.to_thread(server.advance, SESSION_S)
            a.close()
            c.close()

        asyncio.run(session())
        qtbot.waitUntil(lambda: agent.session_state(grant.session_id).state == "ended")
        state = agent.session_state(grant.session_id)
        records.session_over(record, customer="Ana", partner=reg.partner_id, reason="x")
        outbox = records.outbox
        qtbot.waitUntil(lambda: any(r.end for r in outbox.pending()), timeout=15_000)
        [done] = outbox.pending()
    finally:
        for client in (customer, agent, tickets):
            client.close()
    assert done.start == parse_time(state.connected_at)
    assert done.end == parse_time(state.ended_at)
    assert done.start - record.start > timedelta(seconds=AHEAD_S - 60)
    assert timedelta(seconds=SESSION_S) <= done.end - done.start < timedelta(seconds=SESSION_S + 30)
