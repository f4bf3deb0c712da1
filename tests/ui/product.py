"""The product's test helpers: the agent window against a test server, queue passwords."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from remoteapp.branding.profile import load_profile
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from remoteapp.tickets import TicketOutbox
from remoteapp.ui.agent_dialogs import TicketDialog
from remoteapp.ui.agent_window import AgentWindow
from tests.helpdesk.server_process import Server

FIELD = (700, 500, 400, 40)  # the customer's text field, away from the customer window


def agent_window(
    server: Server, tmp_path: Path, qtbot: QtBot, outbox: Path | None = None
) -> tuple[AgentWindow, TicketClient]:
    """The agent's window, logged in as the demo agent (``outbox``: its outbox directory)."""
    creds = server.credentials
    client = HelpdeskClient(server.http_url)
    user = client.login(creds["agent"]["email"], creds["agent"]["password"])
    tickets = TicketClient(server.http_url, creds["token"])
    profile = load_profile().with_overrides(server_url=server.http_url, app_id="demo")
    window = AgentWindow(
        profile, client, user, tickets, TicketOutbox(outbox or tmp_path / "outbox")
    )
    qtbot.addWidget(window)
    window.show()
    return window, tickets


def look_up_ticket(window: AgentWindow, qtbot: QtBot, partner: str, ticket: int) -> TicketDialog:
    """Partner ID, Connect, the ticket number and Look up: the dialog, ready to start."""
    window.partner.setText(partner)
    window.connect_button.click()
    qtbot.waitUntil(lambda: getattr(window, "ticket_dialog", None) is not None)
    dialog = window.ticket_dialog
    dialog.number.setText(str(ticket))
    dialog.lookup.click()
    qtbot.waitUntil(dialog.start.isEnabled, timeout=10_000)
    return dialog


def queue_password(server: Server, partner: str) -> str:
    """Administrators see queue passwords (that is how the test learns the right one)."""
    admin = HelpdeskClient(server.http_url)
    admin.login(server.credentials["admin"]["email"], server.credentials["admin"]["password"])
    for entry in admin.queue("demo"):
        if entry.partner_id == partner and entry.password:
            return entry.password
    raise AssertionError(f"{partner} is not in the queue")
