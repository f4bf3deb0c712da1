"""Agents and administrators: login (rate-limited) and the bearer token of later calls."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from helpdesk.errors import NotAuthenticated, RateLimited
from helpdesk.models import User
from helpdesk.security import (
    FailureLimiter,
    issue_login_token,
    verify_login_token,
    verify_password,
)
from helpdesk.settings import Settings
from remotewire.error_codes import ErrorCode

BEARER = "Bearer "


def login(
    db: Db, settings: Settings, limiter: FailureLimiter, email: str, password: str
) -> tuple[User, str]:
    """The user and a fresh bearer token; failures count per email address."""
    email = email.strip().lower()
    key = f"login:{email}"
    wait = limiter.retry_after(key)
    if wait:
        raise RateLimited(
            ErrorCode.TOO_MANY_FAILED_LOGINS,
            f"too many failed logins; try again in {wait} s",
            wait,
        )
    user = db.scalar(select(User).where(User.email == email))
    if user is None or not verify_password(user.password_hash, password):
        limiter.fail(key)
        raise NotAuthenticated(ErrorCode.WRONG_LOGIN, "wrong email or password")
    token = issue_login_token(settings.secret, user.id, settings.login_ttl_s, settings.clock.time())
    return user, token


def bearer_user_id(settings: Settings, authorization: str | None) -> int | None:
    """The user id a valid ``Authorization: Bearer`` header names, else None."""
    if not authorization or not authorization.startswith(BEARER):
        return None
    return verify_login_token(settings.secret, authorization[len(BEARER) :], settings.clock.time())


def user_for_bearer(db: Db, settings: Settings, authorization: str | None) -> User:
    if not authorization or not authorization.startswith(BEARER):
        raise NotAuthenticated(ErrorCode.MISSING_BEARER_TOKEN, "missing bearer token")
    user_id = bearer_user_id(settings, authorization)
    user = db.get(User, user_id) if user_id is not None else None
    if user is None:
        raise NotAuthenticated(ErrorCode.INVALID_BEARER_TOKEN, "invalid or expired bearer token")
    return user
