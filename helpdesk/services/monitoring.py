"""The console's monitoring screen: waiting customers (one page at a time), sessions in
progress, indicators with a 30-day series, and a cheap fingerprint that tells the live
stream when any of it changed.

The waiting table is **paginated** (``PAGE_SIZE`` rows, longest waiting first): the
first paint and each live update render one page whatever the queue's length, so with
2,000 customers waiting the server time stays flat (bench/console.py measures it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from helpdesk.clock import day_start, desk_date
from helpdesk.lifecycle import OPEN_STATES
from helpdesk.models import Presence, RemoteSession, User
from helpdesk.services.apps import (
    InProgress,
    Membership,
    Waiting,
    in_progress,
    in_progress_count,
    queue,
)
from helpdesk.services.indicators import indicators
from helpdesk.services.presence import waiting_clause
from helpdesk.settings import Settings

PAGE_SIZE = 50
CHART_DAYS = 30


@dataclass
class Board:
    membership: Membership
    waiting: list[Waiting]
    waiting_total: int
    page: int
    pages: int
    sessions: list[InProgress]
    sessions_total: int
    """All of them: ``sessions`` stops at ``apps.MAX_IN_PROGRESS``."""
    indicators: dict[str, Any] | None = None
    """Administrators only, like the customers' IDs and passwords."""
    daily: list[tuple[str, int]] = field(default_factory=list)


def board(db: Db, settings: Settings, membership: Membership, user: User, page: int = 1) -> Board:
    """What ``membership``'s user may see; agents get no credentials and no indicators."""
    now = settings.clock.now()
    app_id = membership.app.id
    total = (
        db.scalar(select(func.count(Presence.id)).where(waiting_clause(app_id, now, settings))) or 0
    )
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    waiting = queue(db, settings, membership, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    sessions = in_progress(db, settings, app_id, user)
    found = Board(membership, waiting, total, page, pages, sessions, in_progress_count(db, app_id))
    if membership.admin:
        found.indicators = indicators(db, settings, app_id)
        found.daily = daily_sessions(db, settings, app_id, now)
    return found


def daily_sessions(db: Db, settings: Settings, app_id: str, now: datetime) -> list[tuple[str, int]]:
    """Sessions that connected, per day of the desk's calendar (``Settings.time_zone``),
    over the last ``CHART_DAYS`` days, oldest first, today last."""
    zone = settings.zone
    first = day_start(now, zone, CHART_DAYS - 1)
    counts: dict[str, int] = {}
    for (connected_at,) in db.execute(
        select(RemoteSession.connected_at).where(
            RemoteSession.app_id == app_id, RemoteSession.connected_at >= first
        )
    ):
        if connected_at is None:  # (the query has none: for the type)
            continue
        day = desk_date(connected_at, zone).isoformat()
        counts[day] = counts.get(day, 0) + 1
    today = desk_date(now, zone)
    days = [(today - timedelta(days=n)).isoformat() for n in range(CHART_DAYS - 1, -1, -1)]
    return [(day, counts.get(day, 0)) for day in days]


def fingerprint(db: Db, settings: Settings, app_id: str) -> tuple[Any, ...]:
    """Changes whenever a customer joins, leaves or lapses, or a session starts or ends
    (two aggregate queries, no rows)."""
    now = settings.clock.now()
    waiting = db.execute(
        select(
            func.count(Presence.id), func.sum(Presence.id), func.max(Presence.waiting_since)
        ).where(waiting_clause(app_id, now, settings))
    ).one()
    sessions = db.execute(  # offered ones too: they are listed, "connecting"
        select(
            func.count(RemoteSession.id),
            func.max(RemoteSession.offered_at),
            func.max(RemoteSession.connected_at),
        ).where(RemoteSession.app_id == app_id, RemoteSession.state.in_(OPEN_STATES))
    ).one()
    return (*waiting, *sessions)
