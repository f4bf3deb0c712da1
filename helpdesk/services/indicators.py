"""Indicators of a remote app for its administrators."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from helpdesk.lifecycle import State
from helpdesk.models import Presence, RemoteSession
from helpdesk.services.presence import waiting_clause
from helpdesk.settings import Settings


def indicators(db: Db, settings: Settings, app_id: str) -> dict[str, Any]:
    """Computed in Python over the last 7 days: fine for one helpdesk's volume."""
    now = settings.clock.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = db.scalars(
        select(RemoteSession).where(
            RemoteSession.app_id == app_id, RemoteSession.offered_at >= now - timedelta(days=7)
        )
    ).all()
    served = [s for s in week if s.connected_at is not None]
    durations = [
        ((s.ended_at or now) - s.connected_at).total_seconds()
        for s in served
        if s.connected_at is not None
    ]
    waits = [
        (s.connected_at - s.waiting_since).total_seconds()
        for s in served
        if s.connected_at is not None
    ]
    return {
        "sessions_today": sum(1 for s in served if s.offered_at >= today),
        "sessions_7_days": len(served),
        "average_duration_s": round(sum(durations) / len(durations), 1) if durations else 0.0,
        "total_duration_s": round(sum(durations), 1),
        "average_queue_wait_s": round(sum(waits) / len(waits), 1) if waits else 0.0,
        "sessions_per_agent": dict(Counter(s.agent.name for s in served)),
        "customers_waiting": db.scalar(
            select(func.count(Presence.id)).where(waiting_clause(app_id, now, settings))
        ),
        "sessions_in_progress": sum(1 for s in week if s.state == State.CONNECTED.value),
    }
