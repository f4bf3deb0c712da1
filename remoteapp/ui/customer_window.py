"""Customer mode, what the app shows on start: brand, the admin's fields, then the big ID
and password; a banner and End session while an agent is connected, with the session's
verification code to compare with the agent on the phone; a notice when an agent's
password did not match (the attempt failed, the password changes). While the server
cannot be reached, a countdown to the next try; when it was refused for safety (an
untrusted certificate, a plain http:// address), why, in the same countdown."""

from __future__ import annotations

import logging
from collections.abc import Callable

from remoteapp.branding.profile import Profile
from remoteapp.net.helpdesk import HelpdeskClient, Registration
from remoteapp.session.device import device_id
from remoteapp.session.presence import CustomerPresence, PresenceCallbacks
from remoteapp.ui.clipboard import ClipboardSync
from remoteapp.ui.connect_refusals import form_refusal_text
from remoteapp.ui.customer_texts import (
    capture_warning,
    field_label,
    unreachable_text,
    unsafe_text,
)
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets, Signal, emitter
from remoteapp.ui.viewer import spaced_code
from remoteapp.ui.widgets import BigValue, BrandHeader, fit_height, spaced_id
from remotewire.customer_fields import (
    MAX_FIELD_LENGTH,
    email_looks_valid,
    missing_fields,
)
from remotewire.events import EventLog

customer_events = EventLog("customer")

log = logging.getLogger("remoteapp.customer")
Queued = QtCore.Qt.ConnectionType.QueuedConnection


class CustomerWindow(QtWidgets.QWidget):
    registered = Signal(object)
    password_changed = Signal(str)
    unreachable = Signal(str, int)
    unsafe = Signal(str, str, int)
    rejected = Signal(str, str)  #: code, the server's English
    agent_joined = Signal(str)
    secured = Signal(str)
    session_ended = Signal(str)
    wrong_password = Signal()

    def __init__(self, profile: Profile, display: str | None = None) -> None:
        super().__init__()
        self.profile = profile
        self.display = display
        self.presence: CustomerPresence | None = None
        self._paused: dict[str, str] | None = None  #: the details to register again with
        # copies go to the agent while a session is on (the presence drops them otherwise)
        self.clipboard = ClipboardSync(self._send_clipboard, self, group="customer")
        self.setWindowTitle(profile.title)
        self.header = BrandHeader(profile.title, profile.logo)
        self.pages = QtWidgets.QStackedWidget()
        self.pages.addWidget(self._form_page())
        self.pages.addWidget(self._credentials_page())
        self.status = QtWidgets.QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.banner = QtWidgets.QFrame()
        self.banner.setObjectName("customer-banner")  # the style is the frame's, not its
        self.banner.setStyleSheet(  # labels' and button's (each got a yellow box)
            "QFrame#customer-banner { background: #fff3cd; border: 1px solid #e0b000; }"
        )
        banner_layout = QtWidgets.QHBoxLayout(self.banner)
        self.banner_text = QtWidgets.QLabel()
        self.banner_text.setWordWrap(True)
        self.code_label = QtWidgets.QLabel()
        self.code_label.setObjectName("verification-code")
        self.code_label.setWordWrap(True)
        self.verification_code = ""
        texts = QtWidgets.QVBoxLayout()
        texts.addWidget(self.banner_text)
        texts.addWidget(self.code_label)
        self.end_button = QtWidgets.QPushButton(tr("End session"))
        self.end_button.clicked.connect(self._end_session)
        banner_layout.addLayout(texts, 1)
        banner_layout.addWidget(self.end_button)
        self.banner.hide()
        self.warning = QtWidgets.QLabel(capture_warning(display))
        self.warning.setObjectName("capture-warning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("background: #f8d7da; border: 1px solid #c0392b; padding: 6px;")
        self.warning.setVisible(bool(self.warning.text()))
        self.notice = QtWidgets.QLabel()
        self.notice.setObjectName("secure-notice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("background: #f8d7da; border: 1px solid #c0392b; padding: 6px;")
        self.notice.hide()
        layout = QtWidgets.QVBoxLayout(self)
        widgets = (self.header, self.warning, self.notice, self.banner, self.pages, self.status)
        for widget in widgets:
            layout.addWidget(widget)
        self._fit_timer = QtCore.QTimer(self)  # (a child: it goes with the window)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.timeout.connect(lambda: fit_height(self))
        self._countdown = 0
        self._countdown_text: Callable[[int], str] = unreachable_text
        self._timer = QtCore.QTimer(self)
        self._timer.timeout.connect(self._tick)
        self.registered.connect(self._on_registered, Queued)
        self.password_changed.connect(self._on_password, Queued)
        self.unreachable.connect(self._on_unreachable, Queued)
        self.unsafe.connect(self._on_unsafe, Queued)
        self.rejected.connect(self._on_rejected, Queued)
        self.agent_joined.connect(self._on_agent, Queued)
        self.secured.connect(self._on_secured, Queued)
        self.session_ended.connect(self._on_session_ended, Queued)
        self.wrong_password.connect(self._on_wrong_password, Queued)
        if not profile.fields:
            self._register({})
        elif self.inputs:
            first = next(iter(self.inputs.values()))
            QtCore.QTimer.singleShot(0, first.setFocus)

    # -- size

    def event(self, event: QtCore.QEvent) -> bool:
        """After each layout run the window grows to what a new notice needs."""
        handled = super().event(event)
        if event.type() == QtCore.QEvent.Type.LayoutRequest:  # (the layout has run)
            fit_height(self)
        return handled

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_timer.start(0)  # a new width wraps the notices anew

    # -- pages

    def _form_page(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        form = QtWidgets.QFormLayout(page)
        self.inputs: dict[str, QtWidgets.QLineEdit] = {}
        for spec in self.profile.fields:
            edit = QtWidgets.QLineEdit()
            edit.setObjectName(f"field-{spec.key}")
            edit.setMaxLength(MAX_FIELD_LENGTH)  # the server's bound: it refuses more
            label = field_label(spec.key, spec.label) + (" *" if spec.required else "")
            form.addRow(label, edit)
            self.inputs[spec.key] = edit
            edit.returnPressed.connect(self._submit)
        self.form_error = QtWidgets.QLabel()
        self.form_error.setWordWrap(True)
        self.form_error.setStyleSheet("color: #b00020;")
        form.addRow(self.form_error)
        self.submit_button = QtWidgets.QPushButton(tr("Continue"))
        self.submit_button.clicked.connect(self._submit)
        form.addRow(self.submit_button)
        return page

    def _credentials_page(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.addWidget(QtWidgets.QLabel(tr("Tell these to the support agent:")))
        self.id_value = BigValue(tr("Your ID"))
        self.password_value = BigValue(tr("Password"))
        layout.addWidget(self.id_value)
        layout.addWidget(self.password_value)
        layout.addStretch(1)
        return page

    # -- form

    def _submit(self) -> None:
        values = {key: edit.text().strip() for key, edit in self.inputs.items()}
        labels = {s.key: field_label(s.key, s.label) for s in self.profile.fields}
        required = [s.key for s in self.profile.fields if s.required]
        missing = [labels[key] for key in missing_fields(required, values)]
        if missing:
            self.form_error.setText(
                tr("Please fill in: {fields}").format(fields=", ".join(missing))
            )
            return
        email = values.get("email", "")
        if email and not email_looks_valid(email):
            self.form_error.setText(tr("The email address does not look right."))
            return
        self.form_error.clear()
        self.submit_button.setEnabled(False)
        self._register({k: v for k, v in values.items() if v})

    def _register(self, fields: dict[str, str]) -> None:
        self.status.setText(tr("Connecting to the server..."))
        client = HelpdeskClient(self.profile.server_url)
        callbacks = PresenceCallbacks(
            registered=emitter(self.registered),
            password=emitter(self.password_changed),
            unreachable=emitter(self.unreachable),
            unsafe=emitter(self.unsafe),
            rejected=emitter(self.rejected),
            agent_joined=emitter(self.agent_joined),
            secured=emitter(self.secured),
            session_ended=emitter(self.session_ended),
            wrong_password=emitter(self.wrong_password),
            clipboard=self.clipboard.receive,
        )
        self.presence = CustomerPresence(
            client, self.profile.app_id, device_id(), fields, callbacks, display=self.display
        )
        self.presence.start()

    def pause(self) -> None:
        """Agent mode: this computer is the agent's (the agent window's own presence, out
        of the queue), not a customer waiting. Both presences share the device's ID, so
        both running took the server's row from each other at every poll: the agent
        listed as waiting half the time, its password dead the other half."""
        if self.presence is not None:
            self._paused = self.presence.fields
            self.presence.stop()
            self.presence = None

    def resume(self) -> None:
        """After the agent's logout: a customer again, with the details given before."""
        if self._paused is not None:
            fields, self._paused = self._paused, None
            self._register(fields)

    def _send_clipboard(self, text: str) -> None:
        if self.presence is not None:
            self.presence.send_clipboard(text)

    # -- presence events (GUI thread)

    def _on_registered(self, reg: Registration) -> None:
        self._timer.stop()
        self.status.setToolTip("")
        self.pages.setCurrentIndex(1)
        self.id_value.set(reg.partner_id, spaced_id(reg.partner_id))
        self._show_password(reg.password)
        self.status.setText(tr("Waiting for the agent to connect."))
        customer_events.emit("registered", partner=reg.partner_id)
        QtCore.QTimer.singleShot(0, self._report_copy_button)

    def _report_copy_button(self) -> None:
        """Where the password's Copy button is on screen (never the password): scripts and
        tests on this display click it to learn the password as a person would."""
        copy = self.password_value.copy
        centre = copy.mapToGlobal(copy.rect().center())
        customer_events.emit("shown", password_copy=f"{centre.x()},{centre.y()}")

    def _on_password(self, password: str) -> None:
        self._show_password(password)
        if not self.banner.isVisible():
            self.status.setText(tr("Waiting for the agent to connect."))

    def _on_unreachable(self, reason: str, retry_in: int) -> None:
        self._count_down(unreachable_text, retry_in, "")
        customer_events.emit("unreachable", retry_in=retry_in)

    def _on_unsafe(self, kind: str, reason: str, retry_in: int) -> None:
        self._count_down(unsafe_text(kind), retry_in, reason)  # the details on hover
        customer_events.emit("unsafe-server", kind=kind, retry_in=retry_in)

    def _count_down(self, text: Callable[[int], str], seconds: int, details: str) -> None:
        self._countdown_text = text
        self._countdown = seconds
        self.status.setToolTip(details)
        self._tick()
        self._timer.start(1000)

    def _tick(self) -> None:
        if self._countdown <= 0:
            self._timer.stop()
            self.status.setText(tr("Connecting to the server..."))
            return
        self.status.setText(self._countdown_text(self._countdown))
        self._countdown -= 1

    def _on_rejected(self, code: str, reason: str) -> None:
        """Said by the refusal's code; the server's words (English) only in the log."""
        log.warning("customer event=form-refused code=%s reason=%r", code, reason)
        self.pages.setCurrentIndex(0)
        self.submit_button.setEnabled(True)
        self.form_error.setText(form_refusal_text(code or None))
        self.status.clear()

    def _on_secured(self, code: str) -> None:
        self.verification_code = code
        self.code_label.setText(
            tr(
                "Verification code: {code}. The agent sees the same code: compare them on "
                "the phone."
            ).format(code=spaced_code(code))
        )
        customer_events.emit("secured")

    def _on_wrong_password(self) -> None:
        """The password shown is dead (the server changes its part when a session ends):
        withheld until the next poll brings the new one, and only then "read the new one"."""
        self.password_value.withhold()
        self.notice.setText(
            tr(
                "An agent typed a password that does not match: the attempt failed and "
                "nothing was shared. A new password is coming: wait for it before you read "
                "a password to your agent."
            )
        )
        self.notice.show()
        customer_events.emit("wrong-password")

    def _show_password(self, password: str) -> None:
        """The password as the server's part last made it; a withheld one (a wrong
        password) is shown again, and the notice says whether it changed."""
        was_withheld, changed = self.password_value.withheld, password != self.password_value._raw
        if changed or was_withheld:
            self.password_value.set(password)
        if changed:
            customer_events.emit("password-changed")
        if was_withheld and changed:
            self.notice.setText(
                tr(
                    "An agent typed a password that does not match: the attempt failed and "
                    "nothing was shared. Your password has changed: read the new one to your "
                    "agent."
                )
            )
        elif was_withheld:  # (a server that keeps its part after a session)
            self.notice.setText(
                tr(
                    "An agent typed a password that does not match: the attempt failed and "
                    "nothing was shared. Read your password to your agent again, the last "
                    "characters too."
                )
            )

    def _on_agent(self, agent: str) -> None:
        self.notice.hide()
        self.banner_text.setText(
            tr("{agent} is viewing and controlling this computer.").format(agent=agent)
        )
        self.banner.show()
        self.end_button.setEnabled(True)
        self.status.setText(tr("Connected to {agent}.").format(agent=agent))
        QtCore.QTimer.singleShot(0, lambda: self._report_agent(agent))

    def _report_agent(self, agent: str) -> None:
        centre = self.end_button.mapToGlobal(self.end_button.rect().center())
        print(
            f"customer event=agent-joined agent={agent!r} end_button={centre.x()},{centre.y()}",
            flush=True,
        )

    def _on_session_ended(self, reason: str) -> None:
        self.banner.hide()
        self.code_label.clear()
        self.verification_code = ""
        self.status.setText(tr("Session ended."))
        customer_events.emit("session-ended", reason=repr(reason))

    def _end_session(self) -> None:
        self.end_button.setEnabled(False)
        if self.presence is not None:
            self.presence.end_session()

    def closeEvent(self, event: object) -> None:
        if self.presence is not None:
            self.presence.stop()
        super().closeEvent(event)  # type: ignore[arg-type]
