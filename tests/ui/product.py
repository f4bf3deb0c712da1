"""The product's test helpers: the agent window against a test server, the customer's
password as an agent learns it."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from remoteapp.branding.profile import load_profile
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from remoteapp.tickets import TicketOutbox
from remoteapp.ui.agent_dialogs import TicketDialog
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.qt import QtWidgets
from remotewire.passwords import LENGTH
from tests import pointer
from tests.conftest import ROOT, LineReader, client_env
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


def pick_in_queue(window: AgentWindow, qtbot: QtBot, customer_name: str) -> int:
    """Refresh the queue and select ``customer_name``, listed once: its row."""
    window.refresh_queue()

    def row() -> int:
        names = [window.queue.item(r, 0).text() for r in range(window.queue.rowCount())]
        assert names.count(customer_name) == 1
        return names.index(customer_name)

    qtbot.waitUntil(lambda: row() is not None, timeout=10_000)
    window.queue.selectRow(row())
    return row()


def start_without_ticket(window: AgentWindow, qtbot: QtBot) -> None:
    """Connect to the selected customer, no ticket (its confirmation answered Yes): the
    queue vouches for the customer, so the viewer opens without a password."""
    window.queue_connect.click()
    qtbot.waitUntil(lambda: getattr(window, "ticket_dialog", None) is not None)
    dialog = window.ticket_dialog
    dialog.no_ticket.click()  # confirm that a new ticket will be opened
    dialog.confirm_box.button(QtWidgets.QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: bool(window.viewers), timeout=20_000)


def customer_password(app_out: LineReader, display: str) -> str:
    """The customer's whole password, learnt as the agent would hear it: the Copy button
    next to it (the customer app says where it is) clicked on the customer's display, and
    that display's clipboard read by another program. The server knows only its part."""
    line = app_out.wait_for("customer event=shown", 30)
    found = re.search(r"password_copy=(\d+),(\d+)", line)
    assert found is not None, line
    pointer.click(display, *found.groups())
    env = client_env(display)
    for _ in range(20):  # each read is a process run: the click lands meanwhile
        out = subprocess.run(
            [sys.executable, "-m", "tests.ui.clipboard_tool", "get"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        text = ast.literal_eval(out.split("clipboard ", 1)[1].strip())
        if len(text) == LENGTH:
            return str(text)
    raise AssertionError(f"the customer's clipboard holds {text!r}, not a password")
