"""The update icon in the window's top-right corner (the customer window's, and the
agent window's once it opens): shown when the server's signed repository has a newer
build, with a tooltip naming the version; one click downloads it (progress bar),
verifies it, replaces the executable and starts it again.

The check runs off the GUI thread once the window is up, so it never delays or blocks
it; a failed check (tampered, expired or rolled-back metadata, an unreachable server)
is one log line and no icon.  A session in progress is never cut: each step that could
cut it (the download's start, the replace, the relaunch) waits for it to end.  The
download can be cancelled (its dialog's button) and has a bound (``UpdateClient``).
The logic is in ``remoteapp.update`` (no Qt); this is its face.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from remoteapp.branding.deployment import Deployment
from remoteapp.session.device import data_dir
from remoteapp.ui import operations
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets, Signal, emitter, is_alive
from remoteapp.ui.update_texts import update_failure_text
from remoteapp.update.bundle import replace_bundle
from remoteapp.update.client import Available, UpdateClient
from remoteapp.update.errors import ReplaceFailed, UpdateError
from remoteapp.update.replace import relaunch, replace_executable
from remoteapp.update.runnable import this_os
from remotewire.events import EventLog

update_events = EventLog("update")
CHECK_EVERY_MS = 4 * 3600 * 1000
"""Checked again this often: an app left open all day (an agent's) learns of a build
published meanwhile, and a check that failed (the server down) is tried again."""

TRANSIENT = frozenset({"network", "too-slow", "disk"})
"""Failures of the link or of this machine's disk, not of the build: its icon stays, to
be clicked again (a build that failed for any other reason is not offered again in this
run)."""

log = logging.getLogger("remoteapp.update")


def update_icon(size: int = 28) -> QtGui.QIcon:
    """A drawn green circle with a downward arrow (no icon theme needed)."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setBrush(QtGui.QColor(30, 140, 60))
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.drawEllipse(QtCore.QRectF(1, 1, size - 2, size - 2))
    pen = QtGui.QPen(QtGui.QColor("white"), size / 9)
    pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    mid = size / 2
    painter.drawLine(QtCore.QPointF(mid, size * 0.25), QtCore.QPointF(mid, size * 0.72))
    painter.drawLine(QtCore.QPointF(mid, size * 0.72), QtCore.QPointF(size * 0.3, size * 0.5))
    painter.drawLine(QtCore.QPointF(mid, size * 0.72), QtCore.QPointF(size * 0.7, size * 0.5))
    painter.end()
    return QtGui.QIcon(pixmap)


class UpdateButton(QtWidgets.QToolButton):
    """Hidden until a newer build is known; ``clicked`` starts the update."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("update-available")
        self.setIcon(update_icon())
        self.setIconSize(QtCore.QSize(28, 28))
        self.setAutoRaise(True)
        self.hide()


class Updater(QtCore.QObject):
    """Checks on start and every ``check_every_ms`` after, and drives the update;
    ``busy()`` says a session is on.

    The steps (download, replace, relaunch and quit) each start only when ``busy()`` is
    false, looked at again before each on the GUI thread: a session that starts while
    the build downloads keeps the verified file waiting until it ends, and the replace
    or the relaunch that would end it waits too.  ``changed`` names each step as its
    event line does (for tests and scripts)."""

    progress = Signal(int, int)
    found = Signal(str)  # the version on offer (also: the button is shown)
    changed = Signal(str)  # waiting-for-session, downloaded, cancelled, replaced, relaunched...

    def __init__(
        self,
        window: QtWidgets.QWidget,
        client: UpdateClient,
        executable: Path,
        busy: Callable[[], bool],
        quit_app: Callable[[], None],
        bundle: Path | None = None,
        check_every_ms: int = CHECK_EVERY_MS,
    ) -> None:
        super().__init__(window)
        self.window, self.client = window, client
        self.executable, self.busy, self.quit_app = executable, busy, quit_app
        self.bundle = bundle  # macOS: the .app folder the update replaces whole
        self.buttons: list[tuple[UpdateButton, Callable[[str], None]]] = []
        self.available: Available | None = None
        self.failed_versions: set[str] = set()  # an update to these failed in this run
        self.dialog: QtWidgets.QProgressDialog | None = None
        self.downloaded: Path | None = None  # verified, waiting to be put in place
        self.installed = False  # in place, waiting to be started
        self._cancel: threading.Event | None = None  # the running download's
        self.relaunched: subprocess.Popen[bytes] | None = None  # the new build, started
        self._dialog_parent = window
        self._waiting = QtCore.QTimer(self)
        self._waiting.setInterval(1000)
        self._waiting.timeout.connect(self._next_when_free)
        self._again = QtCore.QTimer(self)
        self._again.setInterval(check_every_ms)
        self._again.timeout.connect(self._check_again)
        self.progress.connect(self._on_progress, QtCore.Qt.ConnectionType.QueuedConnection)

    def add_button(self, header: QtWidgets.QWidget, status: Callable[[str], None]) -> None:
        """An icon in ``header`` (left of its last widget, the agent icon); ``status``
        shows that window's messages.  Shown at once if an update is already known."""
        button = UpdateButton()
        layout = header.layout()
        if isinstance(layout, QtWidgets.QBoxLayout):
            at = max(layout.count() - 1, 0)
            layout.insertWidget(at, button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        button.clicked.connect(self.clicked)
        self.buttons = [(b, s) for b, s in self.buttons if is_alive(b)] + [(button, status)]
        if self.available is not None:
            self._show(button, self.available)
            QtCore.QTimer.singleShot(0, self._report_button)

    def _show(self, button: UpdateButton, available: Available) -> None:
        button.setToolTip(tr("Update to version {version}").format(version=available.version))
        button.setEnabled(not self._started())
        button.show()

    def _started(self) -> bool:
        return (
            self.dialog is not None
            or self._waiting.isActive()
            or self.downloaded is not None
            or self.installed
        )

    def status(self, text: str) -> None:
        for button, show in self.buttons:
            if is_alive(button):
                show(text)

    def _event(self, name: str, **fields: object) -> None:
        update_events.emit(name, logging.INFO, **fields)
        self.changed.emit(name)

    def check(self) -> None:
        if not self._again.isActive():
            self._again.start()
        operations.run(
            self.window, self.client.check, self._on_checked, self._on_check_failed, busy=False
        )

    def _check_again(self) -> None:
        if not self._started():  # (an update under way has its build)
            self.check()

    def _on_checked(self, available: Available | None) -> None:
        if self._started():
            return  # (a click while the check ran: the offer in hand goes on)
        if available is not None and available.version in self.failed_versions:
            available = None  # failed once in this run: a newer build is offered, not it
        if available is None:
            log.info("update event=up-to-date version=%s", self.client.current_version)
            self._withdraw()  # (a build no longer published, or failed)
            self.changed.emit("up-to-date")
            return
        self.available = available
        for button, _ in self.buttons:
            if is_alive(button):
                self._show(button, available)
        log.info("update event=available version=%s", available.version)
        self.found.emit(available.version)
        QtCore.QTimer.singleShot(0, self._report_button)

    def _report_button(self) -> None:
        """The event line names where the visible icon is, for tests and scripts to click
        it (``window=`` the object name of its window)."""
        if self.available is None:
            return
        for button, _ in self.buttons:
            if is_alive(button) and button.isVisible():
                centre = button.mapToGlobal(button.rect().center())
                update_events.emit(
                    "available",
                    version=self.available.version,
                    button=f"{centre.x()},{centre.y()}",
                    window=button.window().objectName() or "-",
                )

    def _on_check_failed(self, exc: Exception) -> None:
        log.warning("update event=check-failed reason=%r", str(exc))
        update_events.emit("check-failed", reason=repr(str(exc)))

    def clicked(self) -> None:
        if self.available is None or self._started():
            return
        clicked = self.sender()
        if isinstance(clicked, QtWidgets.QWidget):
            self._dialog_parent = clicked.window()  # the progress shows where the click was
        self._enable_buttons(False)
        self._next_when_free()

    def _enable_buttons(self, enabled: bool) -> None:
        for button, _ in self.buttons:
            if is_alive(button):
                button.setEnabled(enabled)

    def _next_when_free(self) -> None:
        """The next step (download, replace, relaunch), unless a session is on: then it
        waits, polled, for the session's end."""
        if self.busy():
            if not self._waiting.isActive():
                self._close_dialog()
                self.status(tr("The update will be installed when the session ends."))
                self._event("waiting-for-session")
                self._waiting.start()
            return
        self._waiting.stop()
        if self.installed:
            self._relaunch()
        elif self.downloaded is not None:
            self._install(self.downloaded)
        else:
            self._download()

    def _download(self) -> None:
        assert self.available is not None
        available = self.available
        self.dialog = QtWidgets.QProgressDialog(
            tr("Downloading version {version}...").format(version=available.version),
            tr("Cancel"),
            0,
            max(available.length, 1),
            self._dialog_parent if is_alive(self._dialog_parent) else self.window,
        )
        self.dialog.setObjectName("update-progress")
        self.dialog.setMinimumDuration(0)
        self.dialog.canceled.connect(self.cancel)  # its button, Escape, or its close box
        self.dialog.setValue(0)
        cancel = self._cancel = threading.Event()
        emit = emitter(self.progress)

        def report(done: int, total: int) -> None:
            if not cancel.is_set():  # a cancelled download's last bytes move no bar
                emit(done, total)

        operations.run(
            self.window,
            lambda: self.client.download(available, report, cancel),
            lambda path: self._on_downloaded(cancel, path),
            lambda exc: self._on_download_failed(cancel, exc),
        )

    def cancel(self) -> None:
        """Stop the download: the app is as it was before the click (the client keeps
        no partial file); what the stopped download still reports is ignored."""
        if self._cancel is None:
            return  # the dialog closed by us, not by the user
        self._cancel.set()
        self._cancel = None
        self._close_dialog()
        assert self.available is not None
        log.info("update event=cancelled version=%s", self.available.version)
        self._event("cancelled", version=self.available.version)
        self._enable_buttons(True)

    def _close_dialog(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None and is_alive(dialog):
            dialog.close()
            dialog.deleteLater()

    def _on_progress(self, done: int, total: int) -> None:
        if self.dialog is not None:
            self.dialog.setMaximum(max(total, 1))
            self.dialog.setValue(min(done, max(total, 1)))

    def _on_downloaded(self, cancel: threading.Event, path: Path) -> None:
        if cancel is not self._cancel:
            return  # cancelled meanwhile; the next download removes the file
        self._cancel = None
        assert self.available is not None
        self.downloaded = path
        self._event("downloaded", version=self.available.version)
        self._next_when_free()

    def _on_download_failed(self, cancel: threading.Event, exc: Exception) -> None:
        if cancel is self._cancel:  # else cancelled: already said
            self._cancel = None
            self._on_failed(exc)

    def _install(self, new: Path) -> None:
        executable, bundle, client = self.executable, self.bundle, self.client

        def work() -> None:
            try:
                if bundle is not None:
                    replace_bundle(bundle, new, executable.name)
                else:
                    replace_executable(executable, new)
            finally:  # in place, or refused: either way not needed again
                client.discard(new)

        self.downloaded = None
        self.installed = True  # until it fails: the buttons stay disabled meanwhile
        operations.run(self.window, work, self._on_replaced, self._on_failed)

    def _on_replaced(self, _: object) -> None:
        assert self.available is not None
        self._event("replaced", version=self.available.version)
        self._next_when_free()

    def _relaunch(self) -> None:
        """Start the new build and quit; if it cannot start, say so and keep running (the
        file is in place: the next start is the new version, or shows why it cannot)."""
        try:
            self.relaunched = relaunch(self.executable, sys.argv[1:])
        except OSError as exc:
            log.error("update event=relaunch-failed reason=%r", str(exc))
            self._on_failed(
                ReplaceFailed(
                    f"the new build was installed but cannot start: {exc}", why="cannot-start"
                )
            )
            return
        self.changed.emit("relaunched")
        self.quit_app()

    def _withdraw(self) -> None:
        self.available = None
        for button, _ in self.buttons:
            if is_alive(button):
                button.hide()
                button.setEnabled(True)

    def _on_failed(self, exc: Exception) -> None:
        self._close_dialog()
        self.downloaded, self.installed = None, False
        if isinstance(exc, UpdateError) and exc.why in TRANSIENT:
            self._enable_buttons(True)  # the same build, clicked again when the link is
        else:
            if self.available is not None:  # not offered again in this run (the next
                self.failed_versions.add(self.available.version)  # check comes in hours)
            self._withdraw()
        log.warning("update event=failed reason=%r", str(exc))
        self._event("failed", reason=repr(str(exc)))
        self.status(update_failure_text(exc))  # (the detail: in the log line above)


def attach(
    header: QtWidgets.QWidget,
    window: QtWidgets.QWidget,
    deployment: Deployment,
    executable: Path,
    busy: Callable[[], bool],
    status: Callable[[str], None],
    bundle: Path | None = None,
) -> Updater:
    """Put the update icon in ``header`` (``Updater.add_button`` adds it to another
    window) and check once the event loop runs."""
    client = UpdateClient(
        deployment.server_url,
        deployment.update_root,
        data_dir() / "updates",
        this_os(),
        deployment.version,
    )
    app = QtWidgets.QApplication.instance()
    updater = Updater(
        window, client, executable, busy, app.quit if app is not None else (lambda: None), bundle
    )
    updater.add_button(header, status)
    QtCore.QTimer.singleShot(0, updater.check)
    return updater
