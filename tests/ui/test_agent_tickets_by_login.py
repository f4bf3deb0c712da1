"""A deployed app's agent uses tickets with their login: the app's profile comes from the
server with no ticket token (a public profile must not carry one) and no
``--ticket-token`` is given, as in ``remoteapp --server URL --app demo``. Before, the
ticket look-up answered "401: invalid or missing token" and session records waited in
the outbox for ever. The program, its login dialog and its ticket dialog, against a real
server process."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from keyring.backends import fail
from pytestqt.qtbot import QtBot

from remoteapp.branding.profile import load_profile
from remoteapp.net.helpdesk import NotAuthenticated, TicketClient
from remoteapp.tickets.record import Session, end_record, open_record
from remoteapp.ui.agent_dialogs import TicketDialog
from remoteapp.ui.agent_records import record_texts, server_outbox
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.app import RemoteApp
from remoteapp.ui.qt import is_alive
from remotewire.constants import SESSION_MARKER
from tests.helpdesk.server_process import Server, start_server
from tests.ui.test_login import keyring_backend, log_out, open_login, presence_threads
from tests.ui.test_login import log_in as login_dialog_ok


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("tickets-by-login"),
        {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32)},
    )
    yield server
    server.process.stop()


@pytest.fixture
def program(
    qtbot: QtBot, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RemoteApp]:
    """The program as a deployed build starts it: no ticket token anywhere. Its own user
    data (outbox), so that no other test's records are flushed here. Afterwards its
    windows close and their presence threads end before the server stops."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    profile = load_profile().with_overrides(server_url=server.http_url, app_id="demo")
    profile = dataclasses.replace(profile, ticket_api_url=None, ticket_api_token=None)
    app = RemoteApp(profile, None)
    app.customer.show()
    with keyring_backend(fail.Keyring()):
        yield app
    for window in (app.agent, app.customer):
        if window is not None and is_alive(window):
            window.close()
    qtbot.waitUntil(lambda: not presence_threads(), timeout=15_000)


def log_in(app: RemoteApp, server: Server, qtbot: QtBot) -> AgentWindow:
    """Through the agent icon in the window's corner and the login dialog."""
    dialog = open_login(app, qtbot)
    dialog.email.setText(server.credentials["agent"]["email"])
    dialog.password.setText(server.credentials["agent"]["password"])
    return login_dialog_ok(app, dialog, qtbot)


@pytest.mark.display
def test_the_ticket_dialog_finds_ticket_1_with_the_agents_login(
    qtbot: QtBot, server: Server, program: RemoteApp
) -> None:
    """The reviewer's steps: log in, Connect, type ticket 1, Look up."""
    agent = log_in(program, server, qtbot)
    dialog = TicketDialog(agent.tickets, "123 456 789", agent)
    dialog.show()
    dialog.number.setText("1")
    dialog.lookup.click()
    qtbot.waitUntil(dialog.lookup.isEnabled, timeout=15_000)  # the look-up has answered
    assert dialog.message.text() == ""
    assert dialog.subject.text() == "Printer does not print"
    assert dialog.owner.text() == "Demo Agent"
    assert dialog.start.isEnabled()
    dialog.reject()


@pytest.mark.display
def test_a_record_left_by_a_logged_out_agent_is_sent_by_the_next_login(
    qtbot: QtBot, server: Server, program: RemoteApp
) -> None:
    """Logging out ends the login the ticket calls used (nothing is sent with it then);
    the session record still waiting goes with the next login's window, at its start."""
    agent = log_in(program, server, qtbot)
    tickets, user_id = agent.tickets, str(agent.user["id"])
    log_out(program, agent, qtbot)
    with pytest.raises(NotAuthenticated):
        tickets.get_ticket(1)

    session_id = "bylogin" + secrets.token_hex(6)
    start = datetime.now(UTC) - timedelta(minutes=5)
    texts = record_texts()
    opened = open_record(
        Session(session_id, 1, user_id, None, "123 456 789", agent="Demo Agent"),
        texts,
        start=start,
        writer="a-window-gone",
    )
    done = end_record(
        opened,
        texts,
        agent="Demo Agent",
        customer="Ana",
        partner="123 456 789",
        end=start + timedelta(minutes=4),
        reason="the agent ended the session",
    )
    outbox = server_outbox(server.http_url, server.http_url)
    outbox.put(done)

    log_in(program, server, qtbot)  # its window flushes the outbox as it opens
    qtbot.waitUntil(lambda: not outbox.pending(), timeout=20_000)
    check = TicketClient(server.http_url, server.credentials["token"], timeout_s=10)
    try:
        actions = check.get_ticket(1)["actions"]
    finally:
        check.close()
    marker = SESSION_MARKER.format(session_id)
    assert [a for a in actions if marker in a["description"]], actions
