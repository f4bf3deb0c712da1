"""The ticket action of each session, kept on disk until the ticket API has it.

A record is written (temp file, fsync, rename) *before* anything is sent, so a killed app
or an unreachable server loses nothing: the next ``flush`` (on every start and after
every session) sends it.  Sending is at-least-once; the action carries the session id
and ``TicketClient.add_session_action`` skips a session the ticket already records, so
the ticket gets it exactly once.  A session without a ticket opens one with the action
as its first action (as the ticket API requires); the record notes that it started
doing so, and a retry first looks for the session's marker on the newest tickets (by id,
no clock), so a crash or a lost answer cannot open a second ticket.  A ticket gone or
out of the agent's scope (404) falls back to a new one (``remoteapp.tickets.sink``: with
less in it where the API refuses the whole).  A write refused for good (``permanent``) parks
the record: ``<session>.parked``, never deleted nor retried by a flush (``parked()``;
``unpark``: the agent app queues them again when it starts).

A session also gets an *open* record (no end yet) the moment it starts, so even an agent
app killed mid-session leaves a trace: a later ``flush`` by another app instance asks
``close`` (the app: the server's end time and reason) to complete it, then sends it.
An instance that is alive holds a lock file for the open records it wrote (``claim``), so
nobody else closes those while it can still close them itself.  Flushes of one
directory are serialized, across threads and processes (a lock file), so two flushes
never deliver the same record at once.

A flush may be told which records are its to deliver (``deliverable``): the others stay
in the outbox untouched (not closed, not sent, not counted as pending) for a flush that
may deliver them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from remoteapp.net.errors import HelpdeskError
from remoteapp.net.helpdesk import (
    HelpdeskRejected,
    HelpdeskUnavailable,
    NotFound,
)
from remoteapp.tickets.record import SessionRecord
from remoteapp.tickets.sink import (
    Refused,
    TicketSink,
    already_opened,
    create_session_ticket,
    permanent,
)

log = logging.getLogger("remoteapp.tickets")

_SAFE = re.compile(r"[^0-9A-Za-z_-]")
MAX_RECORDS_PER_FLUSH = 200
FLUSH_LOCK_WAIT_S = 30.0  #: another process flushing the same outbox: wait this long
_DIR_LOCKS: dict[Path, threading.Lock] = {}  #: one lock per directory in this process
_DIR_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True, slots=True)
class FlushResult:
    sent: list[str]  #: session ids now on their tickets
    pending: list[str]  #: deliverable, still in the outbox (server unreachable or refusing)
    parked: list[str] = field(default_factory=list)  #: refused for good by this flush


class TicketOutbox:
    """A directory of records, one JSON file per session."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        with _DIR_LOCKS_GUARD:
            self._lock = _DIR_LOCKS.setdefault(directory.resolve(), threading.Lock())
        self._flush_lock = FileLock(directory / ".flush.lock")
        self._claim: FileLock | None = None

    def _path(self, session_id: str) -> Path:
        return self.directory / f"{_SAFE.sub('_', session_id)[:80]}.json"

    def _writer_lock(self, writer: str) -> Path:
        return self.directory / f".writer-{_SAFE.sub('_', writer)[:40]}.lock"

    def claim(self, writer: str) -> None:
        """This app instance writes open records as ``writer``: hold its lock file while
        alive (the OS drops it if the process dies, even killed)."""
        lock = FileLock(self._writer_lock(writer), thread_local=False)
        try:
            lock.acquire(timeout=5)
        except Timeout:
            log.warning("tickets event=claim-failed writer=%s", writer)
            return
        self._claim = lock

    def release_claim(self) -> None:
        if self._claim is not None:
            self._claim.release()
            self._claim = None

    def _writer_alive(self, writer: str) -> bool:
        path = self._writer_lock(writer)
        if not writer or not path.exists():
            return False
        probe = FileLock(path)
        try:
            probe.acquire(timeout=0)
        except Timeout:
            return True
        probe.release()
        return False

    def put(self, record: SessionRecord) -> None:
        """Store ``record`` durably (replacing an earlier version of the same session)."""
        self._write(self._path(record.session_id), record)

    def _write(self, path: Path, record: SessionRecord) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(record.to_json(), f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if os.name == "posix":  # the rename itself must reach the disk (not on Windows)
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def pending(self) -> list[SessionRecord]:
        """Records not yet delivered, oldest first; unreadable files are set aside."""
        return self._records("[!.]*.json")  # "[!.]": not the temporary files of a put()

    def parked(self) -> list[SessionRecord]:
        """Records the ticket API refused for good, oldest first (``last_error``: why):
        kept for a person to see; ``unpark`` queues one again."""
        return self._records("[!.]*.parked")

    def unpark(self, session_id: str) -> bool:
        """Queue a parked record again (what was refused fixed); False: none such."""
        try:
            self._path(session_id).with_suffix(".parked").rename(self._path(session_id))
        except FileNotFoundError:
            return False
        return True

    def _park(self, session_id: str, reason: str) -> None:
        stored = self._stored(session_id)
        if stored is None:
            return  # delivered by someone else meanwhile
        self._write(
            self._path(session_id).with_suffix(".parked"),
            replace(stored, attempts=stored.attempts + 1, last_error=reason),
        )
        self._path(session_id).unlink(missing_ok=True)
        log.error("tickets event=parked session=%s reason=%r", session_id, reason)

    def _stored(self, session_id: str) -> SessionRecord | None:
        """The record as stored now (a delivery attempt may have updated it), or None."""
        try:
            return SessionRecord.from_json(json.loads(self._path(session_id).read_text("utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            return None  # gone (delivered), or unreadable: pending() sets it aside

    def _records(self, pattern: str) -> list[SessionRecord]:
        records = []
        for _, path in sorted((_mtime(p), p) for p in self.directory.glob(pattern)):
            try:
                records.append(SessionRecord.from_json(json.loads(path.read_text("utf-8"))))
            except FileNotFoundError:
                continue  # delivered meanwhile
            except (OSError, ValueError, TypeError, KeyError) as exc:
                log.error("tickets event=unreadable path=%s reason=%r", path, str(exc))
                with contextlib.suppress(OSError):
                    path.rename(path.with_suffix(".corrupt"))  # kept for a person to look at
        return records

    def flush(
        self,
        sink: TicketSink,
        *,
        writer: str = "",
        close: Callable[[SessionRecord], SessionRecord | None] | None = None,
        deliverable: Callable[[SessionRecord], bool] | None = None,
    ) -> FlushResult:
        """Deliver what is pending; stops at the first unreachable-server error.

        Open records that ``writer`` (this app instance) wrote are its live sessions and are
        left alone; other open records are completed by ``close`` (which returns ``None``
        while the end is not known yet: kept for a later flush).  ``deliverable``: the
        records this flush may close and send (default: all); the others are left as they
        are and not reported, neither sent nor pending."""
        with self._lock:
            try:
                self._flush_lock.acquire(timeout=FLUSH_LOCK_WAIT_S)
            except Timeout:  # another process is flushing: its turn, ours later
                return FlushResult([], [r.session_id for r in self._ours(deliverable)])
            try:
                return self._flush(sink, writer, close, deliverable)
            finally:
                self._flush_lock.release()

    def _ours(self, deliverable: Callable[[SessionRecord], bool] | None) -> list[SessionRecord]:
        records = self.pending()
        return records if deliverable is None else [r for r in records if deliverable(r)]

    def _flush(
        self,
        sink: TicketSink,
        writer: str,
        close: Callable[[SessionRecord], SessionRecord | None] | None,
        deliverable: Callable[[SessionRecord], bool] | None,
    ) -> FlushResult:
        sent: list[str] = []
        pending: list[str] = []
        parked: list[str] = []
        records = self._ours(deliverable)[:MAX_RECORDS_PER_FLUSH]
        for index, stored in enumerate(records):
            record = stored
            if record.end is None and (
                (writer and record.writer == writer) or self._writer_alive(record.writer)
            ):
                continue  # a live session of a running app: that app will close it
            try:
                if record.end is None:
                    try:
                        closed = close(record) if close is not None else None
                    except HelpdeskUnavailable:
                        raise
                    except HelpdeskError as exc:  # refused for this record only
                        log.warning(
                            "tickets event=cannot-close session=%s reason=%r",
                            record.session_id,
                            str(exc),
                        )
                        closed = None
                    if closed is None or closed.end is None:
                        pending.append(record.session_id)
                        continue
                    self.put(closed)
                    record = closed
                    log.info("tickets event=closed-open-record session=%s", record.session_id)
                self._deliver(record, sink)
            except Refused as exc:  # never to pass: set aside, the others go on
                self._park(record.session_id, str(exc))
                parked.append(record.session_id)
                continue
            except HelpdeskError as exc:
                # the stored copy: the attempt may have updated it (``creating_since``,
                # a fallback's ``ticket_id=None``), which retries rely on
                current = self._stored(record.session_id)
                if current is not None:  # not delivered by someone else
                    failed = replace(current, attempts=current.attempts + 1, last_error=str(exc))
                    self.put(failed)
                log.warning(
                    "tickets event=pending session=%s attempts=%d reason=%r",
                    record.session_id,
                    (current or record).attempts + 1,
                    str(exc),
                )
                pending += [r.session_id for r in records[index:]]
                break
            self._path(record.session_id).unlink(missing_ok=True)
            sent.append(record.session_id)
            log.info("tickets event=sent session=%s", record.session_id)
        return FlushResult(sent, pending, parked)

    def _deliver(self, record: SessionRecord, sink: TicketSink) -> None:
        """Every change to ``record`` is stored before the request it protects."""
        assert record.end is not None, "open records are closed before delivery"
        if record.ticket_id is None:
            self._open_ticket(record, sink)
            return
        try:
            sink.add_session_action(
                record.ticket_id,
                record.session_id,
                created_by=record.agent_ref,
                start=record.start,
                end=record.end,
                description=record.description,
            )
        except NotFound:
            # the chosen ticket is gone, or out of this agent's scope: the session still
            # gets recorded, on a new ticket
            record = replace(record, ticket_id=None)
            self.put(record)
            self._open_ticket(record, sink)
        except HelpdeskRejected as exc:
            if permanent(exc):
                raise Refused(f"ticket {record.ticket_id}: {exc}") from exc
            raise

    def _open_ticket(self, record: SessionRecord, sink: TicketSink) -> None:
        if record.creating_since is not None and already_opened(record, sink):
            return
        self.put(replace(record, creating_since=datetime.now(UTC)))  # before the request
        ticket_id = create_session_ticket(record, sink)
        log.info("tickets event=opened session=%s ticket=%d", record.session_id, ticket_id)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
