"""What the outbox asks of the ticket API (``TicketSink``: ``TicketClient`` or a test's),
and a session's new ticket: its first action the session's; refused for good
(``Refused``: a 400, 410, 413) with less in it, step by step (an appointment's activity
a real Movidesk has not registered, a customer this agent may not name); and the search,
after an interrupted attempt, for the ticket it may have opened after all.

Errors::

    HelpdeskError (remoteapp.net.errors)
     └── Refused    the ticket API refused a write for good: the record is parked
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from remoteapp.net.errors import HelpdeskError
from remoteapp.net.helpdesk import HelpdeskRejected, InvalidInput, session_action, session_id_in
from remoteapp.net.ticket_client import without_appointments
from remoteapp.tickets.record import SessionRecord

log = logging.getLogger("remoteapp.tickets")
DUPLICATE_SEARCH = 100  #: newest tickets searched for a session's marker before opening one


class TicketSink(Protocol):
    """What the outbox needs from the ticket API (``remoteapp.net.helpdesk.TicketClient``)."""

    def create_ticket(self, ticket: dict[str, Any]) -> int: ...

    def get_ticket(self, ticket_id: int) -> dict[str, Any]: ...

    def list_tickets(
        self,
        *,
        select: str | None = None,
        filter: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        expand: str | None = None,
    ) -> list[dict[str, Any]]: ...

    def add_session_action(
        self,
        ticket_id: int,
        session_id: str,
        *,
        created_by: str,
        start: datetime,
        end: datetime,
        description: str,
    ) -> bool: ...


class Refused(HelpdeskError):
    """The ticket API refused a record's write for good (``permanent``): it is parked."""


def permanent(exc: HelpdeskRejected) -> bool:
    """A refusal no retry of the same request gets past (not a login, rate or conflict),
    said by the API itself: a proxy's or portal's 400 or 413 page is no such thing."""
    return exc.answered and (isinstance(exc, InvalidInput) or exc.status in (410, 413))


def create_session_ticket(record: SessionRecord, sink: TicketSink) -> int:
    """A new ticket for ``record``'s session; its id."""
    first, *others = _fallbacks(new_ticket(record))
    try:
        return _create(sink, first)
    except Refused as exc:  # 400: an appointment's activity, a customer not to name...
        if not others or not isinstance(exc.__cause__, InvalidInput):
            raise
        return _create_plainer(record, sink, others, exc)


def _create_plainer(
    record: SessionRecord, sink: TicketSink, variants: list[dict[str, Any]], exc: Refused
) -> int:
    """The new ticket with less in it, variant by variant, until one is taken."""
    for variant in variants:
        log.warning(
            "tickets event=refused-plainer session=%s reason=%r", record.session_id, str(exc)
        )
        try:
            return _create(sink, variant)
        except Refused as again:
            if not isinstance(again.__cause__, InvalidInput):
                raise
            exc = again
    raise exc


def already_opened(record: SessionRecord, sink: TicketSink) -> bool:
    """Did an earlier, interrupted attempt open the ticket after all?  Searched by the
    marker alone among the newest tickets, no clock (this machine's may be off), and
    in one request with their actions (a real Movidesk takes 10 a minute); a server
    that does not expand them is asked ticket by ticket."""
    candidates = sink.list_tickets(
        select="id",
        expand="actions($select=id,description)",
        orderby="id desc",
        top=DUPLICATE_SEARCH,
    )
    for ticket in candidates:
        actions = ticket.get("actions")
        if not isinstance(actions, list):
            actions = sink.get_ticket(int(ticket["id"])).get("actions") or []
        if any(
            isinstance(a, dict)
            and session_id_in(str(a.get("description") or "")) == record.session_id
            for a in actions
        ):
            log.info("tickets event=found-opened session=%s", record.session_id)
            return True
    return False


def _create(sink: TicketSink, ticket: dict[str, Any]) -> int:
    try:
        return sink.create_ticket(ticket)
    except HelpdeskRejected as exc:
        if permanent(exc):
            raise Refused(f"new ticket: {exc}") from exc
        raise


def _fallbacks(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """``ticket``, then without its action's time appointment, then without its client,
    then without both: what a refusal for good may be about, least given up first."""
    plain = {**ticket, "actions": [without_appointments(a) for a in ticket["actions"]]}
    variants = [ticket, plain]
    if ticket["clients"]:
        variants += [{**ticket, "clients": []}, {**plain, "clients": []}]
    return variants


def new_ticket(record: SessionRecord) -> dict[str, Any]:
    """A ticket whose first action is the session's (the API wants one to create)."""
    assert record.end is not None
    return {
        "type": 2,
        "subject": record.subject,
        "createdBy": {"id": record.agent_ref},
        "owner": {"id": record.agent_ref},
        "clients": [{"id": record.client_ref}] if record.client_ref else [],
        "actions": [
            session_action(
                record.session_id,
                created_by=record.agent_ref,
                start=record.start,
                end=record.end,
                description=record.description,
            )
        ],
    }
