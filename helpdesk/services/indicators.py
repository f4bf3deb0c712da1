"""Indicators of a remote app for its administrators.

Days are the desk's (``Settings.time_zone``): "today" at 22:30 in São Paulo is not
tomorrow's UTC day. A session counts on the day and in the week it connected; its
duration counts once it has ended (an open one would move the mean while one watches).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from helpdesk.clock import day_start
from helpdesk.lifecycle import State
from helpdesk.models import Presence, RemoteSession, User
from helpdesk.services.presence import waiting_clause
from helpdesk.settings import Settings


def indicators(db: Db, settings: Settings, app_id: str) -> dict[str, Any]:
    """Plain columns of the week's connected sessions, one query (ORM objects and each
    agent loaded apart were most of a live page's time at a few thousand a week)."""
    now = settings.clock.now()
    today = day_start(now, settings.zone)
    week = db.execute(
        select(
            RemoteSession.connected_at,
            RemoteSession.ended_at,
            RemoteSession.waiting_since,
            RemoteSession.agent_id,
            User.name,
            User.email,
        )
        .join(User, RemoteSession.agent_id == User.id)
        .where(
            RemoteSession.app_id == app_id,
            RemoteSession.connected_at >= now - timedelta(days=7),
        )
    ).all()
    durations = [
        (s.ended_at - s.connected_at).total_seconds() for s in week if s.ended_at is not None
    ]
    waits = [max(0.0, (s.connected_at - s.waiting_since).total_seconds()) for s in week]
    in_progress = db.scalar(
        select(func.count(RemoteSession.id)).where(
            RemoteSession.app_id == app_id, RemoteSession.state == State.CONNECTED.value
        )
    )
    return {
        "sessions_today": sum(1 for s in week if s.connected_at >= today),
        "sessions_7_days": len(week),
        "average_duration_s": round(sum(durations) / len(durations), 1) if durations else None,
        "total_duration_s": round(sum(durations), 1),
        "average_queue_wait_s": round(sum(waits) / len(waits), 1) if waits else None,
        "sessions_per_agent": _per_agent(week),
        "customers_waiting": db.scalar(
            select(func.count(Presence.id)).where(waiting_clause(app_id, now, settings))
        ),
        "sessions_in_progress": in_progress or 0,
    }


def _per_agent(week: Sequence[Any]) -> dict[str, int]:
    """Sessions by agent, most first, each under a name read apart from the others': two
    agents of one name (the same person's name, or two Carlos Silvas) are two rows, named
    with their email."""
    counts = Counter(s.agent_id for s in week)
    names = {s.agent_id: (s.name, s.email) for s in week}
    homonyms = Counter(name for name, _ in names.values())
    shown = {
        agent: f"{name} ({email})" if homonyms[name] > 1 else name
        for agent, (name, email) in names.items()
    }
    ranked = sorted(counts.items(), key=lambda item: (-item[1], shown[item[0]].casefold()))
    return {shown[agent]: count for agent, count in ranked}
