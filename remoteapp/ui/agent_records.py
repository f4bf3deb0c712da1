"""The agent window's session records in the outbox: its claim, each session's open record
(on disk before the viewer opens), the completed record at the end, flushes and retries.

Outbox writes wait on a file lock and fsync, so they never run on the GUI thread: they run
in one ``operations`` lane, in order (the claim, then a session's open record, then its
closed one; the claim's release after all of them).  A flush follows each closed record
once it is on disk, and runs beside the lane (it may wait for another process's flush).
What the records say comes from ``remoteapp.tickets.record``.

Records live in one outbox per pair of servers (the session server and the ticket API):
a record of one helpdesk must never be completed or filed by another's login on this
machine (an agent of two companies: the other server's "no such session" read as
"forgotten", the action went onto that company's ticket of the same number).  The one
outbox of the builds before it (``legacy_outbox``) is still flushed, as then.

An outbox is shared by every login on the machine to the same servers.  A ticket client that speaks
as the agent's login (``LoginTicketClient``: no ticket token) sees only the tickets and
persons of that agent's apps, so its flushes close and send only this agent's records
(``agent_ref``): another agent's would look like a ticket gone (a duplicate ticket) or be
refused for ever.  Those wait for their own agent's next login here, or for an app with
a configured token, which delivers every record.  ``waiting`` counts this agent's only.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from remoteapp.errors import RemoteappError
from remoteapp.net.agent_tickets import LoginTicketClient, server_key
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from remoteapp.session.device import data_dir
from remoteapp.tickets import (
    FlushResult,
    RecordCloser,
    RecordTexts,
    Session,
    SessionRecord,
    TicketOutbox,
)
from remoteapp.tickets.record import end_record, open_record, seen_end_times
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


def server_outbox(session_url: str, ticket_url: str) -> TicketOutbox:
    """The outbox of the records of one session server and ticket API (see above)."""
    pair = repr((server_key(session_url) or session_url, server_key(ticket_url) or ticket_url))
    key = hashlib.sha256(pair.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return TicketOutbox(data_dir() / "outboxes" / key)


def legacy_outbox() -> TicketOutbox | None:
    """The machine's one outbox of earlier builds, if it holds records still."""
    directory = data_dir() / "outbox"
    try:
        if not any(directory.glob("[!.]*.json")):
            return None
    except OSError:
        return None
    return TicketOutbox(directory)


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


def waiting_text(count: int, *, login_ended: bool) -> str:
    if login_ended:  # refused for the login's sake: only a new login sends them
        text = tr("{count} session record(s) will be sent when you log in again.")
    else:
        text = tr("{count} session record(s) waiting for the server.")
    return text.format(count=count)


def refused_text(count: int) -> str:
    return tr(
        "The ticket system refused {count} session record(s) for good: they are kept on "
        "this computer; ask your administrator (the reason is in the log)."
    ).format(count=count)


class AgentRecords(QtCore.QObject):
    """Created on the GUI thread, a child of the agent window."""

    sent = Signal(str)  #: a session's action is on its ticket
    waiting = Signal(int)  #: this flush's records still waiting for the server after it
    refused = Signal(int)  #: records this flush set aside: the ticket API refused them for good

    def __init__(
        self,
        parent: QtCore.QObject,
        outbox: TicketOutbox,
        client: HelpdeskClient,
        tickets: TicketClient,
        user: dict[str, Any],
        *,
        legacy: TicketOutbox | None = None,
    ) -> None:
        super().__init__(parent)
        self.outbox, self.client, self.tickets = outbox, client, tickets
        self.legacy = legacy  #: flushed too, never written (see the module's note)
        self._unwritten: dict[str, SessionRecord] = {}
        """Completed records the disk refused (full, no permission): kept here and
        written again at each retry; their open records are on disk meanwhile."""
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
            for parked in self.outbox.parked():  # tried once more at each start: what was
                self.outbox.unpark(parked.session_id)  # refused may have been put right
        finally:
            self._claimed.set()  # (after the unparking: the first flush waits for both)

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
        """Complete the record of a session seen ending, on the server's clock where it
        can tell it, store it (in the lane, so after its open record), then flush."""
        local_end = datetime.now(UTC)

        def complete() -> None:
            start, end = self._server_times(record, local_end, reason)
            done = end_record(
                replace(record, start=start),
                self.texts,
                agent=self.agent_name,
                customer=customer,
                partner=partner,
                end=end,
                reason=reason,
            )
            self._store(done)

        operations.run(
            self, complete, lambda _: self.flush(), self._flush_failed, lane=self.lane, busy=False
        )

    def _server_times(
        self, record: SessionRecord, local_end: datetime, reason: str
    ) -> tuple[datetime, datetime]:
        """The session's start and end by the server's clock (``seen_end_times``); this
        machine's times when the server cannot say (unreachable: the record is written
        all the same)."""
        try:
            state = self.client.session_state(record.session_id)
        except Exception as exc:  # any failure: the record must be written regardless
            log.warning("agent event=session-times-local reason=%r", str(exc))
            return record.start, local_end
        return seen_end_times(state, record.start, local_end, reported=reason)

    def _store(self, done: SessionRecord) -> None:
        """Write a completed record; one the disk refuses is kept for the next retry."""
        try:
            self.outbox.put(done)
        except OSError as exc:
            log.warning(
                "agent event=record-not-written session=%s reason=%r", done.session_id, str(exc)
            )
            self._unwritten[done.session_id] = done
            raise
        self._unwritten.pop(done.session_id, None)

    def flush(self) -> None:
        """Send what waits; open records of an app that died are completed from the
        server's state; what the server cannot take now, or the disk did not, is tried
        again later (whatever the failure: a portal's page is no reason to stop)."""
        close = RecordCloser(self.client.session_state, self.texts, self.agent_name)
        deliverable = self._deliverable if isinstance(self.tickets, LoginTicketClient) else None

        def flush_all() -> FlushResult:
            # (the start's flush ran before the claim's unparking, on another thread, and
            # left the parked records for the minute's retry, or for good)
            self._claimed.wait(CLAIM_WAIT_S)
            for done in list(self._unwritten.values()):
                with contextlib.suppress(OSError):  # (kept: retried; the others still go)
                    self._store(done)
            result = self.outbox.flush(
                self.tickets, writer=self.instance, close=close, deliverable=deliverable
            )
            if self.legacy is not None:  # only the sessions this server knows
                older = self.legacy.flush(
                    self.tickets,
                    writer=self.instance,
                    close=close,
                    deliverable=lambda r: (
                        (deliverable is None or deliverable(r)) and self._known_here(r)
                    ),
                )
                result = FlushResult(
                    result.sent + older.sent,
                    result.pending + older.pending,
                    result.parked + older.parked,
                )
            return result

        operations.run(  # (on the poll threads: a hung server holds none of the user's)
            self, flush_all, self._flushed, self._flush_failed, busy=False, background=True
        )

    def _flush_failed(self, exc: Exception) -> None:
        """A flush, or a completed record's write, failed: tried again, whatever it was."""
        log.warning("agent event=outbox-failed reason=%r", str(exc))
        if self._unwritten:
            self.waiting.emit(len(self._unwritten))
        self._retry.start(RETRY_MS)

    def _deliverable(self, record: SessionRecord) -> bool:
        """A login's flush: this agent's records only (see the module's note)."""
        return bool(self.agent_ref) and record.agent_ref == self.agent_ref

    def _known_here(self, record: SessionRecord) -> bool:
        """A record of the shared outbox of earlier builds (no server named in it) is this
        server's if this server knows its session: never close or file another
        helpdesk's record here (unsure, the server away: not now)."""
        try:
            self.client.session_state(record.session_id)
        except Exception:  # NotFound: another server's; anything else: not now
            return False
        return True

    def _flushed(self, result: FlushResult) -> None:
        for session_id in result.sent:
            agent_events.emit("ticket-action-sent", session=session_id)
            self.sent.emit(session_id)
        if result.parked:  # kept on disk (``TicketOutbox.parked``), tried again at start
            self.refused.emit(len(result.parked))
        waiting = len(result.pending) + len(self._unwritten)
        if waiting:
            self.waiting.emit(waiting)
            self._retry.start(RETRY_MS)  # one timer: a later failure restarts it

    def release(self) -> None:
        """The window closes: let the claim go once the writes already started are done
        (never waiting here); sessions still open are completed by the next start."""
        operations.run(self, self.outbox.release_claim, lane=self.lane, busy=False)
