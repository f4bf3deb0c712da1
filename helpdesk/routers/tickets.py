"""``/public/v1``: tickets and persons in Movidesk's public API v1 shape (see
``helpdesk.services.tickets``), authorized by the ``token`` query parameter or, without
one, by the agent app's login (``Authorization: Bearer``), each seeing only its scope
(``helpdesk.services.api_tokens``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from helpdesk.deps import AppSettings, Authorization, Db
from helpdesk.inputs import Id
from helpdesk.services import ticket_answers, tickets
from helpdesk.services.api_tokens import Scope
from helpdesk.services.ticket_answers import PERSON, TICKET, parse_shape, person_json, ticket_json
from helpdesk.services.tickets import MAX_TOP, TicketIn, TicketPatch


def check_token(
    db: Db,
    settings: AppSettings,
    token: Annotated[str | None, Query()] = None,
    authorization: Authorization = None,
) -> Scope:
    return tickets.check_token(db, settings, token, authorization)


TokenScope = Annotated[Scope, Depends(check_token)]
router = APIRouter(prefix="/public/v1", tags=["tickets"])


def takes(*names: str) -> Any:
    """The query parameters a route takes (``token`` besides): any other is refused with
    400 ``bad-query``, never ignored (``helpdesk.services.ticket_answers.check_params``)."""
    allowed = ("token", *names)

    def check(request: Request) -> None:
        ticket_answers.check_params(request.query_params.keys(), allowed)

    return Depends(check)


_LIST = ("$select", "$filter", "$orderby", "$top", "$skip")
Select = Annotated[str | None, Query(alias="$select")]
Filter = Annotated[str | None, Query(alias="$filter")]
OrderBy = Annotated[str | None, Query(alias="$orderby")]
Top = Annotated[int, Query(alias="$top", ge=0, le=MAX_TOP)]
Skip = Annotated[Id, Query(alias="$skip")]
ReturnAll = Annotated[bool, Query(alias="returnAllProperties")]


@router.get("/tickets", response_model=None, dependencies=[takes("id", "$expand", *_LIST)])
def get_tickets(
    db: Db,
    scope: TokenScope,
    id: Id | None = None,
    select_: Select = None,
    filter_: Filter = None,
    orderby: OrderBy = None,
    top: Top = 100,
    skip: Skip = 0,
    expand: Annotated[str | None, Query(alias="$expand")] = None,
) -> dict[str, Any] | list[dict[str, Any]]:
    shape = parse_shape(TICKET, select_, expand)
    if id is not None:
        return ticket_json(tickets.get_ticket(db, id, scope), scope, shape)
    fields = shape.names(TICKET)
    found = tickets.list_tickets(db, filter_, orderby, top, skip, scope, fields)
    return [ticket_json(t, scope, shape) for t in found]


@router.post("/tickets", dependencies=[takes("returnAllProperties")])
def create_ticket(
    body: TicketIn, db: Db, settings: AppSettings, scope: TokenScope, return_all: ReturnAll = False
) -> dict[str, Any]:
    """``{id}``; with ``returnAllProperties=true`` the whole ticket, as Movidesk."""
    ticket = tickets.create_ticket(db, settings, body, scope)
    return ticket_json(ticket, scope) if return_all else {"id": ticket.id}


@router.patch("/tickets", dependencies=[takes("id", "returnAllProperties")])
def patch_ticket(
    body: TicketPatch,
    db: Db,
    settings: AppSettings,
    scope: TokenScope,
    id: Id,
    return_all: ReturnAll = False,
) -> dict[str, Any]:
    """``{id, actionsAdded}``; with ``returnAllProperties=true`` the whole ticket."""
    added = tickets.patch_ticket(db, settings, id, body, scope)
    if return_all:
        return ticket_json(tickets.get_ticket(db, id, scope), scope)
    return {"id": id, "actionsAdded": added}


@router.get("/persons", response_model=None, dependencies=[takes("id", *_LIST)])
def get_persons(
    db: Db,
    scope: TokenScope,
    id: str | None = None,
    select_: Select = None,
    filter_: Filter = None,
    orderby: OrderBy = None,
    top: Top = 100,
    skip: Skip = 0,
) -> Any:
    shape = parse_shape(PERSON, select_, None)
    if id is not None:
        return person_json(tickets.get_person(db, id, scope), scope, shape)
    found = tickets.list_persons(db, filter_, orderby, top, skip, scope)
    return [person_json(p, scope, shape) for p in found]
