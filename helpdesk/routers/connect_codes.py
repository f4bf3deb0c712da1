"""``POST /api/sessions/by-code``: an agent connects with a connect code copied from the
console's monitoring page (helpdesk.services.connect_codes): no customer password."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from helpdesk.deps import AppNotifier, AppSettings, CurrentUser, Db, Limiter
from helpdesk.inputs import Input
from helpdesk.routers.sessions import grant_json
from helpdesk.services import connect_codes, sessions

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


class CodeIn(Input):
    code: str = Field(max_length=64)


@router.post("/by-code")
def connect_by_code(
    body: CodeIn,
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    limiter: Limiter,
    notifier: AppNotifier,
) -> dict[str, Any]:
    presence = connect_codes.redeem(db, settings, user, body.code)
    grant = sessions.connect(
        db, settings, limiter, notifier, user, queue_ref=f"q{presence.id}", by_code=True
    )
    return grant_json(grant)
