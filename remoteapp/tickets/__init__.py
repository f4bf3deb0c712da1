"""Every session ends as a ticket action, through a durable outbox (Qt-free): ``record``
says what the action holds, ``outbox`` keeps it on disk until the ticket API has it."""

from remoteapp.tickets.outbox import FlushResult, TicketOutbox
from remoteapp.tickets.record import RecordCloser, RecordTexts, Session, SessionRecord

__all__ = ["FlushResult", "RecordCloser", "RecordTexts", "Session", "SessionRecord", "TicketOutbox"]
