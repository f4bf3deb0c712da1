"""The agent app as its own process, driven the way a person would: connect from the
queue to the customer named NAME, on ticket TICKET; print ``driver event=session-started
session=ID`` once the viewer is open, then keep serving until killed (at most 120 s).
Tests kill it to check what survives an agent app that dies mid-session.

    python -m tests.ui.agent_driver HTTP_URL CREDENTIALS_JSON OUTBOX_DIR NAME TICKET
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from remoteapp.branding.profile import load_profile
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from remoteapp.tickets import TicketOutbox
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.qt import QtWidgets


def wait_until(app: QtWidgets.QApplication, ready: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"driver: timed out waiting for {ready}")
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    http_url, creds_path, outbox_dir, name, ticket = sys.argv[1:6]
    app = QtWidgets.QApplication(sys.argv[:1])
    creds = json.loads(Path(creds_path).read_text(encoding="utf-8"))
    client = HelpdeskClient(http_url)
    user = client.login(creds["agent"]["email"], creds["agent"]["password"])
    tickets = TicketClient(http_url, creds["token"])
    profile = load_profile().with_overrides(server_url=http_url, app_id="demo")
    window = AgentWindow(profile, client, user, tickets, TicketOutbox(Path(outbox_dir)))
    window.show()

    def row() -> int | None:
        names = [window.queue.item(r, 0).text() for r in range(window.queue.rowCount())]
        return names.index(name) if name in names else None

    window.refresh_queue()
    wait_until(app, lambda: row() is not None, 20)
    window.queue.selectRow(row() or 0)
    window.queue_connect.click()
    wait_until(app, lambda: getattr(window, "ticket_dialog", None) is not None, 10)
    dialog = window.ticket_dialog
    dialog.number.setText(ticket)
    dialog.lookup.click()
    wait_until(app, dialog.start.isEnabled, 10)
    dialog.start.click()
    wait_until(app, lambda: bool(window.viewers), 30)
    print(f"driver event=session-started session={next(iter(window.viewers))}", flush=True)
    wait_until(app, lambda: not window.viewers, 120)  # until killed
    return 0


if __name__ == "__main__":
    sys.exit(main())
