"""The agent window's session records in the outbox: its claim, each session's open record
(on disk before the viewer opens), the completed record at the end, flushes and retries.

Outbox writes wait on a file lock and fsync, so they never run on the GUI thread: they run
in one ``operations`` lane, in order (the claim, then a session's open record, then its
closed one; the claim's release after all of them).  A flush follows each closed record
once it is on disk, and runs beside the lane (it may wait for another process's flush).
What the records say comes from ``remoteapp.tickets.record``.

The outbox is the machine's, shared by every login on it.  A ticket client that speaks
as the agent's login (``LoginTicketClient``: no ticket token) sees only the tickets and
persons of that agent's apps, so its flushes close and send only this agent's records
(``agent_ref``): another agent's would look like a ticket gone (a duplicate ticket) or be
refused for ever.  Those wait for their own agent's next login here, or for an app with
a configured token, which delivers every record.  ``waiting`` counts this agent's only.
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import UTC, datetime
from typing import Any

from remoteapp.errors import RemoteappError
from remoteapp.net.agent_tickets import LoginTicketClient
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from remoteapp.tickets import (
    FlushResult,
    RecordCloser,
    RecordTexts,
    Session,
    SessionRecord,
    TicketOutbox,
)
from remoteapp.tickets.record import end_record, open_record
from remoteapp.ui import operations
from remoteapp.ui.end_reasons import end_reason_text
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtCore, Signal
from remotewire.events import EventLog

agent_events = EventLog("agent")


class RecordNotWritten(RemoteappError):
    """A starting session's open record could not be written (the disk full, no
    permission): the session is not started, since its ticket action could be lost."""


log = logging.getLogger("remoteapp.agent")
RETRY_MS = 60_000  #: records waiting for the server are tried again this often
CLAIM_WAIT_S = 10.0  #: an open record waits this long at most for the claim


def record_texts() -> RecordTexts:
    """The session record's words, in the app's language."""
    return RecordTexts(
        subject=tr("Remote access - {customer}"),
        description=tr(
            "Remote access. Agent: {agent}. Customer: {customer} (ID {partner}). "
            "Start: {start}. End: {end}. {reason}"
        ),
        app_stopped=tr("The agent app stopped."),
        said=end_reason_text,
    )


class AgentRecords(QtCore.QObject):
    """Created on the GUI thread, a child of the agent window."""

    sent = Signal(str)  #: a session's action is on its ticket
    waiting = Signal(int)  #: this flush's records still waiting for the server after it

    def __init__(
        self,
        parent: QtCore.QObject,
        outbox: TicketOutbox,
        client: HelpdeskClient,
        tickets: TicketClient,
        user: dict[str, Any],
    ) -> None:
        super().__init__(parent)
        self.outbox, self.client, self.tickets = outbox, client, tickets
        # the agent's person at the ticket API, not the login's user id (equal in the demo
        # data only: elsewhere the records named another person, or were refused); a
        # server from before person_id gives only the id
        self.agent_ref = str(user.get("person_id") or user.get("id", ""))
        self.agent_name = str(user.get("name", ""))
        self.texts = record_texts()
        self.instance = secrets.token_hex(8)  #: marks the open records this window owns
        self.lane = operations.Lane()
        self._claimed = threading.Event()
        self._retry = QtCore.QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self.flush)
        operations.run(self, self._claim, lane=self.lane, busy=False)

    def _claim(self) -> None:
        try:
            self.outbox.claim(self.instance)
        finally:
            self._claimed.set()

    def store_open(
        self,
        session_id: str,
        ticket_id: int | None,
        client_ref: str | None,
        partner: str,
        partner_id: str,
    ) -> SessionRecord:
        """Write a starting session's open record; blocking, so call it off the GUI thread
        (inside the connect work): should this app die mid-session, the next start
        completes it with the server's end time, so the ticket still gets its action.
        ``partner``: as the agent chose it (an ID, or a name from the queue)."""
        session = Session(
            session_id,
            ticket_id,
            self.agent_ref,
            client_ref,
            partner,
            agent=self.agent_name,
            partner_id=partner_id,
        )
        record = open_record(session, self.texts, start=datetime.now(UTC), writer=self.instance)
        self._claimed.wait(CLAIM_WAIT_S)  # ours before it exists: nobody else closes it
        try:
            self.outbox.put(record)
        except OSError as exc:  # this machine's, not the relay's
            raise RecordNotWritten(str(exc)) from exc
        return record

    def session_over(
        self, record: SessionRecord, *, customer: str, partner: str, reason: str
    ) -> None:
        """Complete the record of a session seen ending, store it (in the lane, so after
        its open record), then flush."""
        done = end_record(
            record,
            self.texts,
            agent=self.agent_name,
            customer=customer,
            partner=partner,
            end=datetime.now(UTC),
            reason=reason,
        )
        operations.run(
            self,
            lambda: self.outbox.put(done),
            lambda _: self.flush(),
            lane=self.lane,
            busy=False,
        )

    def flush(self) -> None:
        """Send what waits; open records of an app that died are completed from the
        server's state; what the server cannot take now is tried again later."""
        close = RecordCloser(self.client.session_state, self.texts, self.agent_name)
        deliverable = self._deliverable if isinstance(self.tickets, LoginTicketClient) else None
        operations.run(  # (on the poll threads: a hung server holds none of the user's)
            self,
            lambda: self.outbox.flush(
                self.tickets, writer=self.instance, close=close, deliverable=deliverable
            ),
            self._flushed,
            lambda exc: log.warning("agent event=outbox-failed reason=%r", str(exc)),
            busy=False,
            background=True,
        )

    def _deliverable(self, record: SessionRecord) -> bool:
        """A login's flush: this agent's records only (see the module's note)."""
        return bool(self.agent_ref) and record.agent_ref == self.agent_ref

    def _flushed(self, result: FlushResult) -> None:
        for session_id in result.sent:
            agent_events.emit("ticket-action-sent", session=session_id)
            self.sent.emit(session_id)
        if result.pending:
            self.waiting.emit(len(result.pending))
            self._retry.start(RETRY_MS)  # one timer: a later failure restarts it

    def release(self) -> None:
        """The window closes: let the claim go once the writes already started are done
        (never waiting here); sessions still open are completed by the next start."""
        operations.run(self, self.outbox.release_claim, lane=self.lane, busy=False)
