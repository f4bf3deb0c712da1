"""``/api/presence``: customers register, long-poll for offers, leave. The agent app
registers its own presence here too, with the agent's bearer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from helpdesk.deps import (
    AppNotifier,
    AppSettings,
    Authorization,
    CurrentPresence,
    Db,
    DbFactory,
    Limiter,
    PresenceKey,
)
from helpdesk.inputs import Input
from helpdesk.routers.apps import iso
from helpdesk.routers.sessions import e2e_json
from helpdesk.services import auth, presence
from helpdesk.services.apps import get_app

router = APIRouter(prefix="/api/presence", tags=["customers"])


class RegisterIn(Input):
    app_id: str
    device_id: str = Field(min_length=8, max_length=128)
    fields: dict[str, str] = Field(default_factory=dict)
    custom: dict[str, str] = Field(default_factory=dict)


@router.post("")
def register(
    body: RegisterIn,
    db: Db,
    settings: AppSettings,
    limiter: Limiter,
    authorization: Authorization = None,
) -> dict[str, Any]:
    """Without ``Authorization`` a customer enters the queue. With it, the agent app
    registers the agent's own presence (kept out of the queue); a bearer that is not
    valid is refused (401), never taken for a customer's registration."""
    staff = auth.user_for_bearer(db, settings, authorization) if authorization else None
    app = get_app(db, body.app_id)
    customer, key = presence.register(
        db, settings, app, body.device_id, body.fields, body.custom, limiter, staff
    )
    return {
        "partner_id": customer.partner_id,
        "password": customer.password,
        "presence_key": key,
        "poll_wait_s": settings.poll_max_s,
        "lapse_s": settings.presence_lapse_s,
    }


@router.delete("/{partner_id}")
def leave(customer: CurrentPresence, db: Db, notifier: AppNotifier) -> None:
    """The customer app closes: leave the queue now rather than after the lapse."""
    presence.leave(db, notifier, customer)


@router.get("/{partner_id}/events")
async def poll(
    partner_id: str,
    db_factory: DbFactory,
    notifier: AppNotifier,
    settings: AppSettings,
    presence_key: PresenceKey = None,
    wait: Annotated[float, Query(ge=0)] = 25.0,
) -> dict[str, Any]:
    """Long poll: session offers (each handed over once, with the session's end-to-end
    secrets: ``via``, ``salt``, ``psk``) and the current password."""
    answer = await presence.long_poll(
        db_factory, notifier, settings, partner_id, presence_key, wait
    )
    return {
        "partner_id": answer.partner_id,
        "password": answer.password,
        "events": [
            {
                "type": "session-offer",
                "session_id": o.session_id,
                "relay": o.relay,
                "token": o.token,
                "agent": o.agent,
                "expires_at": iso(o.expires_at),
                **e2e_json(o.via, o.salt, o.psk),
            }
            for o in answer.offers
        ],
    }
