"""The real app over TLS end to end: the customer app (its own process, a profile file
that pins the test CA) and the agent window, against ``remoteapp-server --cert/--key``.
The customer registers over HTTPS, the agent connects from the queue, both join the
relay over TLS (``tls://``), run the end-to-end handshake and the session opens; the
agent ends it and the customer's app says so."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.branding.profile import load_profile
from remoteapp.branding.resources import resource_dir
from remoteapp.net import tls
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from remoteapp.tickets import TicketOutbox
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.qt import QtWidgets, is_alive
from tests import pointer
from tests.conftest import ROOT, LineReader, client_env, stop
from tests.helpdesk.server_process import Server
from tests.tls.conftest import Pki

NAME = "Tania Tls"


def pinned_profile(server: Server, pki: Pki, where: Path) -> Path:
    """The source profile pointed at ``server``, pinning the test CA (as a file)."""
    raw = json.loads((resource_dir() / "profile.json").read_text(encoding="utf-8"))
    raw.pop("logo", None)
    (where / "company-ca.pem").write_text(pki.ca.pem, encoding="ascii")
    raw |= {"server_url": server.http_url, "app_id": "demo", "tls_ca": "company-ca.pem"}
    path = where / "profile.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def presence_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("presence")]


@pytest.mark.display
def test_the_app_over_https_and_a_tls_relay(
    qtbot: QtBot,
    qapp: QtWidgets.QApplication,
    tls_server: Server,
    pki: Pki,
    pinned: tls.TrustPolicy,
    xvfb_display: str,
    tmp_path: Path,
) -> None:
    profile_path = pinned_profile(tls_server, pki, tmp_path)
    env = {**client_env(xvfb_display), "XDG_DATA_HOME": str(tmp_path / "customer-data")}
    app = subprocess.Popen(
        [sys.executable, "-m", "remoteapp", "--profile", str(profile_path), "--lang", "en"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    app_out = LineReader(app)
    window: AgentWindow | None = None
    try:
        app_out.wait_for("app event=started", 30)
        pointer.click(env["DISPLAY"], 200, 20)
        xdo = ["xdotool"]
        for args in (
            ["type", "--delay", "20", NAME],
            ["key", "Tab"],
            ["type", "--delay", "20", "tania@acme.example"],
            ["key", "Return"],
        ):
            subprocess.run([*xdo, *args], env=env, check=True, timeout=20)
        app_out.wait_for("customer event=registered", 30)  # over HTTPS, pinned CA

        creds = tls_server.credentials
        client = HelpdeskClient(tls_server.http_url)
        user = client.login(creds["agent"]["email"], creds["agent"]["password"])
        tickets = TicketClient(tls_server.http_url, creds["token"])
        profile = load_profile(profile_path)
        window = AgentWindow(profile, client, user, tickets, TicketOutbox(tmp_path / "outbox"))
        qtbot.addWidget(window)
        window.show()
        window.refresh_queue()

        def row() -> int:
            names = [window.queue.item(r, 0).text() for r in range(window.queue.rowCount())]
            assert names.count(NAME) == 1
            return names.index(NAME)

        qtbot.waitUntil(lambda: row() is not None, timeout=15_000)
        window.queue.selectRow(row())
        window.queue_connect.click()
        qtbot.waitUntil(lambda: getattr(window, "ticket_dialog", None) is not None)
        window.ticket_dialog.no_ticket.click()
        yes = QtWidgets.QMessageBox.StandardButton.Yes
        window.ticket_dialog.confirm_box.button(yes).click()
        qtbot.waitUntil(lambda: bool(window.viewers), timeout=30_000)  # joined over TLS
        app_out.wait_for("customer event=agent-joined agent='Demo Agent'", 30)
        viewer = next(iter(window.viewers.values()))
        with qtbot.waitSignal(viewer.session_ended, timeout=10_000):
            viewer.end_action.trigger()
        app_out.wait_for("customer event=session-ended", 15)
    finally:
        stop(app)
        if window is not None and is_alive(window):
            window.close()
        qtbot.waitUntil(lambda: not presence_threads(), timeout=15_000)
