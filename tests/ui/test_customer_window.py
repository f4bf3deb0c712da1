"""The customer window against a real server process: a retry countdown that keeps
counting while the server cannot be reached, registration once it can; and the admin's
required fields, which must be filled in before the app registers."""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.branding.profile import load_profile
from remoteapp.net.helpdesk import ErrorCode, HelpdeskClient, QueueEntry
from remoteapp.ui.connect_refusals import form_refusal_text
from remoteapp.ui.customer_window import CustomerWindow
from remoteapp.ui.qt import QtCore
from remotewire.customer_fields import MAX_FIELD_LENGTH
from remotewire.passwords import LENGTH, LOCAL_PART, split_password
from tests.helpdesk.server_process import Server, free_port, start_server

ENV = {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32)}
COUNTDOWN = re.compile(r"The server cannot be reached\. Retrying in (\d+) s\.")


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Servers a test starts itself; all are stopped afterwards."""
    started: list[Server] = []
    yield started
    for server in started:
        server.process.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("customer-window"), ENV)
    yield server
    server.process.stop()


def customer_window(server_url: str, qtbot: QtBot) -> CustomerWindow:
    profile = load_profile().with_overrides(server_url=server_url, app_id="demo")
    assert [(f.key, f.required) for f in profile.fields][:2] == [("name", True), ("email", True)]
    window = CustomerWindow(profile)
    qtbot.addWidget(window)
    window.show()
    return window


def queued(server: Server, name: str) -> list[QueueEntry]:
    """The queue entries of customer ``name``, as an administrator sees them (with IDs)."""
    admin = HelpdeskClient(server.http_url)
    creds = server.credentials["admin"]
    admin.login(creds["email"], creds["password"])
    try:
        return [entry for entry in admin.queue("demo") if entry.name == name]
    finally:
        admin.close()


def shows_registration(window: CustomerWindow, server: Server, name: str) -> None:
    """The ID and password page, with the values the server has for this customer."""
    assert window.pages.currentIndex() == 1
    assert window.id_value.isVisible() and window.password_value.isVisible()
    shown_id = window.id_value.value.text()
    assert re.fullmatch(r"\d{3} \d{3} \d{3}", shown_id), shown_id
    assert window.status.text() == "Waiting for the agent to connect."
    [entry] = queued(server, name)
    assert entry.partner_id == shown_id.replace(" ", "")
    # the server knows only its part; the app adds a local part only it knows
    shown = window.password_value.value.text()
    assert entry.password and split_password(shown) == (entry.password, shown[-LOCAL_PART:])
    assert len(shown) == LENGTH


@pytest.mark.display
def test_countdown_while_the_server_is_unreachable_then_registers(
    qtbot: QtBot, servers: list[Server], tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here until the test starts the server
    window = customer_window(f"http://127.0.0.1:{port}", qtbot)
    window.inputs["name"].setText("Carla Contagem")
    window.inputs["email"].setText("carla@acme.example")
    window.submit_button.click()

    seen: list[int] = []  # every number the countdown showed, in order

    def counted_down() -> None:
        match = COUNTDOWN.fullmatch(window.status.text())
        if match and (not seen or seen[-1] != int(match.group(1))):
            seen.append(int(match.group(1)))
        assert any(b == a - 1 for a, b in itertools.pairwise(seen)), seen

    qtbot.waitUntil(counted_down, timeout=15_000)  # it ticks: "2 s", then "1 s"
    assert window.pages.currentIndex() == 0 and window.isVisible()
    # the GUI thread is free while the app waits for the server: events run at once
    ran: list[bool] = []
    QtCore.QTimer.singleShot(0, lambda: ran.append(True))
    qtbot.waitUntil(lambda: ran == [True], timeout=1_000)

    servers.append(start_server(tmp_path / "late-server", ENV, http_port=port))
    qtbot.waitUntil(
        lambda: shows_registration(window, servers[0], "Carla Contagem"), timeout=45_000
    )


@pytest.mark.display
def test_required_fields_are_asked_for_before_registering(qtbot: QtBot, server: Server) -> None:
    window = customer_window(server.http_url, qtbot)
    name, email = window.inputs["name"], window.inputs["email"]

    window.submit_button.click()  # nothing filled in
    assert window.form_error.isVisible()
    assert window.form_error.text() == "Please fill in: Name, Email"
    assert window.presence is None and window.pages.currentIndex() == 0

    name.setText("   ")  # blanks are not a name
    email.setText("dora@acme.example")
    window.submit_button.click()
    assert window.form_error.text() == "Please fill in: Name"
    assert window.presence is None

    name.setText("Dora Dados")
    email.setText("dora-at-acme")
    window.submit_button.click()
    assert window.form_error.text() == "The email address does not look right."
    assert window.presence is None
    assert window.submit_button.isEnabled()  # the customer can correct and try again
    assert queued(server, "Dora Dados") == []

    email.setText("dora@acme.example")
    window.submit_button.click()
    assert window.form_error.text() == ""
    qtbot.waitUntil(lambda: shows_registration(window, server, "Dora Dados"), timeout=20_000)


def test_a_wayland_session_is_told_before_anyone_connects(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = load_profile().with_overrides(server_url="http://127.0.0.1:9", app_id="demo")
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    fine = CustomerWindow(profile)
    qtbot.addWidget(fine)
    assert fine.warning.text() == "" and not fine.warning.isVisibleTo(fine)
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    window = CustomerWindow(profile)
    qtbot.addWidget(window)
    assert window.warning.isVisibleTo(window)
    assert "Wayland session" in window.warning.text() and "X11" in window.warning.text()


@pytest.mark.display
def test_a_refused_form_is_said_in_the_apps_words(qtbot: QtBot, server: Server) -> None:
    """The server's own English ("field(s) longer than 200 characters: name") is for the
    log: the customer reads a sentence chosen by the refusal's code."""
    window = customer_window(server.http_url, qtbot)
    assert all(edit.maxLength() == MAX_FIELD_LENGTH for edit in window.inputs.values())
    window.submit_button.setEnabled(False)
    # (past the field's own limit, as an older app or a changed server bound would send)
    window._register({"name": "n" * (MAX_FIELD_LENGTH + 50), "email": "long@acme.example"})
    qtbot.waitUntil(lambda: window.form_error.text() != "", timeout=20_000)
    assert window.form_error.text() == form_refusal_text(ErrorCode.INVALID_INPUT)
    assert "field(s)" not in window.form_error.text()
    assert window.submit_button.isEnabled() and window.pages.currentIndex() == 0
