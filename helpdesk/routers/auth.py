"""``POST /api/login``, ``POST /api/logout``, ``GET /api/me``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from helpdesk.deps import AppSettings, CurrentUser, Db, Limiter
from helpdesk.inputs import Input
from helpdesk.models import User
from helpdesk.services import apps, auth

router = APIRouter(prefix="/api", tags=["agents"])


class LoginIn(Input):
    email: str
    password: str


@router.post("/login")
def login(body: LoginIn, db: Db, settings: AppSettings, limiter: Limiter) -> dict[str, Any]:
    user, token = auth.login(db, settings, limiter, body.email, body.password)
    return {"token": token, "user": user_json(user)}


def user_json(user: User) -> dict[str, Any]:
    """``person_id``: the user's person at the ticket API (``createdBy``, ``owner``), which
    is not the user's ``id``: the agent app's session records name the agent by it."""
    return {"id": user.id, "person_id": user.person_id, "name": user.name, "email": user.email}


@router.post("/logout", status_code=204)
def logout(user: CurrentUser, db: Db) -> None:
    """Ends every login (bearer token) of the user, not only this one."""
    auth.logout(db, user)


@router.get("/me")
def me(user: CurrentUser, db: Db) -> dict[str, Any]:
    return {
        **user_json(user),
        "apps": [
            {"id": m.app.id, "name": m.app.name, "agent": m.agent, "admin": m.admin}
            for m in apps.memberships(db, user)
        ],
    }
