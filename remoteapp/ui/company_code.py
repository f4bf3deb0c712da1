"""Asked when the app cannot tell whose it is (its file was renamed and nothing is
cached): the company's code, the slug of its download link.  The signed profile is
fetched and checked off the GUI thread; the dialog stays open until one checks."""

from __future__ import annotations

import logging
from pathlib import Path

from remoteapp.branding.deployment import Deployment
from remoteapp.branding.identity import Identity, ProfileCache, ProfileUnavailable, resolve
from remoteapp.ui import operations
from remoteapp.ui.i18n import tr
from remoteapp.ui.identity_texts import identity_failure_text
from remoteapp.ui.qt import QtWidgets
from remotewire.distribution import valid_slug
from remotewire.events import EventLog

identity_events = EventLog("identity")

log = logging.getLogger("remoteapp.identity")


class CompanyCodeDialog(QtWidgets.QDialog):
    def __init__(self, deployment: Deployment, executable: Path, cache: ProfileCache) -> None:
        super().__init__()
        self.deployment, self.executable, self.cache = deployment, executable, cache
        self.identity: Identity | None = None
        self.setWindowTitle(tr("Remote support"))
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(
            QtWidgets.QLabel(tr("Type your company's code (it ends the download link):"))
        )
        self.code = QtWidgets.QLineEdit()
        self.code.setObjectName("company-code")
        self.code.returnPressed.connect(self.submit)
        layout.addWidget(self.code)
        self.error = QtWidgets.QLabel()
        self.error.setObjectName("company-code-error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.ok = QtWidgets.QPushButton(tr("Continue"))
        self.ok.clicked.connect(self.submit)
        layout.addWidget(self.ok)

    def submit(self) -> None:
        code = self.code.text().strip()
        if not valid_slug(code):
            self.error.setText(tr("That is not a company code."))
            return
        self.ok.setEnabled(False)
        self.error.setText(tr("Checking..."))
        operations.run(
            self,
            lambda: resolve(self.deployment, self.executable, self.cache, code=code),
            self._found,
            self._failed,
        )

    def _found(self, identity: Identity | None) -> None:
        self.identity = identity
        if identity is None:
            self._failed(ProfileUnavailable("no profile", why="unknown-app"))
            return
        identity_events.emit("code-accepted", slug=identity.slug)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.ok.setEnabled(True)
        log.warning("identity event=code-refused reason=%r", str(exc))
        self.error.setText(identity_failure_text(exc))  # (the detail: logged above)


def ask(deployment: Deployment, executable: Path, cache: ProfileCache) -> Identity | None:
    """Run the dialog (its own event loop); the identity, or None if the user closed it."""
    dialog = CompanyCodeDialog(deployment, executable, cache)
    dialog.show()
    identity_events.emit("asking-code")
    dialog.exec()
    return dialog.identity
