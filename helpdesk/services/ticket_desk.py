"""Tickets as the console shows them: the list, one ticket with its actions and time
appointments, adding an action, and the requester's remote-access state (online in a
remote app whose agent the user is, or offline with "Notify me when online")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from helpdesk.console.i18n import N_
from helpdesk.errors import InvalidInput, NotFound
from helpdesk.inputs import parse_id
from helpdesk.lifecycle import OPEN_STATES
from helpdesk.models import (
    OnlineWatch,
    Person,
    Presence,
    RemoteApp,
    RemoteSession,
    Ticket,
    TicketAction,
    User,
)
from helpdesk.services.tickets import lock_for_actions
from helpdesk.settings import Settings
from remotewire.constants import REMOTE_ACCESS_ORIGIN
from remotewire.error_codes import ErrorCode

PAGE_SIZE = 50
MAX_ACTION = 20_000


@dataclass(frozen=True, slots=True)
class RemoteState:
    """The ticket requester as the remote-access icon shows them to this user."""

    person: Person
    online: bool
    queue_ref: str | None
    app_id: str | None
    """The app the requester is online in (one the user is an agent of), else their last."""
    can_connect: bool
    watching: bool


def list_tickets(db: Db, page: int = 1) -> tuple[list[Ticket], int]:
    total = db.scalar(select(func.count(Ticket.id))) or 0
    found = db.scalars(
        select(Ticket)
        .order_by(Ticket.last_update.desc(), Ticket.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(1, page) - 1) * PAGE_SIZE)
    )
    return list(found), total


def get(db: Db, ticket_id: int) -> Ticket:
    ticket = db.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(ErrorCode.UNKNOWN_TICKET, N_("No such ticket."))
    return ticket


def add_action(
    db: Db, settings: Settings, ticket: Ticket, user: User, text: str, minutes: str
) -> TicketAction:
    """A public action by the user, with an optional time appointment in minutes."""
    text = text.strip()
    if not text:
        raise InvalidInput(ErrorCode.INVALID_INPUT, N_("Write the action's text."))
    if len(text) > MAX_ACTION:
        raise InvalidInput(ErrorCode.INVALID_INPUT, N_("The action is too long."))
    appointments = []
    if minutes.strip():
        spent = parse_id(minutes.strip())
        if spent is None or not 0 < spent <= 24 * 60:
            raise InvalidInput(
                ErrorCode.INVALID_INPUT, N_("Time spent is a number of minutes (1 to 1440).")
            )
        now = settings.clock.now()
        start = now - timedelta(minutes=spent)
        appointments.append(
            {
                "date": now.date().isoformat(),
                "periodStart": start.time().isoformat(timespec="seconds"),
                "periodEnd": now.time().isoformat(timespec="seconds"),
                "workTime": f"{spent // 60:02d}:{spent % 60:02d}:00",
            }
        )
    now = settings.clock.now()
    last, _ = lock_for_actions(db, ticket)  # atomic numbering under concurrent appends
    action = TicketAction(
        number=last + 1,
        type=2,
        origin=9,
        description=text,
        created_by=user.person,
        created_date=now,
        time_appointments=appointments,
    )
    ticket.actions.append(action)
    ticket.last_update = now
    db.commit()
    return action


def is_remote_action(action: TicketAction) -> bool:
    return action.origin == REMOTE_ACCESS_ORIGIN


def remote_state(db: Db, settings: Settings, user: User, person: Person) -> RemoteState:
    now = settings.clock.now()
    fresh = now - timedelta(seconds=settings.presence_lapse_s)
    busy = select(RemoteSession.presence_id).where(RemoteSession.state.in_(OPEN_STATES))
    presences = list(
        db.scalars(
            select(Presence)
            .where(Presence.person_id == person.id)
            .order_by(Presence.last_seen.desc())
        )
    )
    online = [p for p in presences if p.last_seen >= fresh]
    busy_ids = set(db.scalars(busy)) if online else set()
    agent_of = {a.id for a in db.scalars(select(RemoteApp).where(RemoteApp.agents.contains(user)))}
    chosen = next((p for p in online if p.app_id in agent_of and p.id not in busy_ids), None)
    chosen = chosen or (online[0] if online else None)
    watching = db.get(OnlineWatch, (user.id, person.id)) is not None
    return RemoteState(
        person=person,
        online=chosen is not None,
        queue_ref=f"q{chosen.id}" if chosen is not None else None,
        app_id=chosen.app_id
        if chosen is not None
        else (presences[0].app_id if presences else None),
        can_connect=chosen is not None and chosen.app_id in agent_of,
        watching=watching,
    )


def requester(ticket: Ticket) -> Person | None:
    return ticket.clients[0] if ticket.clients else ticket.created_by


def last_update(ticket: Ticket) -> datetime:
    return ticket.last_update
