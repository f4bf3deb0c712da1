"""Ticket API in the shape of Movidesk's public API v1, so the app's ticket client can be
pointed either at this server or at a real Movidesk account.

Supported: ``GET/POST/PATCH /public/v1/tickets`` and ``GET /public/v1/persons``, with
``token`` as query parameter; ``$select``, ``$filter`` (``and`` of ``field op value`` on
id, lastUpdate, createdDate, status, subject), ``$orderby``, ``$top``, ``$skip``.
``$expand`` is accepted and ignored: nested objects are always included unless
``$select`` leaves them out.

Remote-session actions carry ``[remoteapp-session:<id>]`` in their description; appending
an action whose marker is already on the ticket adds nothing, so retries are harmless. The
marker works against a real Movidesk too (the client checks before appending).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from helpdesk.models import ApiToken, Person, Ticket, TicketAction, utcnow
from remotewire.constants import SESSION_MARKER_RE

MAX_TOP = 1000

router = APIRouter(prefix="/public/v1")


class PersonRef(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str


class TimeAppointmentIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    date: str | None = None
    periodStart: str | None = None
    periodEnd: str | None = None
    workTime: str | None = None
    activity: str | None = None
    workTypeName: str | None = None


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int | None = None
    type: int = 2
    origin: int = 9
    description: str = ""
    createdBy: PersonRef | None = None
    createdDate: str | None = None
    timeAppointments: list[TimeAppointmentIn] = Field(default_factory=list)


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    subject: str = Field(min_length=1, max_length=400)
    type: int = 2
    status: str | None = None
    origin: int = 9
    createdBy: PersonRef
    owner: PersonRef | None = None
    clients: list[PersonRef] = Field(default_factory=list)
    actions: list[ActionIn] = Field(min_length=1)


class TicketPatch(BaseModel):
    model_config = ConfigDict(extra="allow")
    subject: str | None = Field(default=None, min_length=1, max_length=400)
    status: str | None = None
    owner: PersonRef | None = None
    actions: list[ActionIn] = Field(default_factory=list)


def db(request: Request) -> Any:
    with request.app.state.sessions() as session:
        yield session


Db = Annotated[Session, Depends(db)]


def check_token(session: Db, token: Annotated[str | None, Query()] = None) -> None:
    if not token or session.get(ApiToken, token) is None:
        raise HTTPException(401, "invalid or missing token")


Authorized = Depends(check_token)


def fmt(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def parse_datetime(text: str) -> datetime:
    """Accept Movidesk's forms: 2026-01-02T03:04:05[.fffffff][Z]."""
    value = text.strip().strip("'\"").rstrip("zZ")
    if "." in value:
        head, frac = value.split(".", 1)
        value = f"{head}.{frac[:6]}"
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(400, f"not a datetime: {text!r}") from exc


def person_json(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {
        "id": str(person.id),
        "personType": 1,
        "profileType": person.profile_type,
        "businessName": person.business_name,
        "email": person.email,
        "phone": person.phone,
        "organization": {"businessName": person.organization} if person.organization else None,
        "classification": person.classification,
    }


def action_json(action: TicketAction) -> dict[str, Any]:
    return {
        "id": action.number,
        "type": action.type,
        "origin": action.origin,
        "description": action.description,
        "createdBy": person_json(action.created_by),
        "createdDate": fmt(action.created_date),
        "timeAppointments": action.time_appointments,
    }


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    last_action = ticket.actions[-1].created_date if ticket.actions else None
    return {
        "id": ticket.id,
        "type": ticket.type,
        "subject": ticket.subject,
        "status": ticket.status,
        "baseStatus": ticket.base_status,
        "origin": ticket.origin,
        "createdDate": fmt(ticket.created_date),
        "lastUpdate": fmt(ticket.last_update),
        "lastActionDate": fmt(last_action),
        "owner": person_json(ticket.owner),
        "createdBy": person_json(ticket.created_by),
        "clients": [person_json(c) for c in ticket.clients],
        "actions": [action_json(a) for a in ticket.actions],
    }


def select_fields(item: dict[str, Any], select_: str | None) -> dict[str, Any]:
    if not select_:
        return item
    wanted = [f.strip() for f in select_.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in item]
    if unknown:
        raise HTTPException(400, f"$select: unknown field(s) {', '.join(unknown)}")
    return {f: item[f] for f in wanted}


_FILTER_CLAUSE = re.compile(r"^\s*(\w+)\s+(eq|ne|gt|ge|lt|le)\s+(.+?)\s*$", re.IGNORECASE)
_COLUMNS: dict[str, Any] = {
    "id": Ticket.id,
    "lastUpdate": Ticket.last_update,
    "createdDate": Ticket.created_date,
    "status": Ticket.status,
    "subject": Ticket.subject,
}


def _filter_value(field: str, raw: str) -> Any:
    if field == "id":
        try:
            return int(raw)
        except ValueError as exc:
            raise HTTPException(400, f"$filter: id needs a number, got {raw!r}") from exc
    if field in ("lastUpdate", "createdDate"):
        return parse_datetime(raw)
    if len(raw) < 2 or raw[0] != "'" or raw[-1] != "'":
        raise HTTPException(400, f"$filter: {field} needs a quoted string, got {raw}")
    return raw[1:-1].replace("''", "'")


def parse_filter(text: str) -> list[ColumnElement[bool]]:
    """OData subset: clauses joined by ``and``."""
    conditions: list[ColumnElement[bool]] = []
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _FILTER_CLAUSE.match(clause)
        if not match or match.group(1) not in _COLUMNS:
            raise HTTPException(
                400,
                f"$filter: unsupported clause {clause!r}; use "
                f"<{'|'.join(_COLUMNS)}> <eq|ne|gt|ge|lt|le> <value>",
            )
        field, op, raw = match.group(1), match.group(2).lower(), match.group(3)
        column, value = _COLUMNS[field], _filter_value(field, raw)
        conditions.append(
            {
                "eq": column == value,
                "ne": column != value,
                "gt": column > value,
                "ge": column >= value,
                "lt": column < value,
                "le": column <= value,
            }[op]
        )
    return conditions


def parse_orderby(text: str) -> list[Any]:
    order: list[Any] = []
    for part in text.split(","):
        words = part.split()
        if (
            not words
            or words[0] not in _COLUMNS
            or len(words) > 2
            or (len(words) == 2 and words[1].lower() not in ("asc", "desc"))
        ):
            raise HTTPException(400, f"$orderby: unsupported {part.strip()!r}")
        column = _COLUMNS[words[0]]
        order.append(
            column.desc() if len(words) == 2 and words[1].lower() == "desc" else column.asc()
        )
    return order


def _person(session: Session, ref: PersonRef | None) -> Person | None:
    if ref is None:
        return None
    person = session.get(Person, int(ref.id)) if ref.id.isdigit() else None
    if person is None:
        raise HTTPException(400, f"unknown person id {ref.id!r}")
    return person


def _add_actions(session: Session, ticket: Ticket, actions: list[ActionIn]) -> int:
    """Append new actions; skip ones whose session marker the ticket already has."""
    seen = {a.session_ref for a in ticket.actions if a.session_ref}
    added = 0
    for item in actions:
        if item.id is not None:
            continue  # an existing action echoed back: Movidesk keeps it as is
        marker = SESSION_MARKER_RE.search(item.description)
        ref = marker.group(1) if marker else None
        if ref is not None and ref in seen:
            continue
        created = parse_datetime(item.createdDate) if item.createdDate else utcnow()
        appointments = [
            {"id": i + 1, **a.model_dump(exclude_none=True)}
            for i, a in enumerate(item.timeAppointments)
        ]
        ticket.actions.append(
            TicketAction(
                number=len(ticket.actions) + 1,
                type=item.type,
                origin=item.origin,
                description=item.description,
                created_by=_person(session, item.createdBy),
                created_date=created,
                time_appointments=appointments,
                session_ref=ref,
            )
        )
        if ref is not None:
            seen.add(ref)
        added += 1
    return added


@router.get("/tickets", dependencies=[Authorized], response_model=None)
def get_tickets(
    session: Db,
    id: int | None = None,
    select_: Annotated[str | None, Query(alias="$select")] = None,
    filter_: Annotated[str | None, Query(alias="$filter")] = None,
    orderby: Annotated[str | None, Query(alias="$orderby")] = None,
    top: Annotated[int, Query(alias="$top", ge=0, le=MAX_TOP)] = 100,
    skip: Annotated[int, Query(alias="$skip", ge=0)] = 0,
    expand: Annotated[str | None, Query(alias="$expand")] = None,
) -> dict[str, Any] | list[dict[str, Any]]:
    if id is not None:
        ticket = session.get(Ticket, id)
        if ticket is None:
            raise HTTPException(404, f"no ticket {id}")
        return select_fields(ticket_json(ticket), select_)
    query = select(Ticket)
    if filter_:
        query = query.where(*parse_filter(filter_))
    query = query.order_by(*(parse_orderby(orderby) if orderby else [Ticket.id.asc()]))
    tickets = session.scalars(query.offset(skip).limit(top)).all()
    return [select_fields(ticket_json(t), select_) for t in tickets]


@router.post("/tickets", dependencies=[Authorized])
def create_ticket(body: TicketIn, session: Db) -> dict[str, Any]:
    now = utcnow()
    ticket = Ticket(
        subject=body.subject,
        type=body.type,
        origin=body.origin,
        status=body.status or "Novo",
        created_by=_person(session, body.createdBy),
        owner=_person(session, body.owner),
        created_date=now,
        last_update=now,
        clients=[p for p in (_person(session, c) for c in body.clients) if p],
    )
    session.add(ticket)
    _add_actions(session, ticket, body.actions)
    session.commit()
    return {"id": ticket.id}


@router.patch("/tickets", dependencies=[Authorized])
def patch_ticket(body: TicketPatch, session: Db, id: int) -> dict[str, Any]:
    ticket = session.get(Ticket, id)
    if ticket is None:
        raise HTTPException(404, f"no ticket {id}")
    if body.subject is not None:
        ticket.subject = body.subject
    if body.status is not None:
        ticket.status = body.status
    if body.owner is not None:
        ticket.owner = _person(session, body.owner)
    added = _add_actions(session, ticket, body.actions)
    if added or body.model_fields_set - {"actions"}:
        ticket.last_update = utcnow()
    session.commit()
    return {"id": ticket.id, "actionsAdded": added}


@router.get("/persons", dependencies=[Authorized], response_model=None)
def get_persons(
    session: Db,
    id: str | None = None,
    top: Annotated[int, Query(alias="$top", ge=0, le=MAX_TOP)] = 100,
    skip: Annotated[int, Query(alias="$skip", ge=0)] = 0,
) -> dict[str, Any] | list[dict[str, Any] | None]:
    if id is not None:
        person = session.get(Person, int(id)) if id.isdigit() else None
        if person is None:
            raise HTTPException(404, f"no person {id}")
        return person_json(person) or {}
    persons = session.scalars(select(Person).order_by(Person.id).offset(skip).limit(top))
    return [person_json(p) for p in persons]
