"""A build's start-up on real Qt against the real server: a first start shows a window at
once and fills in the app when the signed profile arrives (the GUI never waits on the
network); the update icon is in the agent window too and drives the same update."""

from __future__ import annotations

import base64
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from pytestqt.qtbot import QtBot

from bench.builds import kit as build_kit
from bench.builds import publish
from remoteapp.branding.deployment import Deployment
from remoteapp.branding.identity import ProfileCache
from remoteapp.ui import deployed, updates
from remoteapp.ui.qt import QtCore, QtWidgets
from remoteapp.ui.widgets import BrandHeader
from remoteapp.update.client import trusted_root_bytes
from tests.distribution.conftest import deployment_of
from tests.helpdesk.server_process import Server, start_server


@pytest.fixture
def kit() -> Path:
    return build_kit()


@pytest.fixture
def server(tmp_path: Path, kit: Path) -> Iterator[Server]:
    data = tmp_path / "server"
    shutil.copytree(kit / "data", data)
    running = start_server(data, {})
    yield running
    running.process.stop()


@pytest.fixture(autouse=True)
def own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def deployment(kit: Path, url: str) -> Deployment:
    raw = deployment_of(kit)
    return Deployment(
        server_url=url,
        profile_key=base64.b64decode(str(raw["profile_key"])),
        update_root=trusted_root_bytes(raw["update_root"]),
        version="0.1.0",
    )


class Flaky:
    """A proxy to the server whose link can be down (each connection closed unanswered:
    requests' ConnectionError), the server failing (503), or up; an answer waits for
    ``gate`` (set: no wait)."""

    def __init__(self, upstream: str, mode: str) -> None:
        self.mode = mode
        self.gate = threading.Event()
        self.gate.set()
        flaky = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                flaky.gate.wait(30)
                if flaky.mode == "down":
                    self.close_connection = True
                    return
                if flaky.mode == "503":
                    self.send_error(503)
                    return
                answer = requests.get(upstream + self.path, timeout=30)
                self.send_response(answer.status_code)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.gate.set()
        self.http.shutdown()
        self.http.server_close()
        self.thread.join(10)


@pytest.fixture
def flaky(server: Server) -> Iterator[Flaky]:
    proxy = Flaky(server.http_url, "down")
    yield proxy
    proxy.close()


@pytest.fixture
def gated(server: Server) -> Iterator[tuple[str, threading.Event]]:
    """A proxy to the server that holds every answer until the test opens the gate."""
    proxy = Flaky(server.http_url, "up")
    proxy.gate.clear()
    yield proxy.url, proxy.gate
    proxy.close()


def test_a_first_start_shows_a_window_at_once_then_the_app(
    qtbot: QtBot, kit: Path, gated: tuple[str, threading.Event], tmp_path: Path
) -> None:
    url, gate = gated
    named = tmp_path / "Demo-Support_ra-demo"
    build = deployed.Deployed(
        deployment(kit, url), named, named, ProfileCache(tmp_path / "cache"), None
    )
    seen: list[tuple[str, bool]] = []

    def while_the_server_holds_the_answer() -> None:
        for widget in QtWidgets.QApplication.topLevelWidgets():
            if isinstance(widget, deployed.LoadingWindow) and widget.isVisible():
                seen.append((widget.text.text(), build.identity is None))
        gate.set()

    QtCore.QTimer.singleShot(0, while_the_server_holds_the_answer)
    profile = deployed.profile(build)  # its own event loop, as in app.run
    assert seen == [("Loading...", True)]
    assert profile is not None and profile.title == "Demo Support — remote help"
    assert build.identity is not None and build.identity.source == "server"
    visible = [
        w
        for w in QtWidgets.QApplication.topLevelWidgets()
        if isinstance(w, deployed.LoadingWindow) and w.isVisible()
    ]
    assert visible == []


def test_a_first_start_without_the_server_says_so_and_tries_again(
    qtbot: QtBot, kit: Path, flaky: Flaky, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link down, then the server failing: each said in a sentence (not urllib3's
    words), the company's code not asked (the file names the app); the button tries at
    once, the timer by itself, and the app comes up when the server answers."""
    monkeypatch.setattr(deployed, "RETRY_MS", 300)
    named = tmp_path / "Demo-Support_ra-demo"
    build = deployed.Deployed(
        deployment(kit, flaky.url), named, named, ProfileCache(tmp_path / "cache"), None
    )
    said: list[tuple[str, bool]] = []

    def watch() -> None:
        (window,) = [
            w
            for w in QtWidgets.QApplication.topLevelWidgets()
            if isinstance(w, deployed.LoadingWindow) and w.isVisible()
        ]

        def on_said(text: str) -> None:
            said.append((text, window.retry.isVisible()))
            if len(said) == 1:
                flaky.mode = "503"
                window.retry.click()  # at once, not in 300 ms
                assert not window.retry.isVisible()  # one try at a time
            else:
                flaky.mode = "up"  # the timer's next try gets the profile

        window.said.connect(on_said)

    def give_up() -> None:  # a try that never came, or the company's code asked: every
        for widget in QtWidgets.QApplication.topLevelWidgets():  # window closed ends
            widget.close()  # its loop, and the assertions below say what went wrong

    guard = QtCore.QObject()  # (the timer goes with it, at the test's end)
    QtCore.QTimer.singleShot(30_000, guard, give_up)
    QtCore.QTimer.singleShot(0, watch)
    profile = deployed.profile(build)
    every = "\n\nThe app tries again every 1 s."
    assert said == [
        (
            "The support server cannot be reached. Check this computer's internet "
            "connection." + every,
            True,
        ),
        ("The support server cannot answer right now." + every, True),
    ]
    assert profile is not None and profile.title == "Demo Support — remote help"
    assert build.identity is not None and build.identity.source == "server"


def window_with_header(qtbot: QtBot) -> tuple[QtWidgets.QWidget, BrandHeader]:
    window = QtWidgets.QWidget()
    header = BrandHeader("Demo", None)
    QtWidgets.QVBoxLayout(window).addWidget(header)
    qtbot.addWidget(window)
    window.show()
    return window, header


def test_the_agent_window_has_the_update_icon_too(
    qtbot: QtBot, kit: Path, server: Server, tmp_path: Path
) -> None:
    newer = tmp_path / "remoteapp-0.2.0"
    newer.write_bytes(b"the next build")
    publish(server.data_dir, kit / "keys", "0.2.0", newer)
    customer, customer_header = window_with_header(qtbot)
    customer_says: list[str] = []
    running = tmp_path / "Demo_ra-demo"
    running.write_bytes(b"the running build")
    updater = updates.attach(
        customer_header,
        customer,
        deployment(kit, server.http_url),
        running,
        lambda: True,  # a session is on: the click must wait, not replace
        customer_says.append,
    )
    with qtbot.waitSignal(updater.found, timeout=30_000) as found:
        pass
    assert found.args == ["0.2.0"]
    _, agent_header = window_with_header(qtbot)  # the agent logs in later
    agent_says: list[str] = []
    updater.add_button(agent_header, agent_says.append)
    button = agent_header.findChild(updates.UpdateButton)
    assert button is not None and button.isVisible()
    assert button.toolTip() == "Update to version 0.2.0"
    customer.hide()  # agent mode
    button.click()
    waiting = "The update will be installed when the session ends."
    assert agent_says == [waiting] and customer_says == [waiting]
    assert not button.isEnabled()
    assert running.read_bytes() == b"the running build"
