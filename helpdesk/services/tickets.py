"""Tickets in the shape of Movidesk's public API v1, so the app's ticket client can be
pointed either at this server or at a real Movidesk account.

Supported: tickets (read, list, create, append actions) and persons (read, list), with
``$filter`` (``and`` of ``field op value``: ``TICKET_FIELDS``, ``person_fields``),
``$orderby``, ``$top``, ``$skip``, and ``$select``/``$expand`` (the answer's shape,
``helpdesk.services.ticket_answers``). Dates a client sends (``$filter``, a ticket's or an
action's ``createdDate``) are converted to UTC from any offset they carry.

Remote-session actions carry ``[remoteapp-session:<id>]`` in their description; appending
an action whose marker is already on the ticket adds nothing, so retries are harmless. The
marker works against a real Movidesk too (the client checks before appending).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Final

from pydantic import ConfigDict, Field
from sqlalchemy import (
    Integer,
    SQLColumnExpression,
    case,
    func,
    literal_column,
    null,
    select,
)
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import selectinload

from helpdesk.db import lock_row
from helpdesk.errors import BadQuery, NotFound
from helpdesk.inputs import Input, Int, Text, parse_id
from helpdesk.models import Person, Ticket, TicketAction
from helpdesk.services import api_tokens, auth
from helpdesk.services.api_tokens import STAFF, Scope
from helpdesk.services.ticket_filter import (
    MAX_DATETIME,
    QueryField,
    order_by,
    parse_datetime,
    where,
)
from helpdesk.settings import Settings
from remotewire.constants import session_id_in
from remotewire.error_codes import ErrorCode

MAX_TOP = 1000
MAX_SUBJECT: Final = 350
"""Movidesk's limit (ours was 400, the column's width): a script that worked here must
not be refused there. Our app's subjects are at most ~216 ("Remote access - " and a
customer name of at most 200, ``remotewire.customer_fields.MAX_FIELD_LENGTH``)."""


class PersonRef(Input):
    model_config = ConfigDict(extra="allow")
    id: Text = Field(max_length=20)


class TimeAppointmentIn(Input):
    model_config = ConfigDict(extra="allow")
    date: str | None = None
    periodStart: str | None = None
    periodEnd: str | None = None
    workTime: str | None = None
    activity: str | None = None
    workTypeName: str | None = None


class ActionIn(Input):
    model_config = ConfigDict(extra="allow")
    id: Int | None = None
    type: Int = 2
    origin: Int = 9
    description: str = ""
    createdBy: PersonRef | None = None
    createdDate: str | None = Field(default=None, max_length=MAX_DATETIME)
    timeAppointments: list[TimeAppointmentIn] = Field(default_factory=list)


class TicketIn(Input):
    model_config = ConfigDict(extra="allow")
    subject: str = Field(min_length=1, max_length=MAX_SUBJECT)
    type: Int = 2
    status: str | None = Field(default=None, max_length=50)
    origin: Int = 9
    createdBy: PersonRef
    createdDate: str | None = Field(default=None, max_length=MAX_DATETIME)
    owner: PersonRef | None = None
    clients: list[PersonRef] = Field(default_factory=list)
    actions: list[ActionIn] = Field(min_length=1)


class TicketPatch(Input):
    model_config = ConfigDict(extra="allow")
    subject: str | None = Field(default=None, min_length=1, max_length=MAX_SUBJECT)
    status: str | None = Field(default=None, max_length=50)
    owner: PersonRef | None = None
    actions: list[ActionIn] = Field(default_factory=list)


def check_token(
    db: Db, settings: Settings, token: str | None, authorization: str | None = None
) -> Scope:
    """The token's scope (``helpdesk.services.api_tokens``): every call below honours it.

    Without a ``token``, an ``Authorization: Bearer`` login (the agent app's, on this
    server) stands in for one; a token, when given, decides alone."""
    if not token and authorization and authorization.startswith(auth.BEARER):
        return api_tokens.for_login(db, settings, authorization)
    return api_tokens.authenticate(db, token)


TICKET_FIELDS: Final[dict[str, QueryField]] = {
    "id": QueryField(Ticket.id, "number"),
    "lastUpdate": QueryField(Ticket.last_update, "datetime"),
    "createdDate": QueryField(Ticket.created_date, "datetime"),
    "status": QueryField(Ticket.status, "text"),
    "subject": QueryField(Ticket.subject, "text"),
}


def person_fields(scope: Scope) -> dict[str, QueryField]:
    """The persons' ``$filter``/``$orderby`` fields. A staff email the scope hides is null
    here as in the answer: filtering or sorting by it must not reveal it."""
    email: SQLColumnExpression[Any] = Person.email
    if scope.hides_staff_email:
        email = case((Person.profile_type == STAFF, null()), else_=Person.email)
    return {
        "id": QueryField(Person.id, "number"),
        "personType": QueryField(literal_column("1", Integer), "number"),  # always 1, a person
        "profileType": QueryField(Person.profile_type, "number"),
        "businessName": QueryField(Person.business_name, "text"),
        "email": QueryField(email, "text", nullable=True),
        "phone": QueryField(Person.phone, "text", nullable=True),
        "classification": QueryField(Person.classification, "text", nullable=True),
    }


_ACTIONS: Final = selectinload(Ticket.actions).selectinload(TicketAction.created_by)
_LOADS: Final = {
    "actions": _ACTIONS,
    "lastActionDate": _ACTIONS,
    "clients": selectinload(Ticket.clients),
    "owner": selectinload(Ticket.owner),
    "createdBy": selectinload(Ticket.created_by),
}


def get_ticket(db: Db, ticket_id: int, scope: Scope) -> Ticket:
    ticket = db.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(ErrorCode.UNKNOWN_TICKET, f"no ticket {ticket_id}")
    api_tokens.check_visible(db, scope, ticket)
    return ticket


def list_tickets(
    db: Db,
    filter_: str | None,
    orderby: str | None,
    top: int,
    skip: int,
    scope: Scope,
    fields: Collection[str] = (),
) -> Sequence[Ticket]:
    """The page of tickets; the nested rows of ``fields`` (the answer's) are read in a few
    queries for the whole page, not one per ticket."""
    query = select(Ticket)
    if (visible := scope.tickets()) is not None:
        query = query.where(visible)
    if filter_:
        query = query.where(*where(filter_, TICKET_FIELDS))
    if orderby:
        query = query.order_by(*order_by(orderby, TICKET_FIELDS), Ticket.id.asc())
    else:
        query = query.order_by(Ticket.id.asc())
    loads = {_LOADS[name] for name in fields if name in _LOADS}
    return db.scalars(query.options(*loads).offset(skip).limit(top)).all()


def create_ticket(db: Db, settings: Settings, body: TicketIn, scope: Scope) -> Ticket:
    now = settings.clock.now()
    created = parse_datetime(body.createdDate) if body.createdDate else now
    ticket = Ticket(
        subject=body.subject,
        type=body.type,
        origin=body.origin,
        status=body.status or "Novo",
        created_by=_person(db, body.createdBy, scope),
        owner=_person(db, body.owner, scope),
        created_date=created,
        last_update=now,
        clients=[p for p in (_person(db, c, scope) for c in body.clients) if p],
    )
    db.add(ticket)
    _add_actions(db, settings, ticket, body.actions, scope)
    api_tokens.check_visible(db, scope, ticket, writing=True)  # raises before the commit
    db.commit()
    return ticket


def patch_ticket(
    db: Db, settings: Settings, ticket_id: int, body: TicketPatch, scope: Scope
) -> int:
    """Change the ticket, append new actions; returns how many actions were added."""
    ticket = get_ticket(db, ticket_id, scope)
    if body.subject is not None:
        ticket.subject = body.subject
    if body.status is not None:
        ticket.status = body.status
    if body.owner is not None:
        ticket.owner = _person(db, body.owner, scope)
    added = _add_actions(db, settings, ticket, body.actions, scope)
    if added or body.model_fields_set - {"actions"}:
        ticket.last_update = settings.clock.now()
    api_tokens.check_visible(db, scope, ticket, writing=True)  # a new owner could move it
    db.commit()
    return added


def get_person(db: Db, person_id: str, scope: Scope) -> Person:
    number = parse_id(person_id)
    person = db.get(Person, number) if number is not None else None
    if person is None or not api_tokens.person_visible(db, scope, person):
        raise NotFound(ErrorCode.UNKNOWN_PERSON, f"no person {person_id}")
    return person


def list_persons(
    db: Db, filter_: str | None, orderby: str | None, top: int, skip: int, scope: Scope
) -> Sequence[Person]:
    query = select(Person)
    if (visible := scope.persons()) is not None:
        query = query.where(visible)
    fields = person_fields(scope)
    if filter_:
        query = query.where(*where(filter_, fields))
    order = [*order_by(orderby, fields), Person.id.asc()] if orderby else [Person.id.asc()]
    return db.scalars(query.order_by(*order).offset(skip).limit(top)).all()


def _person(db: Db, ref: PersonRef | None, scope: Scope) -> Person | None:
    """A referenced person; one outside the token's scope is as unknown as a wrong id."""
    if ref is None:
        return None
    number = parse_id(ref.id)
    person = db.get(Person, number) if number is not None else None
    if person is None or not api_tokens.person_visible(db, scope, person):
        raise BadQuery(ErrorCode.UNKNOWN_PERSON_REF, f"unknown person id {ref.id!r}")
    return person


def lock_for_actions(db: Db, ticket: Ticket) -> tuple[int, set[str]]:
    """Take the ticket's write lock, then read its last action number and session markers.

    Numbering read-then-insert raced: 302 concurrent actions got 151 distinct numbers.
    With the ticket's row held, appenders take turns, and what is read after it includes
    every committed action. A ticket not yet flushed (being created) has no competitor."""
    if ticket.id is None:
        return len(ticket.actions), {a.session_ref for a in ticket.actions if a.session_ref}
    lock_row(db, Ticket, ticket.id)
    last = db.scalar(
        select(func.max(TicketAction.number)).where(TicketAction.ticket_id == ticket.id)
    )
    seen = db.scalars(
        select(TicketAction.session_ref).where(
            TicketAction.ticket_id == ticket.id, TicketAction.session_ref.is_not(None)
        )
    )
    return last or 0, {ref for ref in seen if ref}


def _add_actions(
    db: Db, settings: Settings, ticket: Ticket, actions: list[ActionIn], scope: Scope
) -> int:
    """Append new actions; skip ones whose session marker the ticket already has."""
    if not any(item.id is None for item in actions):
        return 0
    last, seen = lock_for_actions(db, ticket)
    added = 0
    for item in actions:
        if item.id is not None:
            continue  # an existing action echoed back: Movidesk keeps it as is
        ref = session_id_in(item.description)
        if ref is not None and ref in seen:
            continue
        created = parse_datetime(item.createdDate) if item.createdDate else settings.clock.now()
        appointments = [
            {"id": i + 1, **a.model_dump(exclude_none=True)}
            for i, a in enumerate(item.timeAppointments)
        ]
        ticket.actions.append(
            TicketAction(
                number=last + added + 1,
                type=item.type,
                origin=item.origin,
                description=item.description,
                created_by=_person(db, item.createdBy, scope),
                created_date=created,
                time_appointments=appointments,
                session_ref=ref,
            )
        )
        if ref is not None:
            seen.add(ref)
        added += 1
    return added
