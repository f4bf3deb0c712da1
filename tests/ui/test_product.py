"""The product end to end: server + relay, the customer app on one X display, the agent
window on another.  The agent looks up a ticket, gets the password wrong then right,
sees the customer's exact pixels, clicks and types into a field on the customer's
display; the customer ends the session; the ticket gets exactly one action naming both
people with the times."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from remoteapp.capture import ScreenGrabber
from remoteapp.net.helpdesk import HelpdeskClient
from remoteapp.ui.qt import QtCore, QtWidgets
from tests import pointer
from tests.conftest import LineReader, client_env, stop
from tests.helpdesk.server_process import Server, start_server
from tests.ui.product import (
    FIELD,
    agent_window,
    customer_password,
    look_up_ticket,
    pick_in_queue,
    start_without_ticket,
)


@pytest.fixture(scope="module")
def product_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("product"), {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32)}
    )
    yield server
    server.process.stop()


@pytest.mark.display
def test_ticket_session_with_password_end_to_end(
    qtbot: QtBot,
    product_server: Server,
    customer: tuple[LineReader, LineReader],
    xvfb_display: str,
    agent_display: str,
    tmp_path: Path,
) -> None:
    app_out, field_out = customer
    partner = re.search(r"partner=(\d+)", app_out.wait_for("customer event=registered", 30))
    assert partner is not None
    window, tickets = agent_window(product_server, tmp_path, qtbot)
    before = len(tickets.get_ticket(1)["actions"])

    dialog = look_up_ticket(window, qtbot, partner.group(1), 1)
    assert dialog.subject.text() == "Printer does not print"
    assert dialog.client.text() and dialog.owner.text()
    dialog.start.click()

    qtbot.waitUntil(lambda: getattr(window, "password_dialog", None) is not None)
    first = window.password_dialog
    first.setTextValue("abcdef ghjk")  # well-formed, and not the server's part
    first.accept()
    qtbot.waitUntil(lambda: window.password_dialog not in (None, first), timeout=10_000)
    assert window.status.text() == "Wrong partner ID or password."
    window.password_dialog.setTextValue(customer_password(app_out, xvfb_display))
    window.password_dialog.accept()

    qtbot.waitUntil(lambda: bool(window.viewers), timeout=20_000)
    viewer = next(iter(window.viewers.values()))
    viewer.fit_action.trigger()
    viewer.move(0, 0)
    viewer.resize(1500, 1000)
    app_out.wait_for("customer event=agent-joined agent='Demo Agent'", 30)

    with ScreenGrabber(display=xvfb_display) as grabber:

        def shows_customer_screen() -> None:
            screen = grabber.grab(1).pixels[..., :3]
            assert np.array_equal(viewer.view.picture()[..., :3], screen)

        qtbot.waitUntil(shows_customer_screen, timeout=20_000)

    qtbot.waitUntil(lambda: viewer.view.size() == QtCore.QSize(1280, 800))  # 1:1 laid out
    x, y = FIELD[0] + 30, FIELD[1] + 20
    target = viewer.view.mapToGlobal(QtCore.QPoint(x, y))
    pointer.click(agent_display, target.x(), target.y())
    env = client_env(agent_display)
    qtbot.waitUntil(lambda: field_out.saw("press") is not None, timeout=10_000)
    subprocess.run(
        ["xdotool", "type", "--delay", "30", "Resolvido"], env=env, check=True, timeout=20
    )
    qtbot.waitUntil(lambda: field_out.saw("text 'Resolvido'") is not None, timeout=10_000)

    # the customer ends the session with the button on the banner
    joined = next(line for line in app_out.seen if "end_button=" in line)
    bx, by = re.search(r"end_button=(\d+),(\d+)", joined).groups()  # type: ignore[union-attr]
    pointer.click(xvfb_display, bx, by)
    qtbot.waitUntil(
        lambda: viewer.badge.text() == "The customer ended the session.", timeout=15_000
    )
    assert viewer.end_reason == "customer ended the session"
    app_out.wait_for("customer event=session-ended", 15)

    def action_recorded() -> None:
        actions = tickets.get_ticket(1)["actions"]
        assert len(actions) == before + 1
        action = actions[-1]
        assert action["origin"] == 17
        assert "Demo Agent" in action["description"] and "Maria Silva" in action["description"]
        appointment = action["timeAppointments"][0]
        assert appointment["periodStart"] and appointment["periodEnd"]

    qtbot.waitUntil(action_recorded, timeout=20_000)
    window.flush_outbox()  # a second flush adds nothing: the outbox is empty, the API dedupes
    qtbot.wait(500)
    assert len(tickets.get_ticket(1)["actions"]) == before + 1


@pytest.mark.display
@pytest.mark.parametrize("customer_name", ["Joana Costa"])
def test_connect_from_the_queue_without_password_clipboard_both_ways(
    qtbot: QtBot,
    product_server: Server,
    customer: tuple[LineReader, LineReader],
    customer_name: str,
    xvfb_display: str,
    tmp_path: Path,
) -> None:
    app_out, _ = customer
    app_out.wait_for("customer event=registered", 30)
    window, _ = agent_window(product_server, tmp_path, qtbot)
    row = pick_in_queue(window, qtbot, customer_name)
    assert window.queue.item(row, 5).text() == ""  # agents see no passwords
    start_without_ticket(window, qtbot)
    assert getattr(window, "password_dialog", None) is None
    app_out.wait_for("customer event=agent-joined agent='Demo Agent'", 30)
    viewer = next(iter(window.viewers.values()))

    def in_progress_as_mine() -> None:
        table = window.in_progress
        rows = [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())]
        assert ("Demo Agent (you)", customer_name) in rows

    qtbot.waitUntil(in_progress_as_mine, timeout=15_000)  # the sessions tab, refreshed

    # the agent copies: the customer can paste it (read by another program there)
    QtWidgets.QApplication.clipboard().setText("Copiado pelo agente: ação 42")

    def customer_clipboard() -> None:
        got = subprocess.run(
            [sys.executable, "-m", "tests.ui.clipboard_tool", "get"],
            check=True,
            env=client_env(xvfb_display),
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert got.stdout.strip() == f"clipboard {'Copiado pelo agente: ação 42'!r}"

    qtbot.waitUntil(customer_clipboard, timeout=20_000)
    # another program on the customer's computer copies: the agent can paste it
    owner = subprocess.Popen(
        [sys.executable, "-m", "tests.ui.clipboard_tool", "set", "Do cliente\nduas linhas"],
        env=client_env(xvfb_display),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        LineReader(owner).wait_for("owner", 20)
        qtbot.waitUntil(
            lambda: QtWidgets.QApplication.clipboard().text() == "Do cliente\nduas linhas",
            timeout=15_000,
        )
    finally:
        stop(owner)

    with qtbot.waitSignal(viewer.session_ended, timeout=10_000):
        viewer.end_action.trigger()
    app_out.wait_for("customer event=session-ended", 15)


@pytest.mark.display
@pytest.mark.parametrize("customer_name", ["Lia Fechando"])
def test_a_closing_customer_app_leaves_the_queue_at_once(
    product_server: Server, customer: tuple[LineReader, LineReader], customer_name: str
) -> None:
    app_out, _ = customer
    partner = re.search(r"partner=(\d+)", app_out.wait_for("customer event=registered", 30))
    assert partner is not None

    def queued() -> set[str]:
        admin = HelpdeskClient(product_server.http_url)
        creds = product_server.credentials["admin"]
        admin.login(creds["email"], creds["password"])
        return {entry.partner_id for entry in admin.queue("demo")}

    assert partner.group(1) in queued()
    app_out.proc.terminate()  # SIGTERM, as a logout or a service manager sends it
    app_out.wait_for("app event=quit", 10)
    assert app_out.proc.wait(10) == 0
    assert partner.group(1) not in queued()  # at once, not after the ~30 s lapse
