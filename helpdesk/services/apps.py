"""Remote apps as their agents and administrators see them: memberships, the queue of
waiting customers, the sessions in progress.

Refusals carry console messages (``N_``): the console shows them translated, the API as
its English ``detail`` next to the stable ``code``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from helpdesk.console.i18n import N_
from helpdesk.errors import NotAllowed, NotFound
from helpdesk.lifecycle import OPEN_STATES, State
from helpdesk.models import Person, Presence, RemoteApp, RemoteSession, User
from helpdesk.services.presence import waiting_clause
from helpdesk.settings import Settings
from remotewire.error_codes import ErrorCode

MAX_IN_PROGRESS = 500


@dataclass(frozen=True, slots=True)
class Membership:
    app: RemoteApp
    agent: bool
    admin: bool


@dataclass(frozen=True, slots=True)
class Waiting:
    queue_ref: str
    name: str
    organization: str | None
    classification: str | None
    waiting_since: datetime
    waiting_s: int
    credentials: tuple[str, str] | None
    """(partner ID, password): for the app's administrators only."""


@dataclass(frozen=True, slots=True)
class InProgress:
    session_id: str
    agent: str
    mine: bool
    customer: str
    organization: str | None
    connected_at: datetime
    """When it connected; an offered (``connecting``) one's: when it was offered."""
    duration_s: int
    connecting: bool = False
    """Offered, the relay has not paired both sides yet (the customer has left the
    queue: without this it was in neither list for up to the offer's lifetime)."""


def get_app(db: Db, app_id: str) -> RemoteApp:
    app = db.get(RemoteApp, app_id)
    if app is None:
        raise NotFound(ErrorCode.UNKNOWN_APP, N_("No such remote-access app."))
    return app


def memberships(db: Db, user: User) -> list[Membership]:
    found = [
        Membership(a, user in a.agents, user in a.admins) for a in db.scalars(select(RemoteApp))
    ]
    return [m for m in found if m.agent or m.admin]


def member_app(db: Db, app_id: str, user: User) -> Membership:
    """The app, for one of its agents or administrators only."""
    app = get_app(db, app_id)
    membership = Membership(app, user in app.agents, user in app.admins)
    if not (membership.agent or membership.admin):
        raise NotAllowed(
            ErrorCode.NOT_APP_MEMBER,
            N_("You are neither an agent nor an administrator of this app."),
        )
    return membership


def admin_app(db: Db, app_id: str, user: User) -> RemoteApp:
    app = get_app(db, app_id)
    if user not in app.admins:
        raise NotAllowed(
            ErrorCode.NOT_APP_ADMIN, N_("The indicators are for this app's administrators.")
        )
    return app


def queue(
    db: Db,
    settings: Settings,
    membership: Membership,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[Waiting]:
    """Waiting customers, longest waiting first (a page of them with ``limit``); the
    customers' IDs and passwords for administrators only."""
    now = settings.clock.now()
    # plain columns, one query: building ORM objects (and loading each person apart)
    # was most of the cost of a long queue listed every few seconds by every agent
    found = db.execute(
        select(
            Presence.id,
            Presence.filled,
            Presence.waiting_since,
            Presence.partner_id,
            Presence.password,
            Person.business_name,
        )
        .outerjoin(Person, Presence.person_id == Person.id)
        .where(waiting_clause(membership.app.id, now, settings))
        .order_by(Presence.waiting_since, Presence.id)
        .limit(limit)
        .offset(offset)
    )
    rows = []
    for p in found:
        filled = p.filled or {}
        rows.append(
            Waiting(
                queue_ref=f"q{p.id}",
                name=str(filled.get("name") or p.business_name or ""),
                # what the customer typed: the client record found by the typed email is
                # an unverified link, so its organization/classification are not shown
                organization=filled.get("organization") or None,
                classification=None,
                waiting_since=p.waiting_since,
                waiting_s=int((now - p.waiting_since).total_seconds()),
                credentials=(p.partner_id, p.password) if membership.admin else None,
            )
        )
    return rows


def in_progress_count(db: Db, app_id: str) -> int:
    """Every open session of the app (``in_progress`` lists ``MAX_IN_PROGRESS``)."""
    return (
        db.scalar(
            select(func.count(RemoteSession.id)).where(
                RemoteSession.app_id == app_id, RemoteSession.state.in_(OPEN_STATES)
            )
        )
        or 0
    )


def in_progress(db: Db, settings: Settings, app_id: str, user: User) -> list[InProgress]:
    """Open sessions of the app, connected ones first and oldest first, then those still
    connecting; the caller's own marked."""
    now = settings.clock.now()
    found = db.execute(  # plain columns, one query (as the queue listing)
        select(
            RemoteSession.id,
            RemoteSession.agent_id,
            RemoteSession.connected_at,
            RemoteSession.offered_at,
            RemoteSession.state,
            User.name.label("agent"),
            Presence.filled,
            Person.business_name,
        )
        .join(User, RemoteSession.agent_id == User.id)
        .join(Presence, RemoteSession.presence_id == Presence.id)
        .outerjoin(Person, Presence.person_id == Person.id)
        .where(RemoteSession.app_id == app_id, RemoteSession.state.in_(OPEN_STATES))
        .order_by(RemoteSession.connected_at.is_(None), RemoteSession.connected_at)
        .order_by(RemoteSession.offered_at, RemoteSession.id)
        .limit(MAX_IN_PROGRESS)
    )
    rows = []
    for r in found:
        filled = r.filled or {}
        since = r.connected_at or r.offered_at
        rows.append(
            InProgress(
                session_id=r.id,
                agent=r.agent,
                mine=r.agent_id == user.id,
                customer=filled.get("name") or r.business_name or "",
                organization=filled.get("organization") or None,  # typed (as the queue)
                connected_at=since,
                duration_s=max(0, int((now - since).total_seconds())),
                connecting=r.state != State.CONNECTED.value,
            )
        )
    return rows
