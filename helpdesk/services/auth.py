"""Agents and administrators: login (rate-limited), the bearer token of later calls, and
logout.

Failure limits (``helpdesk.limits``), shared by this API's login and the console's:

- per email *and* source address, with backoff: one place guessing one account;
- per source address: one place guessing many accounts;
- per email, a ceiling ten times higher over ten windows: many places guessing one
  account. Mistakes from elsewhere no longer lock the real user out at six.

An unknown email costs the same argon2 work as a wrong password (no timing oracle).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from helpdesk.errors import NotAuthenticated
from helpdesk.limits import FailureLimiter, Rule, backoff
from helpdesk.models import User
from helpdesk.security import issue_login_token, verify_login_token, verify_password_or_dummy
from helpdesk.settings import Settings
from remotewire.error_codes import ErrorCode

BEARER = "Bearer "
ADDRESS_FAILURES_FACTOR = 5
"""An address may fail this many times more than one account: an office behind one NAT
address must not lock everyone out because one person mistyped."""
CEILING_FACTOR = 10
"""The per-account ceiling (all addresses together): this many times the per-pair budget,
over this many windows."""
LOGIN_REFUSED = "too many failed logins; try again in {wait} s"


def login_rules(settings: Settings, email: str, address: str) -> list[Rule]:
    n, window = settings.rate_max_failures, settings.rate_window_s
    return [
        *backoff(pair_key(email, address), n, window),
        Rule(f"address:{address}", n * ADDRESS_FAILURES_FACTOR, window),
        Rule(f"login-email:{email}", n * CEILING_FACTOR, window * CEILING_FACTOR),
    ]


def pair_key(email: str, address: str) -> str:
    return f"login:{email}:{address}"


def authenticate(
    db: Db,
    settings: Settings,
    limiter: FailureLimiter,
    email: str,
    password: str,
    message: str = LOGIN_REFUSED,
) -> User:
    """The user whose email and password these are, or ``NotAuthenticated``; the attempt
    is reserved first (``RateLimited`` with ``message`` when over a limit)."""
    email = email.strip().lower()
    reservation = limiter.reserve(
        db,
        login_rules(settings, email, limiter.address),
        code=ErrorCode.TOO_MANY_FAILED_LOGINS,
        message=message,
        forgive=[pair_key(email, limiter.address)],
    )
    user = db.scalar(select(User).where(User.email == email))
    matches = verify_password_or_dummy(user.password_hash if user else None, password)
    if user is None or not matches:
        raise NotAuthenticated(ErrorCode.WRONG_LOGIN, "wrong email or password")
    limiter.release(db, reservation)
    return user


def login(
    db: Db, settings: Settings, limiter: FailureLimiter, email: str, password: str
) -> tuple[User, str]:
    """The user and a fresh bearer token."""
    user = authenticate(db, settings, limiter, email, password)
    token = issue_login_token(
        settings.keys.login,
        user.id,
        user.login_version or 0,
        settings.login_ttl_s,
        settings.clock.time(),
    )
    return user, token


def logout(db: Db, user: User) -> None:
    """Every bearer token of the user stops working (the agent app's logins everywhere)."""
    user.login_version = (user.login_version or 0) + 1
    db.commit()


def bearer_user(db: Db, settings: Settings, authorization: str | None) -> User | None:
    """The user a valid, unrevoked ``Authorization: Bearer`` header names, else None."""
    if not authorization or not authorization.startswith(BEARER):
        return None
    claims = verify_login_token(
        settings.keys.login,
        authorization[len(BEARER) :],
        settings.clock.time(),
        settings.login_ttl_s,
    )
    if claims is None:
        return None
    user = db.get(User, claims.user_id)
    if user is None or (user.login_version or 0) != claims.version:
        return None
    return user


def user_for_bearer(db: Db, settings: Settings, authorization: str | None) -> User:
    if not authorization or not authorization.startswith(BEARER):
        raise NotAuthenticated(ErrorCode.MISSING_BEARER_TOKEN, "missing bearer token")
    user = bearer_user(db, settings, authorization)
    if user is None:
        raise NotAuthenticated(ErrorCode.INVALID_BEARER_TOKEN, "invalid or expired bearer token")
    return user
