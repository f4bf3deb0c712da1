"""Agent mode: own ID/password, partner ID + Connect, the queue, sessions in progress.

Connect -> ticket dialog -> partner password (not from the queue) -> relay -> the session's
open record on disk -> viewer; at the end the record is completed (``tickets.record``)
and flushed through the durable outbox.  Every server call, outbox write (file lock,
fsync) and keyring call runs off the GUI thread (``operations.run``); outbox writes run in
one lane, in order; dialogs are opened, not exec'd.

A customer's password is the server's part plus a local part only the customer's app
knows (``remotewire.passwords``): the agent window sends only the server part to the
server and keeps the whole password for the session's key exchange (docs/security.md).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from remoteapp.branding.profile import Profile
from remoteapp.codec.lossy import decodable
from remoteapp.net.helpdesk import (
    ErrorCode,
    HelpdeskClient,
    NotAllowed,
    QueueEntry,
    RateLimited,
    Registration,
    SessionGrant,
    TicketClient,
)
from remoteapp.secure import SecureParams
from remoteapp.session import AgentSession, relay_link
from remoteapp.session.device import device_id
from remoteapp.session.presence import CustomerPresence, PresenceCallbacks
from remoteapp.tickets import SessionRecord, TicketOutbox
from remoteapp.ui import credentials, operations
from remoteapp.ui.agent_dialogs import PasswordDialog, TicketChoice, TicketDialog, let_go
from remoteapp.ui.agent_polls import AgentPolls
from remoteapp.ui.agent_records import (
    AgentRecords,
    legacy_outbox,
    refused_text,
    server_outbox,
    waiting_text,
)
from remoteapp.ui.agent_session_end import SessionEnds
from remoteapp.ui.agent_tabs import ConnectTab, QueueTab, SessionsTab, typed_partner_id
from remoteapp.ui.connect_refusals import refusal_text
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtCore, QtWidgets, Signal, emitter, is_alive
from remoteapp.ui.viewer import ViewerWindow
from remoteapp.ui.widgets import BigValue, BrandHeader, StatusLine, spaced_id
from remotewire.connect_codes import looks_like_code
from remotewire.connect_codes import normalize as normalize_code
from remotewire.events import EventLog
from remotewire.passwords import LENGTH, BadPassword, normalize, split_password

agent_events = EventLog("agent")

log = logging.getLogger("remoteapp.agent")
Queued = QtCore.Qt.ConnectionType.QueuedConnection
Joined = tuple[SessionGrant, socket.socket, bytes, SessionRecord, SecureParams]


class AgentWindow(QtWidgets.QWidget):
    registered = Signal(object)
    password_changed = Signal(str)
    logged_out = Signal()

    def __init__(
        self,
        profile: Profile,
        client: HelpdeskClient,
        user: dict[str, Any],
        tickets: TicketClient,
        outbox: TicketOutbox | None = None,
    ) -> None:
        super().__init__()
        self.profile, self.client, self.user, self.tickets = profile, client, user, tickets
        self.records = AgentRecords(
            self,
            outbox or server_outbox(client.base_url, profile.ticket_api_url or client.base_url),
            client,
            tickets,
            user,
            legacy=None if outbox is not None else legacy_outbox(),
        )
        self.outbox = self.records.outbox
        self.viewers: dict[str, ViewerWindow] = {}  #: the sessions in progress
        self._connecting = False  # a connect under way (``_grant``'s)
        self.setWindowTitle(
            tr("{title} - agent {name}").format(title=profile.title, name=user.get("name", ""))
        )
        header = BrandHeader(profile.title, profile.logo)
        header.agent_button.setToolTip(tr("Log out"))
        header.agent_button.clicked.connect(self.logout)
        self.logout_button = header.agent_button
        self.own_id = BigValue(tr("Your ID"))
        self.own_password = BigValue(tr("Password"))
        own = QtWidgets.QHBoxLayout()
        own.addWidget(self.own_id)
        own.addWidget(self.own_password)
        connect_tab, queue_tab, sessions_tab = ConnectTab(), QueueTab(), SessionsTab()
        self.queue_tab, self.sessions_tab = queue_tab, sessions_tab
        self.partner, self.connect_button = connect_tab.partner, connect_tab.connect_button
        self.partner.returnPressed.connect(self.connect_partner)
        self.connect_button.clicked.connect(self.connect_partner)
        self.queue, self.queue_connect = queue_tab.table, queue_tab.connect_button
        self.queue.doubleClicked.connect(lambda _index: self.connect_from_queue())
        self.queue_connect.clicked.connect(self.connect_from_queue)
        self._queue_entries: list[QueueEntry] = []
        self.in_progress, self.sessions_list = sessions_tab.in_progress, sessions_tab.own
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(connect_tab, tr("Remote access"))
        self.tabs.addTab(queue_tab, tr("Queue"))
        self.tabs.addTab(sessions_tab, tr("Sessions in progress"))
        self.status = StatusLine()
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(header)
        layout.addLayout(own)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        operations.show_errors_in(self, self.status.setText)
        operations.show_busy_cursor(self)
        self.records.waiting.connect(self._records_waiting)
        self.records.refused.connect(lambda count: self.status.setText(refused_text(count)))
        self.registered.connect(self._on_registered, Queued)
        self.password_changed.connect(self.own_password.set, Queued)
        self.session_ends = SessionEnds(self, client, self.records, self.status, self._listed_name)
        self.polls = AgentPolls(
            self,
            client,
            profile.app_id,
            self.status,
            self._show_queue,
            sessions_tab.show_in_progress,
        )
        self.presence = CustomerPresence(
            HelpdeskClient(profile.server_url),
            profile.app_id,
            device_id(),
            {"name": str(user.get("name", "")), "email": str(user.get("email", ""))},
            PresenceCallbacks(
                registered=emitter(self.registered),
                password=emitter(self.password_changed),
            ),
            staff=client,  # the agent's own: reachable by ID and password, never queued
        )
        self.presence.start()
        self.refresh_queue()
        self.flush_outbox()
        self.resize(760, 560)

    # -- own presence, queue

    def _on_registered(self, reg: Registration) -> None:
        self.own_id.set(reg.partner_id, spaced_id(reg.partner_id))
        self.own_password.set(reg.password)

    def refresh_queue(self) -> None:
        self.polls.refresh()

    def _show_queue(self, entries: list[QueueEntry]) -> None:
        self._queue_entries = entries
        self.queue_tab.show_entries(entries)

    def _listed_name(self, partner_id: str) -> str:
        """The name the queue lists with ``partner_id`` (it lists IDs to admins only)."""
        return next((e.name for e in self._queue_entries if e.partner_id == partner_id), "")

    # -- connecting

    def connect_partner(self) -> None:
        self._connect_to_typed(None)

    def _connect_to_typed(self, ticket: int | None) -> None:
        """A partner ID asks for the partner's password; a connect code copied from the
        console (``remotewire.connect_codes``) does not: the server vouches for it."""
        text = self.partner.text()
        if looks_like_code(text):
            code = normalize_code(text)
            partner = code.split("-", 1)[0]
            self._choose_ticket(
                partner,
                lambda choice: self._grant(
                    lambda: self.client.connect_with_code(code), partner, choice
                ),
                ticket,
            )
            return
        typed = typed_partner_id(text)
        if typed is None:
            self.status.setText(tr("A partner ID has 9 digits."))
            return
        self._choose_ticket(typed, lambda choice: self._ask_password(typed, choice, ""), ticket)

    def open_link(self, code: str, ticket: int | None) -> None:
        """A ``remoteapp://connect`` link (the console's Connect button): the code in the
        partner field, then the ticket dialog with the link's ticket looked up. The agent
        still confirms with Start session: a link alone never connects."""
        self.tabs.setCurrentIndex(0)
        self.partner.setText(code)
        for name in ("ticket_dialog", "password_dialog"):  # a newer link replaces the
            dialog = getattr(self, name, None)  # dialogs still open for an older one
            if dialog is not None and is_alive(dialog) and dialog.isVisible():
                dialog.reject()
        self._connect_to_typed(ticket)
        agent_events.emit("link-opened", partner=code.split("-", 1)[0], ticket=ticket or "")
        self.raise_()
        self.activateWindow()

    def connect_from_queue(self) -> None:
        row = self.queue.currentRow()
        if not 0 <= row < len(self._queue_entries):
            self.status.setText(tr("Choose a customer in the queue."))
            return
        entry = self._queue_entries[row]
        self._choose_ticket(
            entry.name,
            lambda choice: self._grant(
                lambda: self.client.connect_from_queue(entry.queue_ref), entry.name, choice
            ),
        )

    def _choose_ticket(self, partner: str, then: Any, ticket: int | None = None) -> None:
        if self._connecting:  # (Enter in the partner field, a double click in the queue)
            self.status.setText(tr("A connection is under way."))
            return
        dialog = TicketDialog(self.tickets, partner, self, ticket=ticket)
        self.ticket_dialog = dialog

        def finished(result: int) -> None:
            let_go(self, "ticket_dialog", dialog)
            if result == QtWidgets.QDialog.DialogCode.Accepted and dialog.choice is not None:
                then(dialog.choice)

        dialog.finished.connect(finished)
        dialog.open()

    def _ask_password(self, partner: str, choice: TicketChoice, message: str) -> None:
        dialog = PasswordDialog(self, spaced_id(partner), message)
        self.password_dialog = dialog

        def finished(result: int) -> None:
            # once: a real double click on OK finished the dialog twice, and sent the
            # password twice (two of the partner's few attempts a minute)
            dialog.finished.disconnect(finished)
            let_go(self, "password_dialog", dialog)
            if result != QtWidgets.QDialog.DialogCode.Accepted:
                return
            password = normalize(dialog.textValue())
            try:
                server_part, _local = split_password(password)
            except BadPassword:
                self._ask_password(
                    partner,
                    choice,
                    tr("The password has {count} letters and digits.").format(count=LENGTH),
                )
                return
            self._grant(
                lambda: self.client.connect(partner, server_part), partner, choice, password
            )

        dialog.finished.connect(finished)
        dialog.open()

    def _grant(
        self, call: Any, partner: str, choice: TicketChoice, password: str | None = None
    ) -> None:
        """Ask the server, join the relay and put the session's open record on disk (all
        off the GUI thread): only a session with a record gets a viewer. ``password``:
        the customer's whole password (None: from the queue or a connect code). One at
        a time: while one is under way the connect buttons are off, and another is not
        sent (it would be refused as busy, or spend a password attempt)."""
        if self._connecting:  # (a second prompt answered: one connect at a time)
            self.status.setText(tr("A connection is under way."))
            return
        self._connecting = True
        for button in (self.connect_button, self.queue_connect):
            button.setEnabled(False)

        def over() -> None:
            self._connecting = False
            for button in (self.connect_button, self.queue_connect):
                button.setEnabled(True)

        self.status.setText(tr("Connecting..."))

        def work() -> Joined:
            grant = call()
            secure = SecureParams.for_agent(grant, password)  # before anyone is joined
            # PyAV's import and codec probe (~0.1 s, once) here: not on the GUI thread
            # between the pairing and our handshake, while the customer's deadline runs
            decodable()
            sock, initial = relay_link.join(grant.relay, grant.token)
            try:
                record = self.records.store_open(
                    grant.session_id, choice.ticket_id, choice.client_ref, partner, grant.partner_id
                )
            except BaseException:
                sock.close()
                raise
            return grant, sock, initial, record, secure

        def done(result: Joined) -> None:
            over()
            grant, sock, initial, record, secure = result
            self._open_viewer(grant, sock, initial, partner, record, secure)

        def failed(exc: Exception) -> None:
            over()
            if isinstance(exc, RateLimited):
                self.status.count_down(
                    exc.retry_after,
                    lambda left: tr("Too many wrong passwords. Try again in {seconds} s.").format(
                        seconds=left
                    ),
                    tr("You can try the password again."),
                )
            elif isinstance(exc, NotAllowed) and exc.code == ErrorCode.WRONG_PARTNER_PASSWORD:
                self.status.setText(tr("Wrong partner ID or password."))
                self._ask_password(partner, choice, tr("Wrong password, try again."))
            elif (text := refusal_text(exc)) is not None:
                log.warning("agent event=connect-failed reason=%r", str(exc))
                self.status.setText(text)
            else:
                operations.report_error(self, exc)

        def dropped(result: Joined) -> None:
            result[1].close()  # the window closed while connecting: the relay ends it

        operations.run(self, work, done, failed, on_dropped=dropped)

    def _open_viewer(
        self,
        grant: SessionGrant,
        sock: socket.socket,
        initial: bytes,
        partner: str,
        record: SessionRecord,
        secure: SecureParams,
    ) -> None:
        session = AgentSession(sock, str(self.user.get("name", "")), secure=secure)
        viewer = ViewerWindow(session, partner)
        self.viewers[grant.session_id] = viewer
        viewer.closed.connect(self.session_ends.forget_closed, Queued)  # (not in closeEvent)
        item = QtWidgets.QListWidgetItem(
            tr("{partner} since {time}").format(
                partner=partner, time=record.start.astimezone().strftime("%H:%M")
            )
        )
        self.sessions_list.addItem(item)
        # a lambda has no receiver Qt could disconnect when this window goes: check.  If
        # the window is gone, the open record stays and the next start completes it
        viewer.session_ended.connect(
            lambda reason: (
                self._session_over(grant, partner, record, reason, item) if is_alive(self) else None
            )
        )
        viewer.show()
        session.start(initial)
        self.status.setText(tr("Connected to {partner}.").format(partner=partner))
        agent_events.emit("session-started", session=grant.session_id)

    def _session_over(
        self,
        grant: SessionGrant,
        partner: str,
        record: SessionRecord,
        reason: str,
        item: QtWidgets.QListWidgetItem,
    ) -> None:
        self.sessions_list.takeItem(self.sessions_list.row(item))
        viewer = self.viewers.pop(grant.session_id, None)
        self.session_ends.ended(grant, partner, record, reason, viewer)
        agent_events.emit("session-ended", session=grant.session_id, reason=repr(reason))

    def _records_waiting(self, count: int) -> None:
        self.status.setText(waiting_text(count, login_ended=self.polls.login_ended))

    def flush_outbox(self) -> None:
        self.records.flush()

    def logout(self) -> None:
        """Forget the saved login (off the GUI thread: the keyring may be slow or ask to be
        unlocked), then leave: whatever the keyring said, logging out must work."""
        self.logout_button.setEnabled(False)
        operations.run(self, self._forget_login, lambda _: self._leave(), lambda _: self._leave())

    def _forget_login(self) -> None:
        """The saved login, then the server's (POST /api/logout); neither ever raises."""
        credentials.forget()
        self.client.logout()

    def _leave(self) -> None:
        self.presence.stop()
        self.logged_out.emit()
        self.close()

    def closeEvent(self, event: Any) -> None:
        self.polls.stop()
        self.presence.stop()
        self.records.release()  # never waits; open sessions are completed by the next start
        super().closeEvent(event)
