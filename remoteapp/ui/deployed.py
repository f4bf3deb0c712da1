"""Start-up of a built app (one with a baked ``deployment.json``): whose app it is, then
the update icon.  From source there is no deployment and none of this runs.

``prepare`` runs before the QApplication exists and reads only files: with a verified
cached profile of the same slug the app starts from it at once and refreshes the cache
on a background thread for the next start.  With none (a first start), ``profile``
shows a window at once ("Loading...") and fetches the signed profile off the GUI
thread; the app's own window replaces it when the profile arrives (or the company's
code is asked, when nothing says whose app this is).  A server out of reach is said in
that window and tried again until it answers.  The GUI never waits on the network.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from remoteapp.branding.deployment import Deployment, load_deployment
from remoteapp.branding.identity import (
    Identity,
    IdentityError,
    ProfileCache,
    ProfileUnavailable,
    cached_identity,
    executable_path,
    named_path,
    refresh,
    resolve,
)
from remoteapp.branding.profile import Profile
from remoteapp.session.device import data_dir
from remoteapp.ui import company_code, operations, updates
from remoteapp.ui.i18n import tr
from remoteapp.ui.identity_texts import identity_failure_text, worth_retrying
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets, Signal
from remoteapp.update.replace import remove_leftovers
from remotewire.events import EventLog

log = logging.getLogger("remoteapp.identity")
identity_events = EventLog("identity")
RETRY_MS = 15_000
"""A first start that cannot reach the server tries again this often (and at once, by
its window's button): the customer's internet may come back while the window is up."""


@dataclass
class Deployed:
    deployment: Deployment
    executable: Path  # the running program's file: what an update replaces
    named: Path  # what carries the slug (macOS: the ``.app`` folder around it)
    cache: ProfileCache
    identity: Identity | None
    updater: updates.Updater | None = None


def prepare() -> Deployed | None:
    """None from source; raises DeploymentError (a broken build).  Files only."""
    deployment = load_deployment()
    if deployment is None:
        return None
    executable = executable_path()
    named = named_path(executable)
    if getattr(sys, "frozen", False):
        for leftover in remove_leftovers(named):  # the old exe (Windows) or .app (macOS)
            log.info("update event=leftover-removed path=%s", leftover)
    cache = ProfileCache(data_dir() / "profile")
    deployed = Deployed(deployment, executable, named, cache, None)
    deployed.identity = cached_identity(deployment, named, cache)
    if deployed.identity is not None:
        _resolved(deployed, deployed.identity)
        threading.Thread(
            target=refresh, args=(deployment, deployed.identity.slug, cache), daemon=True
        ).start()
    return deployed


def _resolved(deployed: Deployed, identity: Identity) -> None:
    identity_events.emit(
        "resolved",
        slug=identity.slug,
        source=identity.source,
        version=deployed.deployment.version,
        pid=os.getpid(),
    )


class LoadingWindow(QtWidgets.QWidget):
    """Shown at once on a first start, until the signed profile says whose app this is;
    ``done`` ends its wait (closing it gives up)."""

    done = Signal()
    said = Signal(str)  # what a failed try shows (for tests and scripts)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("loading")
        self.setWindowTitle(tr("Remote support"))
        layout = QtWidgets.QVBoxLayout(self)
        self.text = QtWidgets.QLabel(tr("Loading..."))
        self.text.setObjectName("loading-text")
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(320)
        layout.addWidget(self.text)
        self.retry = QtWidgets.QPushButton(tr("Try again now"))
        self.retry.setObjectName("loading-retry")
        self.retry.hide()  # shown while the server cannot be reached
        layout.addWidget(self.retry)
        self.closed = False

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.closed = True
        self.done.emit()
        super().closeEvent(event)


def _fetch(deployed: Deployed, retry_ms: int | None = None) -> bool:
    """Fetch and verify the signed profile off the GUI thread while the loading window
    shows (its own event loop: the window stays live); False when the user closed it.
    A failure of the link or the server is said and tried again every ``retry_ms`` (or
    at once, by the window's button) until it works or the window is closed."""
    retry_ms = RETRY_MS if retry_ms is None else retry_ms
    window = LoadingWindow()
    loop = QtCore.QEventLoop()
    window.done.connect(loop.quit)
    again = QtCore.QTimer(window)
    again.setSingleShot(True)
    again.setInterval(retry_ms)

    def found(identity: Identity | None) -> None:
        deployed.identity = identity
        window.done.emit()

    def failed(exc: Exception) -> None:
        if isinstance(exc, ProfileUnavailable) and exc.unknown_app:
            window.done.emit()  # the file's code is no company's: the code is asked
            return
        text = identity_failure_text(exc)
        if worth_retrying(exc):
            seconds = max(1, round(retry_ms / 1000))
            why = exc.why if isinstance(exc, IdentityError) else type(exc).__name__
            identity_events.emit("retrying", why=why, every_s=seconds)
            window.text.setText(
                text + "\n\n" + tr("The app tries again every {seconds} s.").format(seconds=seconds)
            )
            window.retry.show()
            again.start()
        else:
            log.warning("identity event=refused reason=%r", str(exc))
            identity_events.emit("refused", reason=repr(str(exc)))
            window.text.setText(tr("This app cannot start. {reason}").format(reason=text))
        window.said.emit(window.text.text())

    def work() -> Identity | None:
        return resolve(deployed.deployment, deployed.named, deployed.cache)

    def attempt() -> None:
        again.stop()
        window.retry.hide()  # (one try at a time: shown again if it fails)
        operations.run(window, work, found, failed)

    def retry() -> None:
        window.text.setText(tr("Trying again..."))
        attempt()

    again.timeout.connect(retry)
    window.retry.clicked.connect(retry)
    window.show()
    identity_events.emit("loading")
    attempt()
    loop.exec()
    again.stop()
    window.hide()
    window.deleteLater()
    return not window.closed


def profile(deployed: Deployed) -> Profile | None:
    """The profile to show; a first start fetches it with a window up, and the
    company's code is asked when nothing says whose app this is (None: the user gave up,
    or the profile was refused)."""
    if deployed.identity is None:
        if not _fetch(deployed):
            return None
        if deployed.identity is not None:
            _resolved(deployed, deployed.identity)
    if deployed.identity is None:
        deployed.identity = company_code.ask(deployed.deployment, deployed.named, deployed.cache)
    return deployed.identity.profile if deployed.identity is not None else None


def attach_updates(
    deployed: Deployed,
    header: QtWidgets.QWidget,
    window: QtWidgets.QWidget,
    session_in_progress: Callable[[], bool],
    status: Callable[[str], None],
) -> None:
    """The update icon in ``header``; ``session_in_progress()`` holds an update back."""
    deployed.updater = updates.attach(
        header,
        window,
        deployed.deployment,
        deployed.executable,
        session_in_progress,
        status,
        deployed.named if deployed.named != deployed.executable else None,
    )
