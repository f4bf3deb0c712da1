"""Connect codes in the agent app, against a real server and a real customer app: a code
copied from the console's monitoring page, pasted into the partner-ID field, connects
with no password prompt; an expired or foreign one says so (the server's error code
decides, not its words); a ``remoteapp://`` link's code and ticket are filled in."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from helpdesk.services import connect_codes
from helpdesk.settings import Settings
from remoteapp.net.helpdesk import HelpdeskClient
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.qt import QtWidgets, is_alive
from tests.conftest import LineReader
from tests.helpdesk.server_process import Server, start_server
from tests.ui.product import agent_window

SECRET = secrets.token_hex(32)
ENV = {"REMOTEAPP_RELAY_SECRET": SECRET, "REMOTEAPP_SERVER_SECRET": SECRET + "-server"}


@pytest.fixture(scope="module")
def product_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("codes"), ENV)
    yield server
    server.process.stop()


def code_for(window: AgentWindow, partner_id: str, *, age_s: int = 0, user_id: int = 0) -> str:
    """The text the console's copy icon gives this agent (``age_s`` ago), made with the
    server's secret as the server makes it."""
    settings = Settings(
        secret=SECRET.encode(), server_secret=ENV["REMOTEAPP_SERVER_SECRET"].encode()
    )
    expiry = int(time.time()) + connect_codes.TTL_S - age_s
    mac = connect_codes._mac(settings, partner_id, user_id or int(window.user["id"]), expiry)
    return f"{partner_id}-{connect_codes._base36(expiry)}-{mac}"


def no_ticket(window: AgentWindow, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: getattr(window, "ticket_dialog", None) is not None)
    window.ticket_dialog.no_ticket.click()
    window.ticket_dialog.confirm_box.button(QtWidgets.QMessageBox.StandardButton.Yes).click()


@pytest.mark.display
@pytest.mark.parametrize("customer_name", ["Carla Codigo"])
def test_a_pasted_code_connects_without_the_password_dialog(
    qtbot: QtBot, product_server: Server, customer: tuple[LineReader, LineReader], tmp_path: Path
) -> None:
    app_out, _ = customer
    partner = re.search(r"partner=(\d+)", app_out.wait_for("customer event=registered", 30))
    assert partner is not None
    window, _ = agent_window(product_server, tmp_path, qtbot)
    code = code_for(window, partner.group(1))
    window.partner.setText(f"  {code.upper()}\n")  # as pasted: blanks, any case
    window.connect_button.click()
    no_ticket(window, qtbot)
    qtbot.waitUntil(lambda: bool(window.viewers), timeout=20_000)
    assert getattr(window, "password_dialog", None) is None
    app_out.wait_for("customer event=agent-joined agent='Demo Agent'", 30)
    assert window.status.text() == f"Connected to {partner.group(1)}."
    next(iter(window.viewers.values())).session.end("test over")
    qtbot.waitUntil(lambda: not window.viewers, timeout=15_000)


@pytest.mark.display
def test_an_expired_or_foreign_code_says_so_and_asks_no_password(
    qtbot: QtBot, product_server: Server, tmp_path: Path
) -> None:
    customer = HelpdeskClient(product_server.http_url)
    reg = customer.register(
        "demo", uuid.uuid4().hex, {"name": "Pedro Prazo", "email": "pedro@acme.example"}
    )
    try:
        window, _ = agent_window(product_server, tmp_path, qtbot)
        window.partner.setText(code_for(window, reg.partner_id, age_s=connect_codes.TTL_S + 60))
        window.connect_button.click()
        no_ticket(window, qtbot)
        expired = "This connect code has expired: copy the customer again from the monitoring page."
        qtbot.waitUntil(lambda: window.status.text() == expired, timeout=10_000)

        window.partner.setText(code_for(window, reg.partner_id, user_id=10_000))
        window.connect_button.click()
        no_ticket(window, qtbot)
        qtbot.waitUntil(
            lambda: window.status.text().startswith(
                "This connect code was issued to another agent or is damaged"
            ),
            timeout=10_000,
        )
        assert getattr(window, "password_dialog", None) is None
        assert not window.viewers
    finally:
        customer.leave(reg.partner_id, reg.presence_key)
        customer.close()


@pytest.mark.display
def test_a_link_fills_the_code_and_looks_the_ticket_up(
    qtbot: QtBot, product_server: Server, tmp_path: Path
) -> None:
    window, _ = agent_window(product_server, tmp_path, qtbot)
    code = code_for(window, "123456789")
    window.open_link(code, 1)
    assert window.partner.text() == code
    qtbot.waitUntil(lambda: getattr(window, "ticket_dialog", None) is not None)
    dialog = window.ticket_dialog
    assert dialog.number.text() == "1"
    qtbot.waitUntil(dialog.start.isEnabled, timeout=10_000)
    assert dialog.subject.text() == "Printer does not print"
    window.open_link(code, None)  # a second link replaces the open dialog
    qtbot.waitUntil(lambda: window.ticket_dialog not in (None, dialog))
    assert not (is_alive(dialog) and dialog.isVisible())  # rejected (and let go of)
    assert window.ticket_dialog.number.text() == ""
    window.ticket_dialog.reject()
