"""The update icon in the window's top-right corner (the customer window's, and the
agent window's once it opens): shown when the server's signed repository has a newer
build, with a tooltip naming the version; one click downloads it (progress bar),
verifies it, replaces the executable and starts it again.

The check runs off the GUI thread once the window is up, so it never delays or blocks
it; a failed check (tampered, expired or rolled-back metadata, an unreachable server)
is one log line and no icon.  A session in progress is never cut: the update waits for
it to end.  The logic is in ``remoteapp.update`` (no Qt); this is its face.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

from remoteapp.branding.deployment import Deployment
from remoteapp.session.device import data_dir
from remoteapp.ui import operations
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets, Signal, emitter, is_alive
from remoteapp.update.bundle import replace_bundle
from remoteapp.update.client import Available, UpdateClient
from remoteapp.update.replace import relaunch, replace_executable
from remotewire.events import EventLog

update_events = EventLog("update")

log = logging.getLogger("remoteapp.update")


def this_os() -> str:
    return {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")


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
    """Checks once on start and drives the update; ``busy()`` says a session is on."""

    progress = Signal(int, int)
    found = Signal(str)  # the version on offer (also: the button is shown)

    def __init__(
        self,
        window: QtWidgets.QWidget,
        client: UpdateClient,
        executable: Path,
        busy: Callable[[], bool],
        quit_app: Callable[[], None],
        bundle: Path | None = None,
    ) -> None:
        super().__init__(window)
        self.window, self.client = window, client
        self.executable, self.busy, self.quit_app = executable, busy, quit_app
        self.bundle = bundle  # macOS: the .app folder the update replaces whole
        self.buttons: list[tuple[UpdateButton, Callable[[str], None]]] = []
        self.available: Available | None = None
        self.dialog: QtWidgets.QProgressDialog | None = None
        self._dialog_parent = window
        self._waiting = QtCore.QTimer(self)
        self._waiting.setInterval(1000)
        self._waiting.timeout.connect(self._start_when_free)
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
        button.setEnabled(self.dialog is None and not self._waiting.isActive())
        button.show()

    def status(self, text: str) -> None:
        for button, show in self.buttons:
            if is_alive(button):
                show(text)

    def check(self) -> None:
        operations.run(
            self.window, self.client.check, self._on_checked, self._on_check_failed, busy=False
        )

    def _on_checked(self, available: Available | None) -> None:
        if available is None:
            log.info("update event=up-to-date version=%s", self.client.current_version)
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
        if self.available is None or self.dialog is not None:
            return
        clicked = self.sender()
        if isinstance(clicked, QtWidgets.QWidget):
            self._dialog_parent = clicked.window()  # the progress shows where the click was
        for button, _ in self.buttons:
            if is_alive(button):
                button.setEnabled(False)
        self._start_when_free()

    def _start_when_free(self) -> None:
        if self.busy():
            if not self._waiting.isActive():
                self.status(tr("The update will be installed when the session ends."))
                update_events.emit("waiting-for-session")
                self._waiting.start()
            return
        self._waiting.stop()
        assert self.available is not None
        available = self.available
        self.dialog = QtWidgets.QProgressDialog(
            tr("Downloading version {version}...").format(version=available.version),
            "",
            0,
            max(available.length, 1),
            self._dialog_parent if is_alive(self._dialog_parent) else self.window,
        )
        self.dialog.setObjectName("update-progress")
        self.dialog.setCancelButton(None)
        self.dialog.setMinimumDuration(0)
        self.dialog.setValue(0)
        report = emitter(self.progress)

        def work() -> None:
            new = self.client.download(available, report)
            if self.bundle is not None:
                replace_bundle(self.bundle, new)
            else:
                replace_executable(self.executable, new)

        operations.run(self.window, work, self._on_replaced, self._on_failed)

    def _on_progress(self, done: int, total: int) -> None:
        if self.dialog is not None:
            self.dialog.setMaximum(max(total, 1))
            self.dialog.setValue(min(done, max(total, 1)))

    def _on_replaced(self, _: object) -> None:
        assert self.available is not None
        update_events.emit("replaced", version=self.available.version)
        relaunch(self.executable, sys.argv[1:])
        self.quit_app()

    def _on_failed(self, exc: Exception) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog = None
        self.available = None  # a build that failed to verify is not offered again
        for button, _ in self.buttons:
            if is_alive(button):
                button.hide()
                button.setEnabled(True)
        log.warning("update event=failed reason=%r", str(exc))
        update_events.emit("failed", reason=repr(str(exc)))
        self.status(tr("The update failed: {reason}").format(reason=str(exc)))


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
