"""The update icon in the window's top-right corner: shown when the server's signed
repository has a newer build, with a tooltip naming the version; one click downloads it
(progress bar), verifies it, replaces the executable and starts it again.

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
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets, Signal, emitter
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
        button: UpdateButton,
        client: UpdateClient,
        executable: Path,
        busy: Callable[[], bool],
        quit_app: Callable[[], None],
        status: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self.window, self.button, self.client = window, button, client
        self.executable, self.busy, self.quit_app, self.status = executable, busy, quit_app, status
        self.available: Available | None = None
        self.dialog: QtWidgets.QProgressDialog | None = None
        self._waiting = QtCore.QTimer(self)
        self._waiting.setInterval(1000)
        self._waiting.timeout.connect(self._start_when_free)
        button.clicked.connect(self.clicked)
        self.progress.connect(self._on_progress, QtCore.Qt.ConnectionType.QueuedConnection)

    def check(self) -> None:
        operations.run(
            self.window, self.client.check, self._on_checked, self._on_check_failed, busy=False
        )

    def _on_checked(self, available: Available | None) -> None:
        if available is None:
            log.info("update event=up-to-date version=%s", self.client.current_version)
            return
        self.available = available
        self.button.setToolTip(tr("Update to version {version}").format(version=available.version))
        self.button.show()
        log.info("update event=available version=%s", available.version)
        self.found.emit(available.version)
        QtCore.QTimer.singleShot(0, self._report_button)

    def _report_button(self) -> None:
        """The event line names where the icon is, for tests and scripts to click it."""
        if self.available is None:
            return
        centre = self.button.mapToGlobal(self.button.rect().center())
        update_events.emit(
            "available", version=self.available.version, button=f"{centre.x()},{centre.y()}"
        )

    def _on_check_failed(self, exc: Exception) -> None:
        log.warning("update event=check-failed reason=%r", str(exc))
        update_events.emit("check-failed", reason=repr(str(exc)))

    def clicked(self) -> None:
        if self.available is None or self.dialog is not None:
            return
        self.button.setEnabled(False)
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
            self.window,
        )
        self.dialog.setObjectName("update-progress")
        self.dialog.setCancelButton(None)
        self.dialog.setMinimumDuration(0)
        self.dialog.setValue(0)
        report = emitter(self.progress)

        def work() -> None:
            new = self.client.download(available, report)
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
        self.button.hide()
        self.button.setEnabled(True)
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
) -> Updater:
    """Put the update icon in ``header`` (left of its last widget, the agent icon) and
    check once the event loop runs."""
    button = UpdateButton()
    layout = header.layout()
    if isinstance(layout, QtWidgets.QBoxLayout):
        layout.insertWidget(max(layout.count() - 1, 0), button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
    client = UpdateClient(
        deployment.server_url,
        deployment.update_root,
        data_dir() / "updates",
        this_os(),
        deployment.version,
    )
    app = QtWidgets.QApplication.instance()
    updater = Updater(
        window,
        button,
        client,
        executable,
        busy,
        app.quit if app is not None else (lambda: None),
        status,
    )
    QtCore.QTimer.singleShot(0, updater.check)
    return updater
