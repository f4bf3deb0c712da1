"""``/public/v1``: tickets and persons in Movidesk's public API v1 shape (see
``helpdesk.services.tickets``), authorized by the ``token`` query parameter or, without
one, by the agent app's login (``Authorization: Bearer``), each seeing only its scope
(``helpdesk.services.api_tokens``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from helpdesk.deps import AppSettings, Authorization, Db
from helpdesk.errors import BadQuery
from helpdesk.inputs import Id
from helpdesk.models import Person, Ticket, TicketAction
from helpdesk.services import tickets
from helpdesk.services.api_tokens import STAFF, Scope
from helpdesk.services.tickets import MAX_TOP, TicketIn, TicketPatch
from remotewire.error_codes import ErrorCode


def check_token(
    db: Db,
    settings: AppSettings,
    token: Annotated[str | None, Query()] = None,
    authorization: Authorization = None,
) -> Scope:
    return tickets.check_token(db, settings, token, authorization)


TokenScope = Annotated[Scope, Depends(check_token)]
router = APIRouter(prefix="/public/v1", tags=["tickets"])


def fmt(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def person_json(person: Person | None, scope: Scope) -> dict[str, Any] | None:
    if person is None:
        return None
    hidden = scope.hides_staff_email and person.profile_type == STAFF
    return {
        "id": str(person.id),
        "personType": 1,
        "profileType": person.profile_type,
        "businessName": person.business_name,
        "email": None if hidden else person.email,
        "phone": person.phone,
        "organization": {"businessName": person.organization} if person.organization else None,
        "classification": person.classification,
    }


def action_json(action: TicketAction, scope: Scope) -> dict[str, Any]:
    return {
        "id": action.number,
        "type": action.type,
        "origin": action.origin,
        "description": action.description,
        "createdBy": person_json(action.created_by, scope),
        "createdDate": fmt(action.created_date),
        "timeAppointments": action.time_appointments,
    }


def ticket_json(ticket: Ticket, scope: Scope) -> dict[str, Any]:
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
        "owner": person_json(ticket.owner, scope),
        "createdBy": person_json(ticket.created_by, scope),
        "clients": [person_json(c, scope) for c in ticket.clients],
        "actions": [action_json(a, scope) for a in ticket.actions],
    }


def select_fields(item: dict[str, Any], select_: str | None) -> dict[str, Any]:
    """``$select``: only the named fields of the answer."""
    if not select_:
        return item
    wanted = [f.strip() for f in select_.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in item]
    if unknown:
        raise BadQuery(ErrorCode.BAD_QUERY, f"$select: unknown field(s) {', '.join(unknown)}")
    return {f: item[f] for f in wanted}


@router.get("/tickets", response_model=None)
def get_tickets(
    db: Db,
    scope: TokenScope,
    id: Id | None = None,
    select_: Annotated[str | None, Query(alias="$select")] = None,
    filter_: Annotated[str | None, Query(alias="$filter")] = None,
    orderby: Annotated[str | None, Query(alias="$orderby")] = None,
    top: Annotated[int, Query(alias="$top", ge=0, le=MAX_TOP)] = 100,
    skip: Annotated[Id, Query(alias="$skip")] = 0,
    expand: Annotated[str | None, Query(alias="$expand")] = None,
) -> dict[str, Any] | list[dict[str, Any]]:
    if id is not None:
        return select_fields(ticket_json(tickets.get_ticket(db, id, scope), scope), select_)
    found = tickets.list_tickets(db, filter_, orderby, top, skip, scope)
    return [select_fields(ticket_json(t, scope), select_) for t in found]


@router.post("/tickets")
def create_ticket(
    body: TicketIn, db: Db, settings: AppSettings, scope: TokenScope
) -> dict[str, Any]:
    return {"id": tickets.create_ticket(db, settings, body, scope).id}


@router.patch("/tickets")
def patch_ticket(
    body: TicketPatch, db: Db, settings: AppSettings, scope: TokenScope, id: Id
) -> dict[str, Any]:
    added = tickets.patch_ticket(db, settings, id, body, scope)
    return {"id": id, "actionsAdded": added}


@router.get("/persons", response_model=None)
def get_persons(
    db: Db,
    scope: TokenScope,
    id: str | None = None,
    top: Annotated[int, Query(alias="$top", ge=0, le=MAX_TOP)] = 100,
    skip: Annotated[Id, Query(alias="$skip")] = 0,
) -> dict[str, Any] | list[dict[str, Any] | None]:
    if id is not None:
        return person_json(tickets.get_person(db, id, scope), scope) or {}
    return [person_json(p, scope) for p in tickets.list_persons(db, top, skip, scope)]
