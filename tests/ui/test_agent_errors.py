"""The agent window against a real server when connecting goes wrong: after too many
wrong partner passwords the server answers 429 "try again in N s", and the agent is told
how long to wait instead of being asked for yet another password; a password sent twice by
a double click, a ticket number changed after its look-up, a partner gone offline."""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from helpdesk.settings import Settings
from remoteapp.branding.profile import load_profile
from remoteapp.net import tls
from remoteapp.net.helpdesk import Conflict, ErrorCode, HelpdeskClient, NotAllowed, TicketClient
from remoteapp.net.helpdesk_http import HelpdeskUnavailable, ServerNotTrusted
from remoteapp.secure import InvalidSecureParams
from remoteapp.tickets import TicketOutbox
from remoteapp.ui import operations
from remoteapp.ui.agent_dialogs import PasswordDialog
from remoteapp.ui.agent_records import RecordNotWritten
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.connect_refusals import refusal_text
from remoteapp.ui.qt import QtWidgets, is_alive
from remotewire import constants as c
from remotewire.errors import RelayRefused
from tests.helpdesk.server_process import Server, start_server

WINDOW_S = 60  # the server's default failure window: the lock lasts at most this long


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Its own server: the lock-out also blocks the demo agent for a minute, which must
    not leak into other modules' tests."""
    server = start_server(
        tmp_path_factory.mktemp("agent-errors"),
        {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32)},
    )
    yield server
    server.process.stop()


def presence_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("presence")]


@pytest.fixture
def windows(qtbot: QtBot) -> Iterator[list[AgentWindow]]:
    """The agent windows a test opens.  Afterwards they are closed, as when the program
    quits, and their presence threads have left the queue and ended before the windows
    may be deleted and before the server stops."""
    opened: list[AgentWindow] = []
    yield opened
    for window in opened:
        if is_alive(window):
            window.close()
    qtbot.waitUntil(lambda: not presence_threads(), timeout=15_000)


def open_agent_window(
    server: Server, tmp_path: Path, qtbot: QtBot, windows: list[AgentWindow]
) -> AgentWindow:
    creds = server.credentials
    client = HelpdeskClient(server.http_url)
    user = client.login(creds["agent"]["email"], creds["agent"]["password"])
    tickets = TicketClient(server.http_url, creds["token"])
    profile = load_profile().with_overrides(server_url=server.http_url, app_id="demo")
    window = AgentWindow(profile, client, user, tickets, TicketOutbox(tmp_path / "outbox"))
    windows.append(window)
    window.show()
    # the agent's computer is in the queue too: its own ID shows once it is registered
    qtbot.waitUntil(lambda: re.fullmatch(r"[\d ]{11}", window.own_id.value.text()) is not None)
    return window


def start_connecting(window: AgentWindow, partner: str, qtbot: QtBot) -> None:
    """Partner ID, Connect, "No ticket" and its confirmation: up to the password prompt."""
    before = getattr(window, "password_dialog", None)
    window.partner.setText(partner)
    window.connect_button.click()
    qtbot.waitUntil(lambda: getattr(window, "ticket_dialog", None) is not None)
    window.ticket_dialog.no_ticket.click()
    window.ticket_dialog.confirm_box.button(QtWidgets.QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: getattr(window, "password_dialog", None) is not before)


def answer_password(window: AgentWindow, password: str) -> QtWidgets.QInputDialog:
    dialog = window.password_dialog
    assert dialog.isVisible()
    dialog.setTextValue(password)
    dialog.accept()
    return dialog


@pytest.mark.display
def test_a_password_of_the_wrong_shape_is_asked_again_without_asking_the_server(
    qtbot: QtBot, server: Server, tmp_path: Path, windows: list[AgentWindow]
) -> None:
    """The server's part alone, a typo'd length, a letter not in the alphabet: the agent
    is told what a password looks like; no failed attempt is counted against anyone."""
    customer = HelpdeskClient(server.http_url)
    reg = customer.register(
        "demo", uuid.uuid4().hex, {"name": "Flávia Forma", "email": "flavia@acme.example"}
    )
    customer.close()
    window = open_agent_window(server, tmp_path, qtbot, windows)
    start_connecting(window, reg.partner_id, qtbot)
    for typed in (reg.password, reg.password + "abc", reg.password + "abc0"):
        asked = answer_password(window, typed)
        qtbot.waitUntil(lambda: window.password_dialog not in (None, asked))  # noqa: B023
        assert "The password has 10 letters and digits." in window.password_dialog.labelText()
        assert window.status.text() != "Connecting..."
    window.password_dialog.reject()


@pytest.mark.display
def test_locked_partner_tells_the_agent_how_long_to_wait(
    qtbot: QtBot, server: Server, tmp_path: Path, windows: list[AgentWindow]
) -> None:
    assert Settings(secret=b"x").rate_max_failures == 6  # what the server allows a minute
    customer = HelpdeskClient(server.http_url)
    reg = customer.register(
        "demo", uuid.uuid4().hex, {"name": "Bruno Bloqueado", "email": "bruno@acme.example"}
    )
    window = open_agent_window(server, tmp_path, qtbot, windows)
    start_connecting(window, reg.partner_id, qtbot)

    for attempt in range(6):  # each wrong password: told so, and asked again
        asked = answer_password(window, f"zzzzz{attempt + 2}kmnp")  # well-formed, wrong
        qtbot.waitUntil(lambda: window.password_dialog not in (None, asked), timeout=10_000)  # noqa: B023
        assert window.status.text() == "Wrong partner ID or password."
        assert window.password_dialog.isVisible()
        assert "Wrong password, try again." in window.password_dialog.labelText()

    last = answer_password(window, "zzzzz9kmnp")  # the 7th within the minute: locked
    qtbot.waitUntil(lambda: window.status.text().startswith("Too many"), timeout=10_000)
    match = re.fullmatch(r"Too many wrong passwords\. Try again in (\d+) s\.", window.status.text())
    assert match is not None, window.status.text()
    wait_s = int(match.group(1))
    assert 0 < wait_s <= WINDOW_S

    def counted_down() -> None:  # the wait counts down, second by second
        now = re.search(r"in (\d+) s\.", window.status.text())
        assert now is not None and int(now.group(1)) < wait_s

    qtbot.waitUntil(counted_down, timeout=5_000)
    assert window.password_dialog is None  # no new prompt
    assert not (is_alive(last) and last.isVisible())  # (answered, and let go of)
    assert not window.viewers

    # even the right password waits: the agent sees the wait again, not "wrong password"
    start_connecting(window, reg.partner_id, qtbot)
    answer_password(window, reg.password + "abcd")  # the server's part is right
    assert window.status.text() == "Connecting..."
    qtbot.waitUntil(lambda: window.status.text().startswith("Too many"), timeout=10_000)
    again = re.search(r"Try again in (\d+) s\.", window.status.text())
    assert again is not None and 0 < int(again.group(1)) <= wait_s
    assert not window.viewers


@pytest.mark.display
def test_the_ticket_shown_is_the_number_in_the_field(
    qtbot: QtBot, server: Server, tmp_path: Path, windows: list[AgentWindow]
) -> None:
    """A session is recorded on the ticket the agent sees: a number changed after a
    look-up clears what was found (Start session started on the ticket looked up
    before), and an answer for a number no longer in the field is dropped."""
    window = open_agent_window(server, tmp_path, qtbot, windows)
    window.partner.setText("123456789")
    window.connect_button.click()
    qtbot.waitUntil(lambda: getattr(window, "ticket_dialog", None) is not None)
    dialog = window.ticket_dialog
    shown = (dialog.subject, dialog.client, dialog.owner)
    dialog.number.setText("1")
    dialog.lookup.click()
    qtbot.waitUntil(dialog.start.isEnabled, timeout=10_000)
    assert all(label.text() for label in shown)

    dialog.number.setText("2")  # typed over, not looked up
    assert not dialog.start.isEnabled()
    assert [label.text() for label in shown] == ["", "", ""]

    dialog.number.setText("1")
    dialog.lookup.click()
    dialog.number.returnPressed.emit()  # Enter while it runs: no second look-up
    assert operations.activity(dialog).running == 1
    dialog.number.setText("12")  # changed before the answer came
    qtbot.waitUntil(dialog.lookup.isEnabled, timeout=10_000)
    assert not dialog.start.isEnabled()
    assert [label.text() for label in shown] == ["", "", ""]
    dialog.start.click()
    assert dialog.choice is None and dialog.isVisible()
    dialog.reject()


@pytest.mark.display
def test_a_password_accepted_twice_is_sent_once(
    qtbot: QtBot, server: Server, tmp_path: Path, windows: list[AgentWindow]
) -> None:
    """A real double click on OK finished the password dialog twice: two connects, two
    of the partner's six attempts a minute, two prompts. Now one, and while it runs the
    connect buttons are off and Enter in the partner field says a connect is under way."""
    customer = HelpdeskClient(server.http_url)
    reg = customer.register(
        "demo", uuid.uuid4().hex, {"name": "Duda Duplo", "email": "duda@acme.example"}
    )
    customer.close()
    window = open_agent_window(server, tmp_path, qtbot, windows)
    start_connecting(window, reg.partner_id, qtbot)
    running: list[int] = []
    operations.activity(window).changed.connect(running.append)
    asked = window.password_dialog
    asked.setTextValue("zzzzz2kmnp")  # well-formed, wrong
    asked.accept()
    asked.accept()
    assert not window.connect_button.isEnabled() and not window.queue_connect.isEnabled()
    window.partner.returnPressed.emit()
    assert window.status.text() == "A connection is under way."
    qtbot.waitUntil(lambda: window.password_dialog not in (None, asked), timeout=10_000)
    qtbot.waitUntil(lambda: running[-1] == 0, timeout=10_000)
    assert max(running) == 1  # one connect ran
    assert window.status.text() == "Wrong partner ID or password."
    prompts = [d for d in window.findChildren(PasswordDialog) if d.isVisible()]
    assert prompts == [window.password_dialog]
    assert window.connect_button.isEnabled() and window.queue_connect.isEnabled()
    window.password_dialog.reject()


@pytest.mark.display
def test_a_partner_gone_offline_is_said_in_the_apps_words(
    qtbot: QtBot, server: Server, tmp_path: Path, windows: list[AgentWindow]
) -> None:
    """The server's refusals are said by their code, not in the server's English
    ("Cannot connect: the customer is not online" in a Portuguese app)."""
    customer = HelpdeskClient(server.http_url)
    reg = customer.register(
        "demo", uuid.uuid4().hex, {"name": "Olga Offline", "email": "olga@acme.example"}
    )
    window = open_agent_window(server, tmp_path, qtbot, windows)
    start_connecting(window, reg.partner_id, qtbot)
    customer.leave(reg.partner_id, reg.presence_key)  # gone while the prompt is open
    customer.close()
    answer_password(window, reg.password + "abcd")
    qtbot.waitUntil(lambda: window.status.text() != "Connecting...", timeout=10_000)
    assert window.status.text() == "The partner is not online: ask them to open the app."


@pytest.mark.display
def test_an_open_record_that_cannot_be_written_is_its_own_failure(
    qtbot: QtBot, server: Server, tmp_path: Path, windows: list[AgentWindow]
) -> None:
    """The open record is written before the session starts; a disk that refuses it is
    this machine's failure (said as such), not an OSError the connect would call the
    relay's."""
    window = open_agent_window(server, tmp_path, qtbot, windows)
    outbox = tmp_path / "outbox"
    shutil.rmtree(outbox)
    outbox.write_bytes(b"not a folder")  # (root writes anywhere: a file in its place)
    with pytest.raises(RecordNotWritten) as refused:
        window.records.store_open("s-1", None, None, "123 456 789", "123456789")
    assert isinstance(refused.value.__cause__, OSError)
    assert refusal_text(refused.value) == (
        "The session's record could not be saved on this computer (disk full or no "
        "permission): not connecting."
    )


UNREACHABLE_RELAY = "The session's relay cannot be reached now: try again in a moment."


@pytest.mark.parametrize(
    ("refusal", "said"),
    [
        (Conflict(409, "x", ErrorCode.CUSTOMER_BUSY), "The partner is already in a session."),
        (NotAllowed(403, "x", ErrorCode.NOT_AN_AGENT), "Only agents can connect."),
        (
            NotAllowed(403, "x", ErrorCode.NOT_APP_AGENT),
            "You are not an agent of this app: ask an administrator to add you to its agents.",
        ),
        (NotAllowed(403, "newer words", "a-newer-code"), "Not allowed: newer words"),
        (
            HelpdeskUnavailable("cannot reach https://h: HTTPSConnectionPool(...)"),
            "The helpdesk server cannot be reached now: try again in a moment.",
        ),
        (ConnectionRefusedError(111, "Connection refused"), UNREACHABLE_RELAY),
        (
            RelayRefused("unknown token"),
            "The session's relay refused the connection: try again in a moment.",
        ),
        (
            ServerNotTrusted("the server's certificate is not trusted (expired)"),
            "The helpdesk server's certificate is not trusted: not connecting.",
        ),
        (  # the relay's answer when the other side never came (it parks 30 s)
            RelayRefused(c.REFUSE_PARK_TIMEOUT),
            "The partner's app did not join the session in time: try again.",
        ),
        (  # the server ended the offer while the agent waited (an offer withdrawn)
            RelayRefused(c.REFUSE_SESSION_ENDED),
            "The session was ended before the partner joined it: the partner may be in "
            "another session, or their app could not take it.",
        ),
        (TimeoutError("timed out"), UNREACHABLE_RELAY),
        (socket.gaierror(-2, "Name or service not known"), UNREACHABLE_RELAY),
        (OSError(113, "No route to host"), UNREACHABLE_RELAY),
        (tls.TlsError("the relay's TLS handshake failed"), UNREACHABLE_RELAY),
        (
            tls.NotTrusted("the relay's certificate is not trusted (self-signed)"),
            "The session relay's certificate is not trusted: not connecting.",
        ),
        (
            tls.InsecureRefused("the relay at r is not encrypted"),
            "The session's relay is not encrypted, which this app does not allow.",
        ),
        (  # a grant without the session key a connect by the queue's copy needs
            InvalidSecureParams("the server gave no session key for a connect without a password"),
            "The helpdesk server sent unusable secrets for this session: connect again; if it "
            "repeats, tell the server's administrator.",
        ),
        (  # the open record's write: this machine's, not the relay's
            RecordNotWritten("[Errno 28] No space left on device"),
            "The session's record could not be saved on this computer (disk full or no "
            "permission): not connecting.",
        ),
    ],
)
def test_each_refusal_code_has_its_sentence(refusal: Exception, said: str) -> None:
    assert refusal_text(refusal) == said
