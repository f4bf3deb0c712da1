"""``POST /relay/events``: the relay's reports (connected, ended, heartbeat)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from helpdesk.deps import AppSettings, Db
from helpdesk.services import relay_events

router = APIRouter(prefix="/relay", tags=["relay"])


class RelayEventIn(BaseModel):
    event: str
    relay_id: str
    session_id: str | None = None
    reason: str | None = None
    sessions: list[str] = Field(default_factory=list)


@router.post("/events")
def relay_event(
    body: RelayEventIn,
    db: Db,
    settings: AppSettings,
    x_relay_secret: Annotated[str | None, Header()] = None,
) -> dict[str, str]:
    relay_events.check_report_key(settings, x_relay_secret)
    relay_events.report(
        db,
        settings,
        event=body.event,
        relay_id=body.relay_id,
        session_id=body.session_id,
        reason=body.reason,
        running=body.sessions,
    )
    return {"status": "ok"}
