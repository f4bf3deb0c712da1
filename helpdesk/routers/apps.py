"""``/api/apps/{app_id}``: the public profile, and for the app's people the queue, the
sessions in progress and (administrators) the indicators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter

from helpdesk.deps import AppSettings, CurrentUser, Db
from helpdesk.services import apps
from helpdesk.services.indicators import indicators as app_indicators

router = APIRouter(prefix="/api/apps", tags=["apps"])


def iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


@router.get("/{app_id}")
def app_profile(app_id: str, db: Db) -> dict[str, Any]:
    """Public: the customer app needs its fields and appearance before anyone logs in."""
    app = apps.get_app(db, app_id)
    return {
        "id": app.id,
        "name": app.name,
        "fields": app.fields,
        "appearance": {"title": app.title, "logo": app.logo},
    }


@router.get("/{app_id}/queue")
def queue(app_id: str, user: CurrentUser, db: Db, settings: AppSettings) -> dict[str, Any]:
    membership = apps.member_app(db, app_id, user)
    rows = []
    for w in apps.queue(db, settings, membership):
        row: dict[str, Any] = {
            "name": w.name,
            "organization": w.organization,
            "classification": w.classification,
            "waiting_since": iso(w.waiting_since),
            "waiting_s": w.waiting_s,
            "queue_ref": w.queue_ref,
        }
        if w.credentials is not None:
            row.update(partner_id=w.credentials[0], password=w.credentials[1])
        rows.append(row)
    return {"app_id": app_id, "waiting": rows}


@router.get("/{app_id}/sessions")
def in_progress(app_id: str, user: CurrentUser, db: Db, settings: AppSettings) -> dict[str, Any]:
    """Sessions in progress on the app, for its agents and administrators to follow."""
    apps.member_app(db, app_id, user)
    return {
        "app_id": app_id,
        "sessions": [
            {
                "session_id": s.session_id,
                "agent": s.agent,
                "mine": s.mine,
                "customer": s.customer,
                "organization": s.organization,
                "connected_at": None if s.connecting else iso(s.connected_at),
                "duration_s": s.duration_s,
                "connecting": s.connecting,
            }
            for s in apps.in_progress(db, settings, app_id, user)
        ],
    }


@router.get("/{app_id}/indicators")
def indicators(app_id: str, user: CurrentUser, db: Db, settings: AppSettings) -> dict[str, Any]:
    apps.admin_app(db, app_id, user)
    return app_indicators(db, settings, app_id)
