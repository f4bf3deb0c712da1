"""The agent window's three tabs, as widgets: Remote access (partner ID + Connect), the
Queue, and Sessions in progress.  They only lay out their controls; ``AgentWindow``
connects them to what they do."""

from __future__ import annotations

from remoteapp.net.helpdesk import QueueEntry, SessionInProgress
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtWidgets
from remoteapp.ui.widgets import spaced_id

_NO_EDITS = QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers


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
        self.table.setHorizontalHeaderLabels(
            [
                tr("Name"),
                tr("Organization"),
                tr("Classification"),
                tr("Waiting since"),
                tr("ID"),
                tr("Password (server part)"),
            ]
        )
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(_NO_EDITS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.connect_button = QtWidgets.QPushButton(tr("Connect"))
        self.connect_button.setObjectName("queue-connect")
        layout.addWidget(self.table)
        layout.addWidget(self.connect_button)

    def show_entries(self, entries: list[QueueEntry]) -> None:
        self.table.setRowCount(len(entries))
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
                self.table.setItem(row, col, QtWidgets.QTableWidgetItem(value or ""))


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
            for col, value in enumerate((agent, s.customer, s.organization or "", duration)):
                self.in_progress.setItem(row, col, QtWidgets.QTableWidgetItem(value))
