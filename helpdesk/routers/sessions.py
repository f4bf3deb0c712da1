"""``/api/sessions``: an agent connects; either party reads or ends its session."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from helpdesk.deps import AppNotifier, AppSettings, CurrentUser, Db, Limiter, PartySession
from helpdesk.inputs import Input
from helpdesk.lifecycle import MAX_PARTY_REASON
from helpdesk.models import RemoteSession
from helpdesk.routers.apps import iso
from helpdesk.services import sessions
from helpdesk.services.sessions import Grant
from remotewire.constants import END_BY_USER
from remotewire.session_keys import encode

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


class ConnectIn(Input):
    """Either ``partner_id`` + ``password``, or ``queue_ref`` (agents of that app only)."""

    partner_id: str | None = None
    password: str | None = None
    queue_ref: str | None = None


class EndIn(Input):
    reason: str = Field(default=END_BY_USER, max_length=MAX_PARTY_REASON)


def grant_json(grant: Grant) -> dict[str, Any]:
    """What an agent is given to join a session: the relay, its token, the expiry, and
    the session's end-to-end secrets (``e2e_json``)."""
    return {
        "session_id": grant.session.id,
        "state": grant.session.state,
        "relay": grant.session.relay_address,
        "token": grant.agent_token,
        "expires_at": iso(grant.session.expires_at),
        "partner_id": grant.session.presence.partner_id,
        **e2e_json(grant.session.via, grant.session.e2e_salt, grant.session.e2e_psk),
    }


def e2e_json(via: str, salt: bytes | None, psk: bytes | None) -> dict[str, Any]:
    """``via``, ``salt`` and ``psk`` as lowercase hex (``remotewire.session_keys``;
    ``psk`` null on password sessions). Only grants and offers carry them, never
    ``session_json``."""
    return {
        "via": via,
        "salt": encode(salt) if salt is not None else None,
        "psk": encode(psk) if psk is not None else None,
    }


def session_json(session: RemoteSession) -> dict[str, Any]:
    return {
        "session_id": session.id,
        "state": session.state,
        "end_reason": session.end_reason,
        "via": session.via,
        "agent": session.agent.name,
        "partner_id": session.presence.partner_id,
        "customer": str((session.presence.filled or {}).get("name") or ""),
        "relay": session.relay_address,
        "offered_at": iso(session.offered_at),
        "connected_at": iso(session.connected_at),
        "ended_at": iso(session.ended_at),
    }


@router.post("")
def connect(
    body: ConnectIn,
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    limiter: Limiter,
    notifier: AppNotifier,
) -> dict[str, Any]:
    grant = sessions.connect(
        db,
        settings,
        limiter,
        notifier,
        user,
        partner_id=body.partner_id,
        password=body.password,
        queue_ref=body.queue_ref,
    )
    return grant_json(grant)


@router.get("/{session_id}")
def session_state(session: PartySession) -> dict[str, Any]:
    return session_json(session)


@router.post("/{session_id}/end")
def end(body: EndIn, session: PartySession, db: Db, settings: AppSettings) -> dict[str, Any]:
    sessions.end_by_party(db, settings, session, body.reason)
    return session_json(session)
