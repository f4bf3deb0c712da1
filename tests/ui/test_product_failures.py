"""The product when something dies mid-session: the relay (both apps show the session
ended and the ticket action is still written) or the agent app (its action is sent on the
agent's next start, exactly once).  The server runs without its own relay and hands out
the address of a lone ``remoteapp-relay`` process that the test can kill."""

from __future__ import annotations

import json
import re
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.net.helpdesk import TicketClient, session_id_in
from remoteapp.tickets import TicketOutbox
from remoteapp.ui.end_reasons import end_reason_text
from tests.conftest import ROOT, LineReader, client_env, stop
from tests.helpdesk.server_process import Process, Server, spawn, start_server
from tests.ui.product import agent_window, customer_password, look_up_ticket

SECRET = {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32)}
TICKET = 2


@pytest.fixture(scope="module")
def relay_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def product_server(tmp_path_factory: pytest.TempPathFactory, relay_port: int) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("failures"),
        SECRET,
        ["--no-relay", "--public-relay", f"127.0.0.1:{relay_port}"],
    )
    yield server
    server.process.stop()


@pytest.fixture
def relay(product_server: Server, relay_port: int) -> Iterator[Process]:
    """A fresh lone relay for each test (one of them kills it)."""
    process = spawn(
        [
            "-m",
            "remoterelay",
            "--port",
            str(relay_port),
            "--relay-host",
            "127.0.0.1",
            "--helpdesk-url",
            product_server.http_url,
            "--heartbeat",
            "0.5",
        ],
        SECRET,
    )
    try:
        process.wait_for(r"relay event=listening")
        yield process
    finally:
        process.stop()


def session_actions(tickets: TicketClient, session_id: str) -> list[dict]:
    actions = tickets.get_ticket(TICKET)["actions"]
    return [a for a in actions if session_id_in(a.get("description") or "") == session_id]


def the_action(tickets: TicketClient, session_id: str) -> dict:
    """The session's one action (AssertionError, which ``waitUntil`` retries, until then)."""
    found = session_actions(tickets, session_id)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.display
@pytest.mark.parametrize("customer_name", ["Caio Relay"])
def test_relay_killed_mid_session_both_apps_end_and_the_action_is_written(
    qtbot: QtBot,
    product_server: Server,
    relay: Process,
    customer: tuple[LineReader, LineReader],
    customer_name: str,
    tmp_path: Path,
    xvfb_display: str,
) -> None:
    app_out, _ = customer
    partner = re.search(r"partner=(\d+)", app_out.wait_for("customer event=registered", 30))
    assert partner is not None
    window, tickets = agent_window(product_server, tmp_path, qtbot)
    look_up_ticket(window, qtbot, partner.group(1), TICKET).start.click()
    qtbot.waitUntil(lambda: getattr(window, "password_dialog", None) is not None)
    window.password_dialog.setTextValue(customer_password(app_out, xvfb_display))
    window.password_dialog.accept()
    qtbot.waitUntil(lambda: bool(window.viewers), timeout=20_000)
    session_id, viewer = next(iter(window.viewers.items()))
    app_out.wait_for("customer event=agent-joined", 30)

    relay.proc.kill()  # SIGKILL: no goodbye to anyone

    qtbot.waitUntil(lambda: viewer.end_reason != "", timeout=15_000)
    assert viewer.badge.text() == end_reason_text(viewer.end_reason)
    app_out.wait_for("customer event=session-ended", 15)

    def action_written() -> None:
        action = the_action(tickets, session_id)
        assert "Demo Agent" in action["description"] and customer_name in action["description"]
        assert action["timeAppointments"][0]["periodEnd"]

    qtbot.waitUntil(action_written, timeout=20_000)


def seen(reader: LineReader, prefix: str, lines: list[str]) -> bool:
    """Whether a line starting with ``prefix`` has come (kept in ``lines``), not waiting."""
    line = reader.saw(prefix)
    if line is not None:
        lines.insert(0, line)
    return line is not None


@pytest.mark.display
@pytest.mark.parametrize("customer_name", ["Rui Abandonado"])
def test_agent_app_killed_mid_session_its_action_is_sent_on_the_next_start(
    qtbot: QtBot,
    product_server: Server,
    relay: Process,
    customer: tuple[LineReader, LineReader],
    customer_name: str,
    agent_display: str,
    tmp_path: Path,
) -> None:
    app_out, _ = customer
    app_out.wait_for("customer event=registered", 30)
    outbox = tmp_path / "agent-outbox"
    creds = tmp_path / "demo-credentials.json"
    creds.write_text(json.dumps(product_server.credentials), encoding="utf-8")
    driver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.ui.agent_driver",
            product_server.http_url,
            str(creds),
            str(outbox),
            customer_name,
            str(TICKET),
        ],
        cwd=ROOT,
        env={**client_env(agent_display), "XDG_DATA_HOME": str(tmp_path / "agent-data")},
        stdout=subprocess.PIPE,
        text=True,
    )
    out = LineReader(driver)
    try:
        # waits that keep this process's Qt event loop running: its earlier windows may own
        # the agent display's clipboard, which the driver's viewer reads as it opens
        lines: list[str] = []
        qtbot.waitUntil(lambda: seen(out, "driver event=session-started", lines), timeout=60_000)
        started = re.search(r"session=(\S+)", lines[0])
        assert started is not None
        qtbot.waitUntil(lambda: seen(app_out, "customer event=agent-joined", lines), timeout=30_000)
        driver.kill()  # SIGKILL: the session record never got its end
        driver.wait(10)
    finally:
        stop(driver)
    session_id = started.group(1)
    app_out.wait_for("customer event=session-ended", 20)
    [left] = TicketOutbox(outbox).pending()
    assert (left.session_id, left.end) == (session_id, None)
    assert left.agent == "Demo Agent" and len(left.partner) == 9 and left.partner.isdigit()
    tickets = TicketClient(product_server.http_url, product_server.credentials["token"])
    assert session_actions(tickets, session_id) == []

    agent_window(product_server, tmp_path, qtbot, outbox)  # the agent app's next start

    def action_sent() -> None:
        action = the_action(tickets, session_id)
        assert "Demo Agent" in action["description"] and customer_name in action["description"]
        appointment = action["timeAppointments"][0]
        assert appointment["periodStart"] and appointment["periodEnd"]

    qtbot.waitUntil(action_sent, timeout=20_000)
    qtbot.waitUntil(lambda: TicketOutbox(outbox).pending() == [], timeout=10_000)
