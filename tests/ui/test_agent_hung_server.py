"""The agent window with a server that hangs (stopped, not refusing): the periodic
refreshes never pile up (one of each in flight), and the agent's own actions do not wait
behind them (they used to: ~80 s of "Connecting..." with Connect disabled).  While the
refreshes fail the status says the server cannot be reached, and stops saying it once
they succeed again."""

from __future__ import annotations

import secrets
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.branding.profile import load_profile
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from remoteapp.tickets import TicketOutbox
from remoteapp.ui import i18n
from remoteapp.ui.agent_polls import unreachable_text
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.qt import QtWidgets, is_alive
from tests.helpdesk.server_process import Server, start_server

BOUND_MS = 5_000  # well under the 10 s HTTP timeout a queued action waited behind, each


class HungServer:
    """A loopback listener that accepts connections and reads requests, and never
    answers: a server process stopped with SIGSTOP, as the clients see it."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests: list[str] = []  #: each request's first line, as it arrived
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, name="hung-server", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n" not in data:
            try:
                chunk = conn.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            data += chunk
        with self._lock:
            self.requests.append(data.split(b"\r\n", 1)[0].decode())
        # ... and never a reply

    def seen(self, part: str) -> int:
        with self._lock:
            return sum(part in line for line in self.requests)

    def close(self) -> None:
        self.listener.close()
        with self._lock:
            for conn in self._conns:
                conn.close()


@pytest.fixture
def hung() -> Iterator[HungServer]:
    server = HungServer()
    yield server
    server.close()


def presence_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("presence")]


@pytest.fixture
def windows(qtbot: QtBot) -> Iterator[list[AgentWindow]]:
    """Closed afterwards, their presence threads ended before the servers go."""
    opened: list[AgentWindow] = []
    yield opened
    for window in opened:
        if is_alive(window):
            window.close()


def open_window(
    client: HelpdeskClient, tickets: TicketClient, user: dict[str, str], tmp_path: Path
) -> AgentWindow:
    base = client._http.base_url
    profile = load_profile().with_overrides(server_url=base, app_id="demo")
    window = AgentWindow(profile, client, user, tickets, TicketOutbox(tmp_path / "outbox"))
    window.show()
    return window


@pytest.mark.display
def test_a_hung_server_does_not_hold_up_the_agents_own_actions(
    qtbot: QtBot, hung: HungServer, tmp_path: Path, windows: list[AgentWindow]
) -> None:
    client = HelpdeskClient(hung.url)
    client.bearer = "logged-in"  # (as after a login: the calls go out)
    window = open_window(
        client,
        TicketClient(hung.url, "token"),
        {"id": "7", "name": "Ana"},
        tmp_path,
    )
    windows.append(window)
    qtbot.waitUntil(lambda: hung.seen("/queue") == 1 and hung.seen("/apps/demo/sessions") == 1)
    for _ in range(10):  # the timer's next 30 s of refreshes, while those hang
        window.refresh_queue()

    window.partner.setText("123 456 789")
    window.connect_button.click()
    qtbot.waitUntil(lambda: getattr(window, "ticket_dialog", None) is not None)
    window.ticket_dialog.number.setText("1")
    window.ticket_dialog.lookup.click()
    # the look-up reaches the server at once, not after the refreshes' timeouts
    qtbot.waitUntil(lambda: hung.seen("/public/v1/tickets") == 1, timeout=BOUND_MS)
    assert hung.seen("/queue") == 1 and hung.seen("/apps/demo/sessions") == 1  # never piled up
    window.ticket_dialog.reject()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("hung"), {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32)}
    )
    yield server
    server.process.stop()


@pytest.mark.display
def test_the_status_says_the_server_cannot_be_reached_until_it_answers_again(
    qtbot: QtBot, server: Server, tmp_path: Path, windows: list[AgentWindow]
) -> None:
    creds = server.credentials
    client = HelpdeskClient(server.http_url, timeout_s=1.0)  # a refresh gives up soon
    user = client.login(creds["agent"]["email"], creds["agent"]["password"])
    window = open_window(client, TicketClient(server.http_url, creds["token"]), user, tmp_path)
    windows.append(window)
    qtbot.waitUntil(lambda: window.in_progress.rowCount() == 0 and window.status.text() == "")
    process = server.process.proc
    process.send_signal(signal.SIGSTOP)
    try:
        qtbot.waitUntil(lambda: window.status.text() == unreachable_text(), timeout=15_000)
    finally:
        process.send_signal(signal.SIGCONT)
    qtbot.waitUntil(lambda: window.status.text() == "", timeout=15_000)
    assert not window.polls.unreachable
    window.close()
    qtbot.waitUntil(lambda: not presence_threads(), timeout=15_000)


def test_the_unreachable_line_is_translated(qapp: QtWidgets.QApplication) -> None:
    english = unreachable_text()
    _, translators = i18n.install(qapp, "pt_BR")
    try:
        assert unreachable_text() not in ("", english)
    finally:
        i18n.uninstall(qapp, translators)
