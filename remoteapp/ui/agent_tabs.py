"""The agent window's three tabs, as widgets: Remote access (partner ID + Connect), the
Queue, and Sessions in progress.  They only lay out their controls; ``AgentWindow``
connects them to what they do."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from remoteapp.net.helpdesk import QueueEntry, SessionInProgress
from remoteapp.tickets.record import parse_time
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtWidgets
from remoteapp.ui.widgets import spaced_id

_NO_EDITS = QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers
_PARTNER_ID = re.compile(r"[0-9]{9}")
ADMIN_COLUMNS = (4, 5)  #: the queue's ID and password: the server sends them to admins only


def typed_partner_id(text: str) -> str | None:
    """The partner ID in what the agent typed, or None.  NFKC first: full-width digits
    (an IME's "５９９...") are the ASCII ones; then only 0-9, as ``isdigit`` also takes
    other scripts' digits that no partner ID has."""
    partner = "".join(unicodedata.normalize("NFKC", text).split())
    return partner if _PARTNER_ID.fullmatch(partner) else None


def waited(since: str, now: datetime | None = None) -> str:
    """How long a customer has waited, as "0:41" or "1:02:05" (the server's ISO time is
    no use to read; a clock ahead of ours counts as no wait).  Only for a server that
    does not give ``waiting_s``: this machine's clock may be hours off the server's."""
    start = parse_time(since)
    if start is None:
        return ""
    return _duration(max(0, int(((now or datetime.now(UTC)) - start).total_seconds())))


def _duration(seconds: int) -> str:
    h, m, s = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def waiting_text(entry: QueueEntry) -> str:
    """The entry's wait by the server's clock (its answer is a poll old at most), else
    by ours."""
    if entry.waiting_s is not None:
        return _duration(entry.waiting_s)
    return waited(entry.waiting_since)


class ConnectTab(QtWidgets.QWidget):
    def __init__(self) -> None:
        super().__init__()
        form = QtWidgets.QFormLayout(self)
        self.partner = QtWidgets.QLineEdit()
        self.partner.setObjectName("partner-id")
        self.partner.setPlaceholderText("123 456 789")
        self.connect_button = QtWidgets.QPushButton(tr("Connect"))
        form.addRow(tr("Partner ID"), self.partner)
        form.addRow(self.connect_button)


class QueueTab(QtWidgets.QWidget):
    def __init__(self) -> None:
        super().__init__()
        layout = QtWidgets.QVBoxLayout(self)
        self.table = QtWidgets.QTableWidget(0, 6)
        self._refs: list[str] = []  #: each row's ``queue_ref``, as last shown
        self.table.setHorizontalHeaderLabels(
            [
                tr("Name"),
                tr("Organization"),
                tr("Classification"),
                tr("Waiting time"),
                tr("ID"),
                tr("Password (server part)"),
            ]
        )
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(_NO_EDITS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self._show_admin_columns(False)
        self.connect_button = QtWidgets.QPushButton(tr("Connect"))
        self.connect_button.setObjectName("queue-connect")
        layout.addWidget(self.table)
        layout.addWidget(self.connect_button)

    def show_entries(self, entries: list[QueueEntry]) -> None:
        """Refill the table (every poll).  The current row follows its customer by
        ``queue_ref``, not its index: when someone ahead leaves, the same index is
        another customer, and Connect would go to them.  A customer who left leaves
        nothing selected; the scroll position stays where the agent had it."""
        current = self.table.currentRow()
        chosen = self._refs[current] if 0 <= current < len(self._refs) else None
        scrolled = self.table.verticalScrollBar().value()
        self._refs = [e.queue_ref for e in entries]
        self.table.setRowCount(len(entries))
        for row, e in enumerate(entries):
            values = (
                e.name,
                e.organization,
                e.classification,
                waiting_text(e),
                spaced_id(e.partner_id) if e.partner_id else "",
                e.password or "",
            )
            for col, value in enumerate(values):
                self.table.setItem(row, col, QtWidgets.QTableWidgetItem(value or ""))
        self._show_admin_columns(any(e.partner_id or e.password for e in entries))
        self._select(self._refs.index(chosen) if chosen in self._refs else -1)
        self.table.verticalScrollBar().setValue(scrolled)
        if self.table.currentRow() >= 0:  # (moved up out of view: scrolled back to it)
            self.table.scrollTo(self.table.currentIndex())

    def _select(self, row: int) -> None:
        """``row`` current and selected; -1: none at all (Connect then asks to choose)."""
        if row < 0:
            self.table.clearSelection()
        self.table.setCurrentCell(row, 0)

    def _show_admin_columns(self, shown: bool) -> None:
        """An agent who is not the app's administrator gets no IDs or passwords: columns
        that would always be empty are not shown."""
        for col in ADMIN_COLUMNS:
            self.table.setColumnHidden(col, not shown)


class SessionsTab(QtWidgets.QWidget):
    def __init__(self) -> None:
        super().__init__()
        layout = QtWidgets.QVBoxLayout(self)
        self.in_progress = QtWidgets.QTableWidget(0, 4)  #: every session of the app
        self.in_progress.setObjectName("in-progress")
        self.in_progress.setHorizontalHeaderLabels(
            [tr("Agent"), tr("Customer"), tr("Organization"), tr("Duration")]
        )
        self.in_progress.setEditTriggers(_NO_EDITS)
        self.in_progress.horizontalHeader().setStretchLastSection(True)
        self.own = QtWidgets.QListWidget()  #: this window's own sessions
        self.own.setMaximumHeight(90)
        layout.addWidget(QtWidgets.QLabel(tr("All sessions of this app")))
        layout.addWidget(self.in_progress)
        layout.addWidget(QtWidgets.QLabel(tr("Your sessions in this window")))
        layout.addWidget(self.own)

    def show_in_progress(self, rows: list[SessionInProgress]) -> None:
        self.in_progress.setRowCount(len(rows))
        for row, s in enumerate(rows):
            agent = tr("{agent} (you)").format(agent=s.agent) if s.mine else s.agent
            duration = f"{s.duration_s // 3600:02d}:{s.duration_s // 60 % 60:02d}"
            if s.connecting:  # offered: the customer has left the queue, not yet joined
                duration = tr("Connecting...")
            for col, value in enumerate((agent, s.customer, s.organization or "", duration)):
                self.in_progress.setItem(row, col, QtWidgets.QTableWidgetItem(value))
