"""``remoteapp://connect`` links in the desktop app: a second start hands its link to the
instance already running (two real processes), the running instance opens agent mode
with the remembered login, fills the code and looks the link's ticket up; hostile bytes
on the channel and hostile links from the OS are refused; macOS's QFileOpenEvent."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from pytestqt.qtbot import QtBot

from helpdesk.services import connect_codes
from helpdesk.settings import Settings
from remoteapp.branding.profile import load_profile
from remoteapp.ui import links
from remoteapp.ui.app import RemoteApp
from remoteapp.ui.qt import QtCore, QtGui, is_alive
from remotewire.connect_codes import ConnectLink, build_link
from tests.conftest import ROOT, LineReader, client_env, stop
from tests.helpdesk.server_process import Server, start_server
from tests.ui.test_login import MemoryKeyring, keyring_backend

SECRET = secrets.token_hex(32)
ENV = {"REMOTEAPP_RELAY_SECRET": SECRET, "REMOTEAPP_SERVER_SECRET": SECRET + "-server"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("links"), ENV)
    yield server
    server.process.stop()


def code_for(user_id: int, partner_id: str = "123456789") -> str:
    settings = Settings(
        secret=SECRET.encode(), server_secret=ENV["REMOTEAPP_SERVER_SECRET"].encode()
    )
    expiry = int(time.time()) + connect_codes.TTL_S
    mac = connect_codes._mac(settings, partner_id, user_id, expiry)
    return f"{partner_id}-{connect_codes._base36(expiry)}-{mac}"


def demo_agent_id(server: Server) -> int:
    from remoteapp.net.helpdesk import HelpdeskClient

    client = HelpdeskClient(server.http_url)
    try:
        creds = server.credentials["agent"]
        return int(client.login(creds["email"], creds["password"])["id"])
    finally:
        client.close()


def app_process(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[str], LineReader]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "remoteapp", "--lang", "en", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, LineReader(proc)


@pytest.mark.display
def test_a_second_start_forwards_its_link_to_the_running_app(
    server: Server, xvfb_display: str, tmp_path: Path
) -> None:
    env = {
        **client_env(xvfb_display),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    creds = server.data_dir / "demo-credentials.json"
    running, out = app_process(
        env, "--server", server.http_url, "--app", "demo", "--agent-credentials", str(creds)
    )
    try:
        out.wait_for("app event=agent-mode", timeout=30)
        out.wait_for("link event=handler-registered", timeout=30)
        desktop = tmp_path / "data" / "applications" / "remoteapp-url-handler.desktop"
        assert "MimeType=x-scheme-handler/remoteapp;" in desktop.read_text(encoding="utf-8")

        code = code_for(demo_agent_id(server))
        link = build_link(server.http_url, "demo", code, 1)
        second = subprocess.run(
            [sys.executable, "-m", "remoteapp", link],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 0, second.stdout + second.stderr
        assert "app event=link-forwarded" in second.stdout
        assert "app event=started" not in second.stdout  # no second window
        out.wait_for(f"link event=opening server={server.http_url} app=demo ticket=1", 15)
        out.wait_for("agent event=link-opened partner=123456789 ticket=1", 15)

        hostile = subprocess.run(
            [sys.executable, "-m", "remoteapp", "remoteapp://connect?server=file:///etc&code=x"],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert hostile.returncode == 2
        assert "this link cannot be opened" in hostile.stderr
        assert running.poll() is None
    finally:
        stop(running)


@pytest.fixture
def channel(qtbot: QtBot) -> Iterator[tuple[links.LinkServer, list[ConnectLink]]]:
    server = links.LinkServer(f"remoteapp-links-test-{secrets.token_hex(6)}")
    received: list[ConnectLink] = []
    server.received.connect(received.append)
    assert server.listen()
    yield server, received
    server.close()


def send_raw(name: str, data: bytes, qtbot: QtBot) -> bytes:
    """A plain Unix-socket client on a thread (Qt's channel is one on Linux; the server
    answers on this, the GUI, thread, which waits here with the event loop running)."""
    answer: list[bytes] = []

    def talk() -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(str(Path(QtCore.QDir.tempPath(), name)))
            with contextlib.suppress(OSError):  # the server may hang up while we send
                sock.sendall(data)
            got = b""
            with contextlib.suppress(OSError):
                while chunk := sock.recv(4096):
                    got += chunk
            answer.append(got)

    thread = threading.Thread(target=talk)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=15_000)
    return answer[0]


@pytest.mark.display
def test_the_channel_takes_one_good_link_and_refuses_hostile_bytes(
    qtbot: QtBot, channel: tuple[links.LinkServer, list[ConnectLink]]
) -> None:
    server, received = channel
    code = code_for(1)  # (once: the code carries its expiry in seconds)
    good = build_link("http://127.0.0.1:9", "demo", code, 7)
    assert send_raw(server.name, good.encode() + b"\n", qtbot) == b"ok\n"
    assert received == [ConnectLink("http://127.0.0.1:9", "demo", code, 7)]
    for data in (
        b"https://evil.example/\n",
        b"remoteapp://connect?server=http://h&app=demo\n",
        good.encode().replace(b"demo", b"d\xc3\xa9mo") + b"\n",
        b"\xff\xfe\x00\n",
    ):
        assert send_raw(server.name, data, qtbot) == b"refused\n", data
    assert send_raw(server.name, b"x" * 100_000, qtbot) == b"refused: too long\n"
    assert send_raw(server.name, b"remoteapp://connect?", qtbot) == b""  # no newline: cut off
    assert len(received) == 1
    with pytest.raises(links.LinkNotDelivered):  # a listener that does not answer in time
        links.forward(good, server.name)  # (this thread is the listener's: it cannot)
    assert links.forward(good, f"remoteapp-links-nobody-{secrets.token_hex(4)}") is False


@pytest.mark.display
def test_a_stale_channel_is_taken_over_a_live_one_is_not(qtbot: QtBot) -> None:
    name = f"remoteapp-links-test-{secrets.token_hex(6)}"
    first = links.LinkServer(name)
    assert first.listen()
    second = links.LinkServer(name)
    assert not second.listen()  # the running instance keeps its links
    first.close()
    Path(QtCore.QDir.tempPath(), name).touch()  # a crashed instance's socket file
    assert second.listen()
    second.close()


@pytest.mark.display
def test_macos_file_open_event_with_a_link(qtbot: QtBot, qapp: object) -> None:
    watcher = links.FileOpenLinks()
    received: list[ConnectLink] = []
    watcher.received.connect(received.append)
    link = build_link("https://help.example", "demo", code_for(1))
    assert watcher.eventFilter(watcher, QtGui.QFileOpenEvent(QtCore.QUrl(link)))
    bad = QtGui.QFileOpenEvent(QtCore.QUrl("remoteapp://connect?app=demo"))
    assert watcher.eventFilter(watcher, bad)  # taken (and dropped), not opened as a file
    assert not watcher.eventFilter(watcher, QtGui.QFileOpenEvent("/tmp/report.pdf"))
    assert [found.server for found in received] == ["https://help.example"]


@pytest.fixture
def program(
    server: Server, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[RemoteApp]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    profile = load_profile().with_overrides(server_url="http://127.0.0.1:9", app_id="other")
    app = RemoteApp(profile, server.credentials["token"])
    app.customer.show()
    yield app
    for window in (app.agent, app.customer):
        if window is not None and is_alive(window):
            window.close()
    qtbot.waitUntil(
        lambda: not [t for t in threading.enumerate() if t.name.startswith("presence")],
        timeout=15_000,
    )


@pytest.mark.display
def test_a_link_logs_in_with_the_remembered_login_for_its_server(
    server: Server, program: RemoteApp, qtbot: QtBot
) -> None:
    creds = server.credentials["agent"]
    memory = MemoryKeyring()
    login = {"server": server.http_url, "email": creds["email"], "password": creds["password"]}
    memory.set_password("remoteapp", "agent-login", json.dumps(login))
    code = code_for(demo_agent_id(server))
    with keyring_backend(memory):
        links.LinkOpener(program).open(ConnectLink(server.http_url, "demo", code, 1))
        qtbot.waitUntil(lambda: program.agent is not None, timeout=15_000)
    agent = program.agent
    assert agent is not None and agent.client.base_url == server.http_url
    assert agent.profile.app_id == "demo"  # the link's app, not the start's
    assert agent.partner.text() == code
    qtbot.waitUntil(lambda: getattr(agent, "ticket_dialog", None) is not None)
    dialog = agent.ticket_dialog
    assert dialog.number.text() == "1"
    qtbot.waitUntil(dialog.start.isEnabled, timeout=10_000)
    dialog.reject()
    # a second link for the same server goes to the same window
    links.LinkOpener(program).open(ConnectLink(server.http_url, "demo", code, None))
    assert program.agent is agent and agent.ticket_dialog is not dialog


@pytest.mark.display
def test_without_a_remembered_login_the_dialog_asks_for_the_links_server(
    server: Server, program: RemoteApp, qtbot: QtBot
) -> None:
    memory = MemoryKeyring()
    other = {"server": "http://elsewhere.example", "email": "a@b.example", "password": "x"}
    memory.set_password("remoteapp", "agent-login", json.dumps(other))
    with keyring_backend(memory):
        link = ConnectLink(server.http_url, "demo", code_for(1), 1)
        links.LinkOpener(program).open(link)
        qtbot.waitUntil(lambda: getattr(program, "login_dialog", None) is not None)
        dialog = program.login_dialog
        qtbot.waitUntil(lambda: dialog.keyring_checked, timeout=10_000)
    assert dialog.server.text() == server.http_url  # not the remembered other server
    assert dialog.email.text() == ""
    creds = server.credentials["agent"]
    dialog.email.setText(creds["email"])
    dialog.password.setText(creds["password"])
    with keyring_backend(memory):
        dialog.ok.click()
        qtbot.waitUntil(lambda: program.agent is not None, timeout=15_000)
    assert program.agent is not None
    assert program.agent.partner.text() == link.code
    qtbot.waitUntil(lambda: getattr(program.agent, "ticket_dialog", None) is not None)
    program.agent.ticket_dialog.reject()
    assert re.fullmatch(r"\d{9}-[0-9a-z]+-[0-9a-f]{16}", link.code)
    assert keyring.get_keyring() is not memory
