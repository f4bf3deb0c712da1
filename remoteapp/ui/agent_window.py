"""Agent mode: own ID/password, partner ID + Connect, the queue, sessions in progress.

Connect -> ticket dialog -> partner password (not from the queue) -> relay -> viewer; at
the end the session's ticket action goes into the durable outbox and is flushed.  Every
server call runs off the GUI thread (``operations.run``); dialogs are opened, not exec'd.
"""

from __future__ import annotations

import logging
import secrets
import socket
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from remoteapp.branding.profile import Profile
from remoteapp.net.errors import HelpdeskError
from remoteapp.net.helpdesk import (
    Conflict,
    HelpdeskClient,
    NotAllowed,
    NotFound,
    QueueEntry,
    RateLimited,
    Registration,
    SessionGrant,
    SessionInProgress,
    TicketClient,
)
from remoteapp.session import AgentSession, relay_link
from remoteapp.session.device import data_dir, device_id
from remoteapp.session.presence import CustomerPresence, PresenceCallbacks
from remoteapp.tickets import SessionRecord, TicketOutbox
from remoteapp.ui import credentials, operations
from remoteapp.ui.agent_dialogs import TicketChoice, TicketDialog
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtCore, QtWidgets, Signal, emitter, is_alive
from remoteapp.ui.viewer import ViewerWindow
from remoteapp.ui.widgets import BigValue, BrandHeader, spaced_id
from remotewire.errors import RelayRefused

log = logging.getLogger("remoteapp.agent")
Queued = QtCore.Qt.ConnectionType.QueuedConnection
QUEUE_REFRESH_MS = 3000
OUTBOX_RETRY_MS = 60_000


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
        self.outbox = outbox or TicketOutbox(data_dir() / "outbox")
        self.instance = secrets.token_hex(8)  #: marks the open outbox records this window owns
        self.outbox.claim(self.instance)
        self._outbox_retry = QtCore.QTimer(self)
        self._outbox_retry.setSingleShot(True)
        self._outbox_retry.timeout.connect(self.flush_outbox)
        self.viewers: dict[str, ViewerWindow] = {}
        self.setWindowTitle(
            tr("{title} - agent {name}").format(title=profile.title, name=user.get("name", ""))
        )
        header = BrandHeader(profile.title, profile.logo)
        header.agent_button.setToolTip(tr("Log out"))
        header.agent_button.clicked.connect(self.logout)
        self.own_id = BigValue(tr("Your ID"))
        self.own_password = BigValue(tr("Password"))
        own = QtWidgets.QHBoxLayout()
        own.addWidget(self.own_id)
        own.addWidget(self.own_password)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self._connect_tab(), tr("Remote access"))
        self.tabs.addTab(self._queue_tab(), tr("Queue"))
        self.tabs.addTab(self._sessions_tab(), tr("Sessions in progress"))
        self.status = QtWidgets.QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(header)
        layout.addLayout(own)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        self.registered.connect(self._on_registered, Queued)
        self.password_changed.connect(self.own_password.set, Queued)
        self._lock_left = 0
        self._lock_timer = QtCore.QTimer(self)
        self._lock_timer.timeout.connect(self._lock_tick)
        self._queue_timer = QtCore.QTimer(self)
        self._queue_timer.timeout.connect(self.refresh_queue)
        self._queue_timer.start(QUEUE_REFRESH_MS)
        self.presence = CustomerPresence(
            HelpdeskClient(profile.server_url),
            profile.app_id,
            device_id(),
            {"name": str(user.get("name", "")), "email": str(user.get("email", ""))},
            PresenceCallbacks(
                registered=emitter(self.registered), password=emitter(self.password_changed)
            ),
        )
        self.presence.start()
        self.refresh_queue()
        self.flush_outbox()
        self.resize(760, 560)

    # -- tabs

    def _connect_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        form = QtWidgets.QFormLayout(page)
        self.partner = QtWidgets.QLineEdit()
        self.partner.setObjectName("partner-id")
        self.partner.setPlaceholderText("123 456 789")
        self.partner.returnPressed.connect(self.connect_partner)
        self.connect_button = QtWidgets.QPushButton(tr("Connect"))
        self.connect_button.clicked.connect(self.connect_partner)
        form.addRow(tr("Partner ID"), self.partner)
        form.addRow(self.connect_button)
        return page

    def _queue_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        self.queue = QtWidgets.QTableWidget(0, 6)
        self.queue.setHorizontalHeaderLabels(
            [
                tr("Name"),
                tr("Organization"),
                tr("Classification"),
                tr("Waiting since"),
                tr("ID"),
                tr("Password"),
            ]
        )
        self.queue.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.queue.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.queue.horizontalHeader().setStretchLastSection(True)
        self.queue.doubleClicked.connect(lambda _index: self.connect_from_queue())
        self.queue_connect = QtWidgets.QPushButton(tr("Connect"))
        self.queue_connect.setObjectName("queue-connect")
        self.queue_connect.clicked.connect(self.connect_from_queue)
        layout.addWidget(self.queue)
        layout.addWidget(self.queue_connect)
        self._queue_entries: list[QueueEntry] = []
        return page

    def _sessions_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        self.in_progress = QtWidgets.QTableWidget(0, 4)
        self.in_progress.setObjectName("in-progress")
        self.in_progress.setHorizontalHeaderLabels(
            [tr("Agent"), tr("Customer"), tr("Organization"), tr("Duration")]
        )
        self.in_progress.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.in_progress.horizontalHeader().setStretchLastSection(True)
        self.sessions_list = QtWidgets.QListWidget()  # this window's own sessions
        self.sessions_list.setMaximumHeight(90)
        layout.addWidget(QtWidgets.QLabel(tr("All sessions of this app")))
        layout.addWidget(self.in_progress)
        layout.addWidget(QtWidgets.QLabel(tr("Your sessions in this window")))
        layout.addWidget(self.sessions_list)
        return page

    # -- own presence, queue

    def _on_registered(self, reg: Registration) -> None:
        self.own_id.set(reg.partner_id, spaced_id(reg.partner_id))
        self.own_password.set(reg.password)

    def refresh_queue(self) -> None:
        def done(entries: list[QueueEntry]) -> None:
            self._queue_entries = entries
            self.queue.setRowCount(len(entries))
            for row, e in enumerate(entries):
                values = (
                    e.name,
                    e.organization,
                    e.classification,
                    e.waiting_since,
                    spaced_id(e.partner_id) if e.partner_id else "",
                    e.password or "",
                )
                for col, value in enumerate(values):
                    self.queue.setItem(row, col, QtWidgets.QTableWidgetItem(value or ""))

        def failed(exc: Exception) -> None:
            log.warning("agent event=queue-failed reason=%r", str(exc))

        operations.run(self, lambda: self.client.queue(self.profile.app_id), done, failed)
        operations.run(
            self,
            lambda: self.client.sessions_in_progress(self.profile.app_id),
            self._show_in_progress,
            failed,
        )

    def _show_in_progress(self, rows: list[SessionInProgress]) -> None:
        self.in_progress.setRowCount(len(rows))
        for row, s in enumerate(rows):
            agent = tr("{agent} (you)").format(agent=s.agent) if s.mine else s.agent
            duration = f"{s.duration_s // 3600:02d}:{s.duration_s // 60 % 60:02d}"
            for col, value in enumerate((agent, s.customer, s.organization or "", duration)):
                self.in_progress.setItem(row, col, QtWidgets.QTableWidgetItem(value))

    # -- connecting

    def connect_partner(self) -> None:
        partner = "".join(self.partner.text().split())
        if not (partner.isdigit() and len(partner) == 9):
            self.status.setText(tr("A partner ID has 9 digits."))
            return
        self._choose_ticket(partner, lambda choice: self._ask_password(partner, choice, ""))

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

    def _choose_ticket(self, partner: str, then: Any) -> None:
        dialog = TicketDialog(self.tickets, partner, self)
        self.ticket_dialog = dialog

        def finished(result: int) -> None:
            if result == QtWidgets.QDialog.DialogCode.Accepted and dialog.choice is not None:
                then(dialog.choice)

        dialog.finished.connect(finished)
        dialog.open()

    def _ask_password(self, partner: str, choice: TicketChoice, message: str) -> None:
        dialog = QtWidgets.QInputDialog(self)
        dialog.setObjectName("partner-password")
        dialog.setWindowTitle(tr("Partner password"))
        label = tr("Password of {partner}:").format(partner=spaced_id(partner))
        dialog.setLabelText(f"{message}\n{label}" if message else label)
        dialog.setTextEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.password_dialog = dialog

        def finished(result: int) -> None:
            if result == QtWidgets.QDialog.DialogCode.Accepted:
                password = dialog.textValue()
                self._grant(lambda: self.client.connect(partner, password), partner, choice)

        dialog.finished.connect(finished)
        dialog.open()

    def _grant(self, call: Any, partner: str, choice: TicketChoice) -> None:
        self.status.setText(tr("Connecting..."))

        def work() -> tuple[SessionGrant, socket.socket, bytes]:
            grant = call()
            sock, initial = relay_link.join(grant.relay, grant.token)
            return grant, sock, initial

        def done(result: tuple[SessionGrant, socket.socket, bytes]) -> None:
            grant, sock, initial = result
            self._open_viewer(grant, sock, initial, partner, choice)

        def failed(exc: Exception) -> None:
            if isinstance(exc, RateLimited):
                self._count_down_lock(exc.retry_after)
            elif isinstance(exc, NotAllowed) and "password" in exc.message:
                self.status.setText(tr("Wrong partner ID or password."))
                self._ask_password(partner, choice, tr("Wrong password, try again."))
            elif isinstance(exc, NotAllowed):
                self.status.setText(tr("Not allowed: {reason}").format(reason=exc.message))
            elif isinstance(exc, Conflict):
                self.status.setText(tr("Cannot connect: {reason}").format(reason=exc.message))
            elif isinstance(exc, (HelpdeskError, RelayRefused, OSError)):
                self.status.setText(tr("Cannot connect: {reason}").format(reason=exc))
            else:
                raise exc

        operations.run(self, work, done, failed)

    def _count_down_lock(self, seconds: int) -> None:
        """Show the lock's wait and count it down, so the agent knows when to retry."""
        self._lock_left = max(int(seconds), 1)
        self.status.setText(self._lock_text())
        self._lock_timer.start(1000)

    def _lock_text(self) -> str:
        return tr("Too many wrong passwords. Try again in {seconds} s.").format(
            seconds=self._lock_left
        )

    def _lock_tick(self) -> None:
        if self.status.text() != self._lock_text():  # something else is said now
            self._lock_timer.stop()
            return
        self._lock_left -= 1
        if self._lock_left > 0:
            self.status.setText(self._lock_text())
        else:
            self._lock_timer.stop()
            self.status.setText(tr("You can try the password again."))

    def _open_viewer(
        self,
        grant: SessionGrant,
        sock: socket.socket,
        initial: bytes,
        partner: str,
        choice: TicketChoice,
    ) -> None:
        session = AgentSession(sock, str(self.user.get("name", "")))
        viewer = ViewerWindow(session, partner)
        self.viewers[grant.session_id] = viewer
        started = datetime.now(UTC)
        # an open record first: should this app die mid-session, the next start completes
        # it with the server's end time, so the ticket still gets its action
        record = SessionRecord(
            session_id=grant.session_id,
            ticket_id=choice.ticket_id,
            agent_ref=str(self.user.get("id", "")),
            client_ref=choice.client_ref,
            subject=tr("Remote access - {customer}").format(customer=partner),
            description="",
            start=started,
            end=None,
            writer=self.instance,
        )
        self.outbox.put(record)
        item = QtWidgets.QListWidgetItem(
            tr("{partner} since {time}").format(partner=partner, time=started.strftime("%H:%M"))
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
        print(f"agent event=session-started session={grant.session_id}", flush=True)

    def _session_over(
        self,
        grant: SessionGrant,
        partner: str,
        record: SessionRecord,
        reason: str,
        item: QtWidgets.QListWidgetItem,
    ) -> None:
        ended = datetime.now(UTC)
        self.sessions_list.takeItem(self.sessions_list.row(item))
        viewer = self.viewers.pop(grant.session_id, None)
        customer = viewer.session.customer_name if viewer else partner
        self.outbox.put(
            replace(
                record,
                subject=tr("Remote access - {customer}").format(customer=customer or partner),
                description=self._describe(customer, grant.partner_id, record.start, ended, reason),
                end=ended,
            )
        )
        print(f"agent event=session-ended session={grant.session_id} reason={reason!r}", flush=True)
        operations.run(
            self,
            lambda: self.client.end_session(grant.session_id, reason[:200]),
            lambda state: None,
            lambda exc: log.info("agent event=end-report-failed reason=%r", str(exc)),
        )
        self.flush_outbox()

    def _describe(
        self, customer: str, partner: str, start: datetime, end: datetime, reason: str
    ) -> str:
        return tr(
            "Remote access. Agent: {agent}. Customer: {customer} (ID {partner}). "
            "Start: {start}. End: {end}. {reason}"
        ).format(
            agent=str(self.user.get("name", "")),
            customer=customer or partner,
            partner=partner,
            start=start.strftime("%Y-%m-%d %H:%M:%S UTC"),
            end=end.strftime("%Y-%m-%d %H:%M:%S UTC"),
            reason=reason,
        )

    def _close_record(self, record: SessionRecord) -> SessionRecord | None:
        """Complete a session record left open by an app that died mid-session, with the
        server's end time and reason (runs off the GUI thread, inside the outbox flush)."""
        try:
            state = self.client.session_state(record.session_id)
        except NotFound:
            state = None  # the server has forgotten it: record what is known
        if state is not None and state.state != "ended":
            return None  # the relay has not reported the end yet: next flush
        ended = _parse_time(state.ended_at if state else None) or datetime.now(UTC)
        reason = (state.end_reason if state else None) or tr("the agent app stopped")
        customer = state.customer if state else ""
        partner = state.partner_id if state and state.partner_id else ""
        return replace(
            record,
            subject=tr("Remote access - {customer}").format(customer=customer or partner),
            description=self._describe(customer, partner, record.start, ended, reason),
            end=ended,
        )

    def flush_outbox(self) -> None:
        def done(result: Any) -> None:
            for session_id in result.sent:
                print(f"agent event=ticket-action-sent session={session_id}", flush=True)
            if result.pending:
                self.status.setText(
                    tr("{count} session record(s) waiting for the server.").format(
                        count=len(result.pending)
                    )
                )
                self._outbox_retry.start(OUTBOX_RETRY_MS)  # and again later (one timer)

        operations.run(
            self,
            lambda: self.outbox.flush(self.tickets, writer=self.instance, close=self._close_record),
            done,
            lambda exc: log.warning("agent event=outbox-failed reason=%r", str(exc)),
        )

    def logout(self) -> None:
        credentials.forget()
        self.presence.stop()
        self.logged_out.emit()
        self.close()

    def closeEvent(self, event: Any) -> None:
        self._queue_timer.stop()
        self.presence.stop()
        # sessions still open now are completed by the next start (from the server's times)
        self.outbox.release_claim()
        super().closeEvent(event)


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
