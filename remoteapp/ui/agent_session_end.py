"""What the agent window does when one of its sessions ends.

The viewer stays open saying why (as TeamViewer and AnyDesk do) until the agent closes
it: it used to vanish at once, the window's only reference dropped, and the reason it
showed (a wrong password's too) was never seen.  The agent window's status says which
session ended, in the same words (``end_reasons``).  The server is told (off the user's
threads), and the session's record is completed, naming the customer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from remoteapp.net.helpdesk import HelpdeskClient, SessionGrant
from remoteapp.secure import PasswordMismatch
from remoteapp.tickets import SessionRecord
from remoteapp.ui import operations
from remoteapp.ui.agent_records import AgentRecords
from remoteapp.ui.end_reasons import end_reason_text
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtCore, QtWidgets, is_alive
from remoteapp.ui.viewer import ViewerWindow, wrong_password_text

log = logging.getLogger("remoteapp.agent")


def ended_text(partner: str, said: str) -> str:
    return tr("The session with {partner} has ended. {reason}").format(partner=partner, reason=said)


class SessionEnds(QtCore.QObject):
    """A child of the agent window; holds the ended sessions' viewers still open."""

    def __init__(
        self,
        window: QtWidgets.QWidget,
        client: HelpdeskClient,
        records: AgentRecords,
        status: QtWidgets.QLabel,
        listed_name: Callable[[str], str],
    ) -> None:
        super().__init__(window)
        self.client, self.records, self.status = client, records, status
        self.listed_name = listed_name  #: the queue's name for a partner ID, or ""
        self.viewers: list[ViewerWindow] = []  #: open until the agent closes them

    def ended(
        self,
        grant: SessionGrant,
        partner: str,
        record: SessionRecord,
        reason: str,
        viewer: ViewerWindow | None,
    ) -> None:
        said = end_reason_text(reason)
        customer = ""
        if viewer is not None:
            customer = viewer.session.customer_name
            if isinstance(viewer.session.failure, PasswordMismatch):
                said = wrong_password_text()
            if viewer.isVisible():  # (closed by the agent: nothing left to show)
                self.viewers.append(viewer)
        self.status.setText(ended_text(partner, said))
        window = self.parent()
        assert isinstance(window, QtWidgets.QWidget)
        operations.run(
            window,
            lambda: self.client.end_session(grant.session_id, reason),
            on_error=lambda exc: log.info("agent event=end-report-failed reason=%r", str(exc)),
            busy=False,
            background=True,
        )
        self._complete_record(window, grant, record, reason, customer)

    def _complete_record(
        self,
        window: QtWidgets.QWidget,
        grant: SessionGrant,
        record: SessionRecord,
        reason: str,
        customer: str,
    ) -> None:
        """The record names the customer as the session learnt it, else as the queue
        listed them (chosen there, or listed with this ID), else as the server knows
        them: a session ended on a wrong password learns no name, and its ticket's
        action named only an ID although the customer had given their name."""
        customer = customer or record.customer or self.listed_name(grant.partner_id)

        def store(name: str) -> None:
            self.records.session_over(
                record, customer=name, partner=grant.partner_id, reason=reason
            )

        if customer:
            store(customer)
            return
        operations.run(
            window,
            lambda: self.client.session_state(grant.session_id).customer,
            store,
            lambda exc: store(""),
            busy=False,
            background=True,
        )

    def forget_closed(self) -> None:
        """An ended session's viewer the agent closed goes."""
        for viewer in self.viewers:
            if is_alive(viewer) and not viewer.isVisible():
                viewer.deleteLater()
        self.viewers = [v for v in self.viewers if is_alive(v) and v.isVisible()]
