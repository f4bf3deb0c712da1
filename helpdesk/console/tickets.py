"""Tickets: the list, a ticket page (actions, time appointments, add an action), and the
requester's remote-access icon (online badge + Connect; for an agent, when the client is
offline, the icon opens a menu: Notify me when the customer is available for connection,
Send the download link, which goes into the action being typed). Connect opens the
desktop app through a ``remoteapp://`` link."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from helpdesk.console import bounds
from helpdesk.console.apps import download_url
from helpdesk.console.auth import ConsoleDb, ConsoleUser, refused_form_user
from helpdesk.console.forms import Refused, field_labels, refills
from helpdesk.console.i18n import N_
from helpdesk.console.web import PREFIX, ConsoleRoute, gettext_for, render
from helpdesk.errors import InvalidInput, NotAllowed, NotFound
from helpdesk.inputs import Id, parse_id
from helpdesk.services import connect_codes, online_watch, ticket_desk
from helpdesk.services.presence import by_queue_ref
from remotewire.connect_codes import build_link
from remotewire.error_codes import ErrorCode

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
NOT_WAITING = N_("This customer is no longer waiting for a connection.")
"""An unknown queue reference: most often a customer who closed the app since the page
was drawn (also the copy icon's refusal, helpdesk.console.monitoring)."""


@router.get("/tickets")
def ticket_list(user: ConsoleUser, request: Request, db: ConsoleDb, page: Id = 1) -> Response:
    found, total = ticket_desk.list_tickets(db, page)
    return render(
        request,
        "tickets/list.html",
        {"tickets": found, "total": total, "page": page, "requester": ticket_desk.requester},
    )


def _download_link(request: Request, remote: ticket_desk.RemoteState | None) -> str | None:
    """What the icon's "Send the download link" inserts: the download page of the app the
    requester last used, else of the first app the user is an agent of (None: not an
    agent, so the icon offers no link)."""
    if not request.state.nav.agent:
        return None
    if remote is not None and remote.app_id:
        return download_url(request, remote.app_id)
    first = next((m.app.id for m in request.state.nav.member_of if m.agent), None)
    return download_url(request, first) if first else None


def _ticket_page(
    request: Request,
    db: ConsoleDb,
    user: ConsoleUser,
    ticket_id: int,
    *,
    text: str = "",
    minutes: str = "",
    error: str | None = None,
    status: int = 200,
    refused: Mapping[str, str] | None = None,
) -> Response:
    ticket = ticket_desk.get(db, ticket_id)
    person = ticket_desk.requester(ticket)
    remote = (
        ticket_desk.remote_state(db, request.app.state.settings, user, person) if person else None
    )
    return render(
        request,
        "tickets/page.html",
        {
            "ticket": ticket,
            "person": person,
            "remote": remote,
            "agent": request.state.nav.agent,
            "download_link": _download_link(request, remote),
            "text": text,
            "minutes": minutes,
            "error": error,
            "is_remote": ticket_desk.is_remote_action,
            "refused": refused or {},
        },
        status_code=status,
    )


@router.get("/tickets/{ticket_id}")
def ticket_page(user: ConsoleUser, request: Request, db: ConsoleDb, ticket_id: Id) -> Response:
    return _ticket_page(request, db, user, ticket_id)


def _lines(text: str) -> str:
    """A textarea's text as typed: the browser sends each line break as CRLF but counts
    it as one character against the field's ``maxlength`` (``bounds.ACTION``)."""
    return text.replace("\r\n", "\n")


def _action_refill(request: Request, refused: Refused) -> Response:
    user, db = refused_form_user(request)
    ticket_id = parse_id(str(request.path_params.get("ticket_id", "")))
    if ticket_id is None:  # (validated already: a refused address is not refilled)
        raise NotFound(ErrorCode.UNKNOWN_TICKET, N_("No such ticket."))
    return _ticket_page(
        request,
        db,
        user,
        ticket_id,
        text=_lines(refused.text("text")),
        minutes=refused.text("minutes"),
        status=422,
        refused=refused.fields,
    )


@router.post("/tickets/{ticket_id}/actions")
@field_labels(text=N_("Action"), minutes=N_("Time spent (minutes)"))
@refills(_action_refill)
def add_action(
    user: ConsoleUser,
    request: Request,
    db: ConsoleDb,
    ticket_id: Id,
    text: Annotated[str, Form(max_length=bounds.ACTION_RAW)] = "",
    minutes: Annotated[str, Form(max_length=bounds.MINUTES)] = "",
) -> Response:
    text = _lines(text)
    ticket = ticket_desk.get(db, ticket_id)
    try:
        ticket_desk.add_action(db, request.app.state.settings, ticket, user, text, minutes)
    except InvalidInput as exc:
        db.rollback()
        return _ticket_page(
            request,
            db,
            user,
            ticket_id,
            text=text,
            minutes=minutes,
            error=gettext_for(request)(exc.message),
            status=422,
        )
    return RedirectResponse(f"{PREFIX}/tickets/{ticket_id}#actions", status_code=303)


@router.get("/tickets/{ticket_id}/remote")
def remote_icon(user: ConsoleUser, request: Request, db: ConsoleDb, ticket_id: Id) -> Response:
    """The requester's remote-access block alone (polled by htmx on the ticket page)."""
    ticket = ticket_desk.get(db, ticket_id)
    person = ticket_desk.requester(ticket)
    if person is None:
        raise NotFound(ErrorCode.UNKNOWN_PERSON, N_("This ticket has no requester."))
    remote = ticket_desk.remote_state(db, request.app.state.settings, user, person)
    return render(
        request,
        "tickets/_remote.html",
        {
            "ticket": ticket,
            "remote": remote,
            "agent": request.state.nav.agent,
            "download_link": _download_link(request, remote),
        },
    )


@router.post("/watch/{person_id}")
def watch(
    user: ConsoleUser,
    request: Request,
    db: ConsoleDb,
    person_id: Id,
    ticket: Annotated[Id, Form()] = 0,
) -> Response:
    online_watch.watch(db, request.app.state.settings, user.id, person_id)
    if request.headers.get("hx-request") == "true":
        return remote_icon(user, request, db, ticket)
    return RedirectResponse(f"{PREFIX}/tickets/{ticket}", status_code=303)


@router.get("/connect/{queue_ref}")
def connect(
    user: ConsoleUser, request: Request, db: ConsoleDb, queue_ref: str, ticket: Id | None = None
) -> Response:
    """Open the agent's desktop app on this customer (``remoteapp://connect?...``), with
    a connect code, so no password is asked, and the ticket preselected when given."""
    presence = by_queue_ref(db, queue_ref)
    if presence is None:
        raise NotFound(ErrorCode.UNKNOWN_PERSON, NOT_WAITING)
    if user not in presence.app.agents:
        raise NotAllowed(
            ErrorCode.NOT_APP_AGENT, N_("Only the app's agents can connect to its customers.")
        )
    code = connect_codes.issue(request.app.state.settings, user, presence)
    link = build_link(str(request.base_url), presence.app_id, code, ticket)
    return RedirectResponse(link, status_code=303)
