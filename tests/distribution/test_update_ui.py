"""The update icon's steps on real Qt, against the real server (through a proxy that can
hold or trickle answers): a session that starts while the build downloads is not cut
(the verified file waits for its end); the download can be cancelled, leaving the app
as it was; a build that cannot start is refused, or said when it fails to start, and
the app keeps running.  The "new build" is a copy of ``true``: a real program, so the
relaunch starts it for real and it ends at once."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from bench import builds
from remoteapp.ui import updates
from remoteapp.ui.qt import QtCore, QtWidgets
from remoteapp.update.client import UpdateClient, trusted_root_bytes
from tests.distribution.conftest import deployment_of
from tests.distribution.proxy import Proxy
from tests.helpdesk.server_process import Server

TRUE = Path(shutil.which("true") or "/bin/true")


class App:
    """The running app as the updater sees it: its executable, a session flag, what it
    said in its status line, and whether it was asked to quit."""

    def __init__(
        self,
        qtbot: QtBot,
        tmp_path: Path,
        url: str,
        kit: Path,
        check_every_ms: int = updates.CHECK_EVERY_MS,
    ) -> None:
        self.executable = tmp_path / "app" / "Demo_ra-demo"
        self.executable.parent.mkdir()
        self.executable.write_bytes(b"the running build")
        self.session = False
        self.said: list[str] = []
        self.quits = 0
        self.cache = tmp_path / "cache"
        root = trusted_root_bytes(deployment_of(kit)["update_root"])
        client = UpdateClient(url, root, self.cache, "linux", "0.1.0", timeout_s=5)
        self.window = QtWidgets.QWidget()
        header = QtWidgets.QWidget()
        header.setLayout(QtWidgets.QHBoxLayout())
        QtWidgets.QVBoxLayout(self.window).addWidget(header)
        qtbot.addWidget(self.window)
        self.window.show()
        self.updater = updates.Updater(
            self.window,
            client,
            self.executable,
            lambda: self.session,
            self.quit,
            check_every_ms=check_every_ms,
        )
        self.updater.add_button(header, self.said.append)
        button = header.findChild(updates.UpdateButton)
        assert button is not None
        self.button = button
        with qtbot.waitSignal(self.updater.found, timeout=30_000):
            self.updater.check()

    def quit(self) -> None:
        self.quits += 1

    def downloads(self) -> list[str]:
        folder = self.cache / "downloads"
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def step(name: str) -> Callable[[str], bool]:
    """``waitSignal``'s check for one of ``Updater.changed``'s steps."""
    return lambda changed: changed == name


def publish(server: Server, kit: Path, content: bytes, tmp: Path, version: str = "0.2.0") -> None:
    artifact = tmp / f"remoteapp-{version}"
    artifact.write_bytes(content)
    builds.publish(server.data_dir, kit / "keys", version, artifact)


def wait_relaunched(app: App) -> None:
    relaunched = app.updater.relaunched
    assert relaunched is not None
    assert relaunched.wait(30) == 0  # the new build ran (``true``) and ended


def test_a_session_started_during_the_download_is_not_cut(
    qtbot: QtBot, repo_server: Server, proxy: Proxy, kit: Path, tmp_path: Path
) -> None:
    publish(repo_server, kit, TRUE.read_bytes(), tmp_path)
    proxy.hold = lambda path: "/targets/" in path  # the build arrives when the test says
    app = App(qtbot, tmp_path, proxy.url, kit)
    app.button.click()  # no session: the download starts
    assert app.updater.dialog is not None
    app.session = True  # an agent connects while it downloads
    with qtbot.waitSignal(app.updater.changed, check_params_cb=step("waiting-for-session")):
        proxy.gate.set()
    assert app.executable.read_bytes() == b"the running build" and app.quits == 0
    assert app.said == ["The update will be installed when the session ends."]
    assert app.downloads() == ["remoteapp-0.2.0"]  # verified, kept for the session's end
    assert app.updater.dialog is None and not app.button.isEnabled()

    with qtbot.waitSignal(app.updater.changed, check_params_cb=step("replaced"), timeout=10_000):
        app.session = False  # the session ends: replaced, started again, quit
    assert app.quits == 1  # in the same turn as the replace's report
    wait_relaunched(app)
    assert app.executable.read_bytes() == TRUE.read_bytes()
    assert app.downloads() == []  # installed: the cache keeps no copy
    assert len([p for p in proxy.asked if "/targets/" in p]) == 1  # downloaded once


def test_a_session_started_during_the_replace_holds_the_relaunch(
    qtbot: QtBot, repo_server: Server, kit: Path, tmp_path: Path
) -> None:
    publish(repo_server, kit, TRUE.read_bytes(), tmp_path)
    app = App(qtbot, tmp_path, repo_server.http_url, kit)

    def agent_connects(name: str) -> None:
        if name == "replaced":  # the moment the new file is in place
            app.session = True

    app.updater.changed.connect(agent_connects)
    with qtbot.waitSignal(
        app.updater.changed, check_params_cb=step("waiting-for-session"), timeout=30_000
    ):
        app.button.click()
    assert app.executable.read_bytes() == TRUE.read_bytes()  # in place, not started
    assert app.quits == 0 and app.updater.relaunched is None
    with qtbot.waitSignal(app.updater.changed, check_params_cb=step("relaunched")):
        app.session = False
    assert app.quits == 1
    wait_relaunched(app)


def test_cancel_stops_the_download_and_leaves_the_app_as_it_was(
    qtbot: QtBot, repo_server: Server, proxy: Proxy, kit: Path, tmp_path: Path
) -> None:
    publish(repo_server, kit, TRUE.read_bytes(), tmp_path)
    proxy.trickle = lambda path: "/targets/" in path  # minutes for the whole build
    app = App(qtbot, tmp_path, proxy.url, kit)
    with qtbot.waitSignal(app.updater.progress, timeout=30_000):
        app.button.click()
    dialog = app.updater.dialog
    assert dialog is not None and dialog.isVisible()
    cancel = dialog.findChild(QtWidgets.QPushButton)
    assert cancel is not None and cancel.text() == "Cancel"
    with qtbot.waitSignal(app.updater.changed, check_params_cb=step("cancelled")):
        cancel.click()
    assert app.updater.dialog is None
    assert app.button.isVisible() and app.button.isEnabled()
    assert QtCore.QThreadPool.globalInstance().waitForDone(30_000)  # the download ended
    assert app.downloads() == [] and app.executable.read_bytes() == b"the running build"
    assert app.quits == 0 and app.said == []

    proxy.trickle = lambda path: False  # as it was: a second click updates
    with qtbot.waitSignal(app.updater.changed, check_params_cb=step("replaced"), timeout=30_000):
        app.button.click()
    assert app.quits == 1  # in the same turn as the replace's report
    wait_relaunched(app)
    assert app.executable.read_bytes() == TRUE.read_bytes()


def test_a_build_that_is_no_program_is_refused_and_the_app_kept(
    qtbot: QtBot, repo_server: Server, kit: Path, tmp_path: Path
) -> None:
    publish(repo_server, kit, b"PK\x03\x04 the macOS zip, published as the Linux build", tmp_path)
    app = App(qtbot, tmp_path, repo_server.http_url, kit)
    with qtbot.waitSignal(app.updater.changed, check_params_cb=step("failed"), timeout=30_000):
        app.button.click()
    assert app.executable.read_bytes() == b"the running build" and app.quits == 0
    assert app.said == [
        "The update failed. The published version is not a program this system can run; "
        "nothing was changed."
    ]
    assert not app.button.isVisible() and app.updater.relaunched is None
    assert app.downloads() == []  # refused: not kept either
    assert sorted(p.name for p in app.executable.parent.iterdir()) == [app.executable.name]


def test_a_build_that_fails_to_start_is_said_and_the_app_keeps_running(
    qtbot: QtBot, repo_server: Server, kit: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = b"\x7fELF but no program after that"  # the kernel refuses to run it
    publish(repo_server, kit, broken, tmp_path)
    app = App(qtbot, tmp_path, repo_server.http_url, kit)
    with qtbot.waitSignal(app.updater.changed, check_params_cb=step("failed"), timeout=30_000):
        app.button.click()
    assert app.quits == 0  # still running, and it says why
    assert app.said == [
        "The update failed. The new version was installed but did not start; "
        "it is the one that opens next time."
    ]
    assert "Exec format error" in caplog.text  # the detail, for whoever reads the log
    assert app.executable.read_bytes() == broken  # in place: the next start says it too


def test_a_download_the_server_refused_can_be_clicked_again(
    qtbot: QtBot,
    repo_server: Server,
    proxy: Proxy,
    kit: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failure of the link (a 503 here) is not the build's: the icon stays, enabled,
    and a second click once the server answers updates; the status line says it in a
    sentence, the detail (``HTTP 503``) only in the log."""
    publish(repo_server, kit, TRUE.read_bytes(), tmp_path)
    proxy.refuse = lambda path: "/targets/" in path
    app = App(qtbot, tmp_path, proxy.url, kit)
    with qtbot.waitSignal(app.updater.changed, check_params_cb=step("failed"), timeout=30_000):
        app.button.click()
    assert app.said == [
        "The update failed. The update server could not be reached or refused the "
        "download; try again later with the update icon."
    ]
    assert "HTTP 503" in caplog.text
    assert app.button.isVisible() and app.button.isEnabled()
    assert app.updater.failed_versions == set() and app.downloads() == []
    assert app.updater.dialog is None and app.quits == 0

    proxy.refuse = lambda path: False
    with qtbot.waitSignal(app.updater.changed, check_params_cb=step("replaced"), timeout=30_000):
        app.button.click()
    assert app.quits == 1
    wait_relaunched(app)
    assert app.executable.read_bytes() == TRUE.read_bytes()


def test_a_build_published_later_is_offered_without_a_restart(
    qtbot: QtBot, repo_server: Server, kit: Path, tmp_path: Path
) -> None:
    """The check is made again while the app stays open (an agent's, all day): a build
    published after the start is offered on the icon, with no restart."""
    publish(repo_server, kit, TRUE.read_bytes(), tmp_path)
    app = App(qtbot, tmp_path, repo_server.http_url, kit, check_every_ms=200)
    assert "0.2.0" in app.button.toolTip()
    newer = qtbot.waitSignal(app.updater.found, check_params_cb="0.3.0".__eq__, timeout=30_000)
    with newer:
        publish(repo_server, kit, TRUE.read_bytes(), tmp_path, "0.3.0")
    assert app.button.isVisible() and "0.3.0" in app.button.toolTip()
    assert app.updater.available is not None and app.updater.available.version == "0.3.0"


def test_a_build_that_failed_is_not_offered_again_but_a_newer_one_is(
    qtbot: QtBot, repo_server: Server, kit: Path, tmp_path: Path
) -> None:
    """With a check every few hours, a build that failed to install came back on the icon
    each time (another 100 MB download, the same failure): not in this run; a newer one is."""
    publish(repo_server, kit, b"PK\x03\x04 not a program", tmp_path)
    app = App(qtbot, tmp_path, repo_server.http_url, kit, check_every_ms=200)
    with qtbot.waitSignal(app.updater.changed, check_params_cb=step("failed"), timeout=30_000):
        app.button.click()
    offered: list[str] = []
    app.updater.found.connect(offered.append)
    with qtbot.waitSignal(app.updater.changed, check_params_cb=step("up-to-date"), timeout=30_000):
        pass  # the next check finds 0.2.0 and does not offer it
    assert offered == [] and not app.button.isVisible()
    newer = qtbot.waitSignal(app.updater.found, check_params_cb="0.3.0".__eq__, timeout=30_000)
    with newer:
        publish(repo_server, kit, TRUE.read_bytes(), tmp_path, "0.3.0")
    assert offered == ["0.3.0"] and app.button.isVisible()
