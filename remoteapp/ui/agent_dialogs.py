"""Agent dialogs: login, ticket choice before a session, the partner's password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from remoteapp.net.helpdesk import (
    HelpdeskClient,
    HelpdeskUnavailable,
    NotAuthenticated,
    NotFound,
    RateLimited,
    TicketClient,
)
from remoteapp.net.helpdesk_http import InsecureServer, ServerNotTrusted
from remoteapp.ui import credentials, operations
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtWidgets
from remotewire.constants import MAX_ID

MAX_TICKET_ID: Final = MAX_ID
"""The server's ticket ids are 32-bit (a larger number got its raw 422 English)."""
MAX_DIALOG_WIDTH: Final = 640  #: a long message or subject wraps instead of widening


def bounded_width(dialog: QtWidgets.QDialog) -> int:
    """The widest ``dialog`` may be: ``MAX_DIALOG_WIDTH``, or less on a small screen."""
    screen = dialog.screen()
    room = screen.availableGeometry().width() - 40 if screen is not None else MAX_DIALOG_WIDTH
    return max(200, min(MAX_DIALOG_WIDTH, room))


def grow_to_fit(dialog: QtWidgets.QDialog) -> None:
    """Make ``dialog`` as large as its contents need now (never smaller). Qt sizes a
    dialog once, when shown: a word-wrapped line filled in later (the keyring's answer,
    a failure) was cut mid-line, its last lines below the dialog's edge."""
    layout = dialog.layout()
    if layout is None:
        return
    layout.activate()
    width = min(max(dialog.width(), dialog.sizeHint().width()), dialog.maximumWidth())
    height = (
        layout.totalHeightForWidth(width)
        if layout.hasHeightForWidth()
        else layout.totalSizeHint().height()
    )
    dialog.resize(width, max(dialog.height(), height))


def let_go(window: QtWidgets.QWidget, name: str, dialog: QtWidgets.QDialog) -> None:
    """Delete a finished dialog, and forget it as ``window``'s ``name`` (a child of the
    window, each session's stayed, with the ticket it had looked up: about 365 KB a
    session, in an app open all week)."""
    if getattr(window, name, None) is dialog:
        setattr(window, name, None)
    dialog.deleteLater()


class LoginDialog(QtWidgets.QDialog):
    """Server, email, password, remember me.  Logging in and the keyring (which may be
    slow, or ask to be unlocked) run off the GUI thread: the saved login fills the fields
    when the keyring answers, unless the agent has started typing."""

    def __init__(
        self, server_url: str, parent: QtWidgets.QWidget | None = None, *, fixed: bool = False
    ) -> None:
        """``fixed``: the server is a link's; a saved login for another one is not used."""
        super().__init__(parent)
        self.fixed_server = server_url if fixed else None
        self.setWindowTitle(tr("Agent login"))
        self.client: HelpdeskClient | None = None
        self.not_remembered = False  #: "remember me" was ticked but the keyring refused
        self.user: dict[str, Any] = {}
        self.keyring_checked = False  #: the keyring has answered (saved login or why not)
        form = QtWidgets.QFormLayout(self)
        self.server = QtWidgets.QLineEdit(server_url)
        self.server.setObjectName("server")
        metrics = self.server.fontMetrics()  # the whole address in view ("p://127.0.0.1:…")
        wanted = max(map(metrics.horizontalAdvance, (server_url, "https://helpdesk.example.com")))
        self.server.setMinimumWidth(min(wanted + 16, MAX_DIALOG_WIDTH - 160))
        self.email = QtWidgets.QLineEdit()
        self.email.setObjectName("email")
        self.password = QtWidgets.QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.remember = QtWidgets.QCheckBox(tr("Remember me"))
        form.addRow(tr("Server"), self.server)
        form.addRow(tr("Email"), self.email)
        form.addRow(tr("Password"), self.password)
        form.addRow(self.remember)
        self.message = QtWidgets.QLabel()
        self.message.setObjectName("login-message")
        self.message.setWordWrap(True)
        self.setMaximumWidth(bounded_width(self))
        form.addRow(self.message)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(tr("Log in"))
        buttons.accepted.connect(self._login)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        operations.show_errors_in(self, self._say)
        operations.show_busy_cursor(self)
        operations.run(
            self,
            credentials.saved_login,
            self._show_saved,
            lambda exc: self._show_saved((str(exc), None)),
        )

    def _show_saved(self, found: tuple[str | None, dict[str, str] | None]) -> None:
        why_not, saved = found
        self.keyring_checked = True
        if why_not is not None:
            self.remember.setEnabled(False)
            self.remember.setToolTip(why_not)
            if not self.message.text():
                self._say(tr("Login will not be remembered: no keyring on this system."))
        elif (
            saved
            and not (self.email.text() or self.password.text())
            and self.fixed_server in (None, saved.get("server", "").rstrip("/"))
        ):
            self.server.setText(saved.get("server", self.server.text()))
            self.email.setText(saved.get("email", ""))
            self.password.setText(saved.get("password", ""))
            self.remember.setChecked(True)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        grow_to_fit(self)

    def _login(self) -> None:
        server, email, password = (
            self.server.text().strip().rstrip("/"),
            self.email.text().strip(),
            self.password.text(),
        )
        if not (server and email and password):
            self._say(tr("Fill in server, email and password."))
            return
        self.ok.setEnabled(False)
        self._say(tr("Logging in..."))
        client = HelpdeskClient(server)
        remember = self.remember.isChecked()

        def work() -> tuple[dict[str, Any], bool]:
            user = client.login(email, password)  # a wrong login is never remembered
            if remember:
                return user, credentials.save(server, email, password)
            credentials.forget()
            return user, True

        def done(result: tuple[dict[str, Any], bool]) -> None:
            self.client, self.user = client, result[0]
            self.not_remembered = remember and not result[1]
            self.accept()

        def failed(exc: Exception) -> None:
            self.ok.setEnabled(True)
            if isinstance(exc, NotAuthenticated):
                self._say(tr("Wrong email or password."))
            elif isinstance(exc, RateLimited):
                self._say(
                    tr("Too many failed logins. Try again in {seconds} s.").format(
                        seconds=exc.retry_after
                    )
                )
            elif isinstance(exc, ServerNotTrusted):
                self._say(
                    tr("The certificate of {server} is not trusted: not logging in.").format(
                        server=server
                    )
                )
            elif isinstance(exc, InsecureServer):
                self._say(
                    tr("{server} is not encrypted (http://): use its https:// address.").format(
                        server=server
                    )
                )
            elif isinstance(exc, HelpdeskUnavailable):
                self._say(
                    tr(
                        "The server {server} cannot be reached. "
                        "Check the address or try again later."
                    ).format(server=server)
                )
            else:
                self._say(tr("Cannot log in: {reason}").format(reason=exc))

        operations.run(self, work, done, failed)


@dataclass(frozen=True, slots=True)
class TicketChoice:
    ticket_id: int | None  #: None: a new ticket will be opened
    subject: str = ""
    client_ref: str | None = None


class TicketDialog(QtWidgets.QDialog):
    """Which ticket the session belongs to: look one up, or confirm a new one."""

    def __init__(
        self,
        tickets: TicketClient,
        partner: str,
        parent: QtWidgets.QWidget | None,
        *,
        ticket: int | None = None,
    ) -> None:
        """``ticket``: preselected (a ``remoteapp://`` link's): filled in and looked up."""
        super().__init__(parent)
        self.setWindowTitle(tr("Ticket for the session with {partner}").format(partner=partner))
        self.tickets = tickets
        self.choice: TicketChoice | None = None
        self._found: dict[str, Any] | None = None
        layout = QtWidgets.QFormLayout(self)
        row = QtWidgets.QHBoxLayout()
        self.number = QtWidgets.QLineEdit()
        self.number.setObjectName("ticket-number")
        self.number.setPlaceholderText(tr("Ticket number"))
        self.lookup = QtWidgets.QPushButton(tr("Look up"))
        self.lookup.clicked.connect(self._lookup)
        self.number.returnPressed.connect(self._lookup)
        self.number.textChanged.connect(self._forget)
        row.addWidget(self.number)
        row.addWidget(self.lookup)
        layout.addRow(tr("Ticket"), row)
        self.subject = QtWidgets.QLabel()
        self.client = QtWidgets.QLabel()
        self.owner = QtWidgets.QLabel()
        layout.addRow(tr("Subject"), self.subject)
        layout.addRow(tr("Client"), self.client)
        layout.addRow(tr("Responsible"), self.owner)
        self.message = QtWidgets.QLabel()
        self.message.setObjectName("ticket-message")
        for label in (self.subject, self.client, self.owner, self.message):
            label.setWordWrap(True)  # (unwrapped, a long one widened the dialog off-screen)
            label.setMinimumWidth(1)  # a word too long to wrap (an address) is cut instead
        self.setMaximumWidth(bounded_width(self))
        layout.addRow(self.message)
        buttons = QtWidgets.QHBoxLayout()
        self.start = QtWidgets.QPushButton(tr("Start session"))
        self.start.setEnabled(False)
        self.start.clicked.connect(self._start_with_ticket)
        self.no_ticket = QtWidgets.QPushButton(tr("No ticket"))
        self.no_ticket.clicked.connect(self._new_ticket)
        cancel = QtWidgets.QPushButton(tr("Cancel"))
        cancel.clicked.connect(self.reject)
        for button in (self.start, self.no_ticket, cancel):
            buttons.addWidget(button)
        layout.addRow(buttons)
        if ticket is not None:
            self.number.setText(str(ticket))
            self._lookup()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        grow_to_fit(self)

    def _forget(self) -> None:
        """A ticket shown is the number in the field, or none: the session must not be
        recorded on a ticket looked up before the number was changed."""
        self._found = None
        self.start.setEnabled(False)
        for label in (self.subject, self.client, self.owner, self.message):
            label.clear()

    def _lookup(self) -> None:
        if not self.lookup.isEnabled():  # Enter pressed while one is under way
            return
        text = self.number.text().strip()
        if not (text.isascii() and text.isdigit()):  # ("²" is a digit int() refuses)
            self._say(tr("Type the ticket number."))
            return
        if not 1 <= int(text) <= MAX_TICKET_ID:
            self._say(
                tr("A ticket number is from 1 to {largest}: check the number.").format(
                    largest=MAX_TICKET_ID
                )
            )
            return
        self.lookup.setEnabled(False)
        self._say(tr("Looking up..."))

        def current() -> bool:
            """The answer is for the number still in the field (else it is dropped: the
            field's change already cleared what was shown)."""
            self.lookup.setEnabled(True)
            return self.number.text().strip() == text

        def done(ticket: dict[str, Any]) -> None:
            if not current():
                return
            self._found = ticket
            clients = ticket.get("clients") or []
            owner = ticket.get("owner") or {}
            self.subject.setText(str(ticket.get("subject", "")))
            self.client.setText(", ".join(str(c.get("businessName", "")) for c in clients))
            self.owner.setText(str(owner.get("businessName", "")))
            self.message.clear()
            self.start.setEnabled(True)

        def failed(exc: Exception) -> None:
            if not current():
                return
            self._found = None
            self.start.setEnabled(False)
            if isinstance(exc, NotFound):
                self._say(tr("There is no ticket {number}.").format(number=text))
            elif isinstance(exc, ServerNotTrusted):
                self._say(tr("The helpdesk server's certificate is not trusted: not connecting."))
            elif isinstance(exc, HelpdeskUnavailable):  # (urllib3's words: not for people)
                self._say(tr("The helpdesk server cannot be reached now: try again in a moment."))
            else:
                self._say(tr("Cannot look the ticket up: {reason}").format(reason=exc))

        operations.run(self, lambda: self.tickets.get_ticket(int(text)), done, failed)

    def _start_with_ticket(self) -> None:
        if self._found is None:  # (a change of the number clears it: ``_forget``)
            return
        clients = self._found.get("clients") or []
        self.choice = TicketChoice(
            int(self._found["id"]),
            str(self._found.get("subject", "")),
            str(clients[0]["id"]) if clients else None,
        )
        self.accept()

    def _new_ticket(self) -> None:
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Question,
            tr("New ticket"),
            tr(
                "Every remote access is recorded on a ticket. A new ticket will be opened "
                "for this connection. Continue?"
            ),
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("confirm-new-ticket")
        self.confirm_box = box

        def answered(button: int) -> None:
            if button == QtWidgets.QMessageBox.StandardButton.Yes:
                self.choice = TicketChoice(None)
                self.accept()

        box.finished.connect(answered)
        box.open()


class PasswordDialog(QtWidgets.QInputDialog):
    """The partner's password (not for a connect code or a queue entry)."""

    def __init__(self, parent: QtWidgets.QWidget, partner: str, message: str) -> None:
        super().__init__(parent)
        self.setObjectName("partner-password")
        self.setWindowTitle(tr("Partner password"))
        label = tr("Password of {partner}:").format(partner=partner)
        self.setLabelText(f"{message}\n{label}" if message else label)
        self.setTextEchoMode(QtWidgets.QLineEdit.EchoMode.Password)


__all__ = ["MAX_TICKET_ID", "LoginDialog", "PasswordDialog", "TicketChoice", "TicketDialog"]
