"""The agent login, as the program runs it (``RemoteApp.ask_login`` -> ``LoginDialog`` ->
``open_agent``; the agent window's logout), against a real server process.  The OS
keyring is a boundary we do not own: the tests install an in-memory keyring backend, one
that has no keyring at all (``keyring.backends.fail``), or one that is locked."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
from collections.abc import Iterator
from typing import Any

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from pytestqt.qtbot import QtBot

from remoteapp.branding.profile import load_profile
from remoteapp.net.helpdesk import HelpdeskClient
from remoteapp.ui import credentials
from remoteapp.ui.agent_dialogs import LoginDialog
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.app import RemoteApp
from remoteapp.ui.qt import QtWidgets, is_alive
from tests.helpdesk.server_process import Server, free_port, start_server

SAVED = (credentials.SERVICE, credentials.KEY)


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in a dict, like a desktop's secret service would."""

    priority = 1  # usable (a fail.Keyring has 0)

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


class LockedKeyring(KeyringBackend):
    """A keyring that is there but locked: the user dismissed the unlock prompt."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the keyring is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("the keyring is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("the keyring is locked")


@contextlib.contextmanager
def keyring_backend(backend: KeyringBackend) -> Iterator[None]:
    """``backend`` is the keyring while the block runs."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    with keyring_backend(backend):
        yield backend


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("login"), {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32)}
    )
    yield server
    server.process.stop()


def presence_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("presence")]


@pytest.fixture
def programs(qtbot: QtBot) -> Iterator[list[RemoteApp]]:
    """The programs a test starts.  Afterwards their windows are closed, as when the
    program quits, and their presence threads have left the queue and ended before the
    windows may be deleted (a thread calling back into a deleted window would die) and
    before the server stops."""
    started: list[RemoteApp] = []
    yield started
    for app in started:
        for window in (app.agent, app.customer):
            if window is not None and is_alive(window):
                window.close()
    qtbot.waitUntil(lambda: not presence_threads(), timeout=15_000)


def start_program(server: Server, programs: list[RemoteApp], qtbot: QtBot) -> RemoteApp:
    """What ``remoteapp`` does on start: the customer window; agent mode through login."""
    profile = load_profile().with_overrides(server_url=server.http_url, app_id="demo")
    app = RemoteApp(profile, server.credentials["token"])
    programs.append(app)
    app.customer.show()
    return app


def open_login(app: RemoteApp, qtbot: QtBot) -> LoginDialog:
    """The agent icon in the customer window's corner opens the login dialog; the keyring
    answers off the GUI thread, soon after."""
    app.customer.header.agent_button.click()
    dialog = app.login_dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.keyring_checked)
    return dialog


def log_in(app: RemoteApp, dialog: LoginDialog, qtbot: QtBot) -> AgentWindow:
    dialog.ok.click()
    qtbot.waitUntil(lambda: app.agent is not None and app.agent.isVisible(), timeout=20_000)
    agent = app.agent
    assert agent is not None
    assert not dialog.isVisible() and not app.customer.isVisible()
    # the agent's computer has its own ID too (not queued): it shows once registered
    qtbot.waitUntil(lambda: re.fullmatch(r"[\d ]{11}", agent.own_id.value.text()) is not None)
    return agent


def log_out(app: RemoteApp, agent: AgentWindow, qtbot: QtBot) -> None:
    """The agent icon in the agent window's corner logs out."""
    button = agent.findChild(QtWidgets.QToolButton, "agent-login")
    assert button is not None
    button.click()
    qtbot.waitUntil(lambda: app.customer.isVisible() and not agent.isVisible())


def agent(server: Server) -> dict[str, Any]:
    return dict(server.credentials["agent"])


@pytest.mark.display
def test_wrong_password_then_remembered_login_then_logout(
    qtbot: QtBot, server: Server, memory_keyring: MemoryKeyring, programs: list[RemoteApp]
) -> None:
    me = agent(server)
    app = start_program(server, programs, qtbot)
    dialog = open_login(app, qtbot)
    assert dialog.server.text() == server.http_url
    assert (dialog.email.text(), dialog.password.text()) == ("", "")
    assert dialog.remember.isEnabled() and not dialog.remember.isChecked()
    assert dialog.message.text() == ""

    dialog.email.setText(me["email"])
    dialog.password.setText("not-the-password")
    dialog.remember.setChecked(True)
    dialog.ok.click()
    qtbot.waitUntil(lambda: dialog.message.text() == "Wrong email or password.", timeout=10_000)
    assert dialog.isVisible() and dialog.ok.isEnabled()  # the agent can try again
    assert app.agent is None
    assert memory_keyring.passwords == {}  # a wrong login is never remembered

    dialog.password.setText(me["password"])
    window = log_in(app, dialog, qtbot)
    assert window.windowTitle().endswith("agent Demo Agent")
    assert json.loads(memory_keyring.passwords[SAVED]) == {
        "server": server.http_url,
        "email": me["email"],
        "password": me["password"],
    }

    # the program quits without a logout and starts again: the login dialog comes filled
    # in from the keyring, so Log in (or Enter) is all it takes
    window.close()
    app = start_program(server, programs, qtbot)
    dialog = open_login(app, qtbot)
    assert dialog.server.text() == server.http_url
    assert (dialog.email.text(), dialog.password.text()) == (me["email"], me["password"])
    assert dialog.remember.isChecked()
    assert dialog.ok.isDefault()  # Enter logs in
    window = log_in(app, dialog, qtbot)

    log_out(app, window, qtbot)
    assert memory_keyring.passwords == {}  # logged out: nothing remembered any more
    dialog = open_login(app, qtbot)
    assert (dialog.email.text(), dialog.password.text()) == ("", "")
    assert not dialog.remember.isChecked()


@pytest.mark.display
def test_login_without_remember_me_forgets_an_earlier_one(
    qtbot: QtBot, server: Server, memory_keyring: MemoryKeyring, programs: list[RemoteApp]
) -> None:
    me = agent(server)
    memory_keyring.set_password(*SAVED, json.dumps({"server": server.http_url, **me}))
    app = start_program(server, programs, qtbot)
    dialog = open_login(app, qtbot)
    assert dialog.remember.isChecked()
    dialog.remember.setChecked(False)
    log_in(app, dialog, qtbot)
    assert memory_keyring.passwords == {}


@pytest.mark.display
def test_without_a_keyring_login_works_and_says_it_is_not_remembered(
    qtbot: QtBot, server: Server, programs: list[RemoteApp]
) -> None:
    me = agent(server)
    with keyring_backend(fail.Keyring()):
        app = start_program(server, programs, qtbot)
        dialog = open_login(app, qtbot)
        assert dialog.message.isVisible()
        assert dialog.message.text() == "Login will not be remembered: no keyring on this system."
        assert not dialog.remember.isEnabled() and not dialog.remember.isChecked()
        assert "no keyring" in dialog.remember.toolTip()
        dialog.email.setText(me["email"])
        dialog.password.setText(me["password"])
        window = log_in(app, dialog, qtbot)
        log_out(app, window, qtbot)
        dialog = open_login(app, qtbot)
        assert dialog.email.text() == "" and not dialog.remember.isEnabled()


@pytest.mark.display
def test_a_locked_keyring_neither_stops_login_nor_logout(
    qtbot: QtBot, server: Server, programs: list[RemoteApp]
) -> None:
    me = agent(server)
    with keyring_backend(LockedKeyring()):
        app = start_program(server, programs, qtbot)
        dialog = open_login(app, qtbot)
        assert dialog.email.text() == "" and dialog.remember.isEnabled()
        dialog.email.setText(me["email"])
        dialog.password.setText(me["password"])
        dialog.remember.setChecked(True)
        window = log_in(app, dialog, qtbot)
        assert window.status.text() == "Logged in, but the login could not be kept in the keyring."
        log_out(app, window, qtbot)  # the window closes and the customer window is back


@pytest.mark.display
def test_unreachable_server_and_too_many_failed_logins_are_told_plainly(
    qtbot: QtBot, server: Server, memory_keyring: MemoryKeyring, programs: list[RemoteApp]
) -> None:
    app = start_program(server, programs, qtbot)
    dialog = open_login(app, qtbot)
    nowhere = f"http://127.0.0.1:{free_port()}"
    dialog.server.setText(nowhere)
    dialog.email.setText("someone@acme.example")
    dialog.password.setText("whatever")
    dialog.ok.click()
    qtbot.waitUntil(lambda: "cannot be reached" in dialog.message.text(), timeout=15_000)
    assert dialog.message.text() == (
        f"The server {nowhere} cannot be reached. Check the address or try again later."
    )
    assert dialog.isVisible() and dialog.ok.isEnabled()

    dialog.server.setText(server.http_url)
    dialog.email.setText("guesser@acme.example")  # its own address: locks no one else
    for attempt in range(6):  # the server allows 6 failures a minute per address
        dialog.password.setText(f"guess-{attempt}")
        dialog.ok.click()
        qtbot.waitUntil(
            lambda: dialog.message.text() == "Wrong email or password." and dialog.ok.isEnabled(),
            timeout=10_000,
        )
    dialog.password.setText("guess-again")
    dialog.ok.click()
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Too many"), timeout=10_000)
    match = re.fullmatch(r"Too many failed logins\. Try again in (\d+) s\.", dialog.message.text())
    assert match is not None and 0 < int(match.group(1)) <= 60
    assert dialog.isVisible() and app.agent is None and memory_keyring.passwords == {}


@pytest.mark.display
def test_agent_mode_takes_this_computer_out_of_the_queue_until_logout(
    qtbot: QtBot, server: Server, memory_keyring: MemoryKeyring, programs: list[RemoteApp]
) -> None:
    """A customer who became an agent here: the customer's presence leaves while the
    agent is logged in (both share the device's row: they took it from each other at
    every poll, the agent listed as waiting half the time), and comes back at logout."""
    app = start_program(server, programs, qtbot)
    app.customer.inputs["name"].setText("Cliente Que Vira Agente")
    app.customer.inputs["email"].setText("vira.agente@example.com")
    app.customer.submit_button.click()
    qtbot.waitUntil(
        lambda: re.fullmatch(r"[\d ]{11}", app.customer.id_value.value.text()) is not None,
        timeout=20_000,
    )
    admin = HelpdeskClient(server.http_url)
    admin.login(server.credentials["admin"]["email"], server.credentials["admin"]["password"])
    try:

        def listed() -> list[str]:
            return [w.name for w in admin.queue("demo")]

        assert "Cliente Que Vira Agente" in listed()
        dialog = open_login(app, qtbot)
        dialog.email.setText(agent(server)["email"])
        dialog.password.setText(agent(server)["password"])
        window = log_in(app, dialog, qtbot)
        assert app.customer.presence is None  # left: not a customer while an agent
        # one presence runs on this device: the agent's (two took its row in turns)
        qtbot.waitUntil(
            lambda: [t.name for t in presence_threads() if t.name == "presence"] == ["presence"],
            timeout=10_000,
        )
        qtbot.waitUntil(lambda: "Cliente Que Vira Agente" not in listed(), timeout=10_000)
        # the agent's own presence holds the row; nothing registers the customer again
        own = window.own_id.value.text().replace(" ", "")
        qtbot.waitUntil(lambda: window.presence.registration is not None, timeout=10_000)
        assert window.presence.registration is not None
        assert window.presence.registration.partner_id == own
        assert "Demo Agent" not in listed() and "Cliente Que Vira Agente" not in listed()

        log_out(app, window, qtbot)
        qtbot.waitUntil(lambda: "Cliente Que Vira Agente" in listed(), timeout=20_000)
    finally:
        admin.close()
