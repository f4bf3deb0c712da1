"""Who may do what in the web console: access-profile permissions and app roles.

Two independent kinds of right, as in the product description:

- **Permissions** come from the user's access profile (Settings » Access profiles) and
  open settings screens: ``remote_apps.manage`` ("Permitir o cadastramento de aplicativos
  para acesso remoto") opens Settings » Remote access » Applications;
  ``settings.access_profiles`` opens Settings » Access profiles and the users list.
- **Roles** are per remote app: administrator (indicators, customers' IDs and passwords)
  and/or agent (may connect). Being one does not imply the other.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db

from helpdesk.console.i18n import N_
from helpdesk.errors import InvalidInput, NotAuthenticated, NotFound
from helpdesk.limits import FailureLimiter, Rule, backoff
from helpdesk.models import AccessProfile, Person, User
from helpdesk.security import hash_password, verify_password
from helpdesk.services import auth, password_policy
from helpdesk.settings import Settings
from remotewire.error_codes import ErrorCode

REMOTE_APPS = "remote_apps.manage"
ACCESS_PROFILES = "settings.access_profiles"
PERMISSIONS: dict[str, str] = {
    REMOTE_APPS: N_("Allow registering remote-access apps"),
    ACCESS_PROFILES: N_("Manage access profiles and users"),
}
"""Permission name → its label (English msgid; the console translates it)."""


def has_permission(user: User, permission: str) -> bool:
    return user.profile is not None and permission in (user.profile.permissions or [])


# ---- console login ------------------------------------------------------------------


MIN_PASSWORD = password_policy.MIN_LENGTH


def console_login(
    db: Db, settings: Settings, limiter: FailureLimiter, email: str, password: str
) -> User:
    """Check a console login: the same check, and the same failure limits, as the API's
    login (``auth.authenticate``); the refusal says how long to wait."""
    try:
        return auth.authenticate(
            db, settings, limiter, email, password, "Too many failed logins. Try again in {wait} s."
        )
    except NotAuthenticated:
        raise NotAuthenticated(ErrorCode.WRONG_LOGIN, N_("Wrong email or password.")) from None


def end_browser_sessions(db: Db, user: User) -> None:
    """Logout, or a password change: every browser session of the user ends."""
    user.session_epoch = (user.session_epoch or 0) + 1
    db.commit()


def change_password(
    db: Db,
    settings: Settings,
    limiter: FailureLimiter,
    user: User,
    current: str,
    new: str,
) -> None:
    """The console's Change password. A wrong current password counts as a failed login
    would (per account with backoff, and per address), so a stolen browser session cannot
    be used to guess the password; then every browser session and every app login of the
    user ends."""
    n, window = settings.rate_max_failures, settings.rate_window_s
    account = f"console-password:{user.id}"
    reservation = limiter.reserve(
        db,
        [
            *backoff(account, n, window),
            Rule(f"address:{limiter.address}", n * auth.ADDRESS_FAILURES_FACTOR, window),
        ],
        code=ErrorCode.TOO_MANY_FAILED_LOGINS,
        message="Too many wrong passwords. Try again in {wait} s.",
        forgive=[account],
    )
    if not verify_password(user.password_hash, current):
        raise InvalidInput(ErrorCode.WRONG_LOGIN, N_("The current password is wrong."))
    limiter.release(db, reservation)
    if new == current:
        raise InvalidInput(
            ErrorCode.INVALID_INPUT, N_("The new password must differ from the current one.")
        )
    password_policy.check(new, email=user.email, name=user.name)
    user.password_hash = hash_password(new)
    user.login_version = (user.login_version or 0) + 1  # the agent app's logins end too
    end_browser_sessions(db, user)


# ---- Settings » Access profiles and users -------------------------------------------


def profiles(db: Db) -> list[AccessProfile]:
    return list(db.scalars(select(AccessProfile).order_by(AccessProfile.name)))


def save_profile(
    db: Db, profile_id: int | None, name: str, permissions: Iterable[str]
) -> AccessProfile:
    """Create (``profile_id`` None) or update a profile; names are unique."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput(
            ErrorCode.INVALID_INPUT, N_("A profile needs a name (at most 100 characters).")
        )
    chosen = sorted(set(permissions))
    if unknown := [p for p in chosen if p not in PERMISSIONS]:
        raise InvalidInput(ErrorCode.INVALID_INPUT, f"unknown permission(s): {', '.join(unknown)}")
    taken = InvalidInput(ErrorCode.INVALID_INPUT, N_("Another profile has this name."))
    clash = db.scalar(select(AccessProfile).where(AccessProfile.name == name))
    if profile_id is None:
        if clash is not None:
            raise taken
        profile = AccessProfile(name=name, permissions=chosen)
        db.add(profile)
    else:
        found = db.get(AccessProfile, profile_id)
        if found is None:
            raise NotFound(ErrorCode.UNKNOWN_PROFILE, N_("No such access profile."))
        if clash is not None and clash.id != profile_id:
            raise taken
        profile, profile.name, profile.permissions = found, name, chosen
    _commit_unless_taken(db, taken)
    return profile


def users(db: Db) -> list[User]:
    return list(db.scalars(select(User).order_by(User.name)))


def create_user(db: Db, email: str, name: str, password: str, profile_id: int | None) -> User:
    """Create a console user (and its Movidesk person record) with a profile."""
    email, name = email.strip().lower(), name.strip()
    if "@" not in email or len(email) > 320:
        raise InvalidInput(ErrorCode.INVALID_INPUT, N_("Give a valid email address."))
    if not name or len(name) > 200:
        raise InvalidInput(ErrorCode.INVALID_INPUT, N_("Give the user's name."))
    password_policy.check(password, email=email, name=name)
    taken = InvalidInput(ErrorCode.INVALID_INPUT, N_("A user with this email exists."))
    if db.scalar(select(User).where(User.email == email)) is not None:
        raise taken
    profile = _profile_or_none(db, profile_id)
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        person=Person(business_name=name, email=email, profile_type=1),
        profile=profile,
    )
    db.add(user)
    _commit_unless_taken(db, taken)
    return user


def _commit_unless_taken(db: Db, taken: InvalidInput) -> None:
    """Commit; a unique name or email taken by a concurrent save since the check (the
    argon2 hash sits between them) answers ``taken``, as the check would have, not 500."""
    try:
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        raise taken from exc


def set_user_profile(db: Db, user_id: int, profile_id: int | None) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(ErrorCode.UNKNOWN_USER, N_("No such user."))
    user.profile = _profile_or_none(db, profile_id)
    db.commit()
    return user


def _profile_or_none(db: Db, profile_id: int | None) -> AccessProfile | None:
    if profile_id is None:
        return None
    profile = db.get(AccessProfile, profile_id)
    if profile is None:
        raise InvalidInput(ErrorCode.UNKNOWN_PROFILE, N_("No such access profile."))
    return profile
