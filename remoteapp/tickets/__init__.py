"""Every session ends as a ticket action, through a durable outbox (Qt-free)."""

from remoteapp.tickets.outbox import SessionRecord, TicketOutbox

__all__ = ["SessionRecord", "TicketOutbox"]
