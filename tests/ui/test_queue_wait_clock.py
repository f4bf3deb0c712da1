"""The queue's waiting time is the server's count, not this machine's clock against the
server's timestamp: an agent machine whose clock was minutes or hours off the server's
showed every customer as waiting "0:00" (a server ahead) or for hours (a server behind)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.net.helpdesk import HelpdeskClient
from remoteapp.ui.agent_tabs import QueueTab, waited, waiting_text
from tests.helpdesk.server_process import Server, start_server

LAPSE_S = 60  # a customer who has not polled for this long has left the queue


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Its own server, with a clock the test moves: its time runs ahead of this machine's."""
    server = start_server(
        tmp_path_factory.mktemp("queue-clock"),
        {
            "REMOTEAPP_RELAY_SECRET": secrets.token_hex(32),
            "REMOTEAPP_PRESENCE_LAPSE_S": str(LAPSE_S),
        },
        clocked=True,
    )
    yield server
    server.process.stop()


def test_the_wait_shown_is_the_servers_count(server: Server, qtbot: QtBot) -> None:
    server.advance(2 * 3600)  # the server's clock is two hours ahead of this machine's
    customer = HelpdeskClient(server.http_url, timeout_s=10)
    agent = HelpdeskClient(server.http_url, timeout_s=10)
    creds = server.credentials["agent"]
    agent.login(creds["email"], creds["password"])
    try:
        customer.register(
            "demo",
            "dev-" + secrets.token_hex(8),
            {"name": "Clara Relógio", "email": "clara@example.com"},
        )
        server.advance(LAPSE_S / 2)  # she has waited half a minute, by the server's clock
        entry = next(e for e in agent.queue("demo") if e.name == "Clara Relógio")
    finally:
        customer.close()
        agent.close()
    assert entry.waiting_s is not None and LAPSE_S / 2 <= entry.waiting_s < LAPSE_S
    assert waited(entry.waiting_since) == "0:00"  # this machine's clock: "not yet"
    tab = QueueTab()
    qtbot.addWidget(tab)
    tab.show_entries([entry])
    item = tab.table.item(0, 3)
    assert item is not None and item.text() == f"0:{entry.waiting_s:02d}"
    assert waiting_text(entry) == item.text()
