"""Ticket API tokens: scoped to one organization or one app, stored hashed, revocable.

Red-team finding (issue 10 §3.9): one global token read every ticket and every person,
staff emails included. Now each token is 32 random bytes shown once, when an
administrator makes it (Settings » API tokens); the server keeps only its SHA-256 (a
fast hash is enough for a 256-bit random secret). A token sees:

- **organization** ``O``: tickets with a client (or requester) of organization ``O``; the
  persons of ``O``, the persons on those tickets, and staff by name (staff emails are
  left out);
- **app** ``A``: tickets owned by an agent or administrator of ``A``; those staff, the
  persons on those tickets and the clients linked to ``A``'s customers.

The agent app's own login (``Authorization: Bearer``, ``helpdesk.services.auth``) is
accepted instead of a token (``for_login``): a deployed app has no token to hand out (its
public profile must not carry one), yet its agents look tickets up and record sessions.
A login sees what an app token of each app its user is an agent or administrator of
would see, together; a user of no app sees nothing.

A token with no scope (one carried over from before scopes, migration 0005) reads
everything, so it is refused unless the operator sets ``REMOTEAPP_GLOBAL_API_TOKENS=1``.
Anything outside a token's scope answers 404, as if it did not exist; a write that
would put a ticket outside it answers 403 ``out-of-token-scope``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from typing import Final

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session as Db

from helpdesk.console.i18n import N_
from helpdesk.errors import InvalidInput, NotAllowed, NotAuthenticated, NotFound
from helpdesk.models import (
    ApiToken,
    Person,
    Presence,
    RemoteApp,
    Ticket,
    User,
    app_admins,
    app_agents,
    ticket_clients,
)
from helpdesk.services import auth
from helpdesk.settings import Settings
from remotewire.error_codes import ErrorCode

TOKEN_BYTES: Final = 32
GLOBAL_ENV: Final = "REMOTEAPP_GLOBAL_API_TOKENS"
STAFF: Final = 1


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def globals_allowed() -> bool:
    """Whether unscoped (legacy) tokens are honoured: only if the operator says so."""
    return os.environ.get(GLOBAL_ENV) == "1"


@dataclass(frozen=True, slots=True)
class Scope:
    """What one token (or login) may see; neither field set: everything (legacy, opt-in).

    ``app_ids``: an app token's one app, or a login's apps; empty sees nothing (a user
    of no app), which is why it is a tuple apart from None."""

    organization: str | None = None
    app_ids: tuple[str, ...] | None = None
    login: bool = False  #: an agent's login, not a token an administrator made

    @property
    def hides_staff_email(self) -> bool:
        """An organization's token sees no staff emails, nor does any agent's login: every
        agent has one, and the persons list would hand them every colleague's address."""
        return self.organization is not None or self.login

    def _staff(self) -> ColumnElement[bool]:
        apps = self.app_ids or ()
        members = (
            select(app_agents.c.user_id)
            .where(app_agents.c.app_id.in_(apps))
            .union(select(app_admins.c.user_id).where(app_admins.c.app_id.in_(apps)))
        )
        return Person.id.in_(select(User.person_id).where(User.id.in_(members)))

    def tickets(self) -> ColumnElement[bool] | None:
        """The tickets this token sees, as a WHERE clause on ``Ticket`` (None: all)."""
        if self.app_ids is not None:
            staff = select(Person.id).where(self._staff())
            return Ticket.owner_id.in_(staff)
        if self.organization is not None:
            members = select(Person.id).where(Person.organization == self.organization)
            as_client = select(ticket_clients.c.ticket_id).where(
                ticket_clients.c.person_id.in_(members)
            )
            return or_(Ticket.id.in_(as_client), Ticket.created_by_id.in_(members))
        return None

    def persons(self) -> ColumnElement[bool] | None:
        """The persons this token sees, as a WHERE clause on ``Person`` (None: all)."""
        visible = self.tickets()
        if visible is None:
            return None
        shown = select(Ticket.id).where(visible)
        on_tickets = or_(
            Person.id.in_(select(Ticket.owner_id).where(visible)),
            Person.id.in_(select(Ticket.created_by_id).where(visible)),
            Person.id.in_(
                select(ticket_clients.c.person_id).where(ticket_clients.c.ticket_id.in_(shown))
            ),
        )
        if self.app_ids is not None:
            customers = select(Presence.person_id).where(Presence.app_id.in_(self.app_ids))
            return or_(self._staff(), Person.id.in_(customers), on_tickets)
        return or_(
            Person.organization == self.organization, Person.profile_type == STAFF, on_tickets
        )


def authenticate(db: Db, token: str | None) -> Scope:
    """The scope of a presented token; 401 ``bad-api-token`` for an unknown, revoked or
    (unless allowed) unscoped one, alike."""
    row = None
    if token and len(token) <= 200:
        row = db.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
            )
        )
    if row is None or (row.organization is None and row.app_id is None and not globals_allowed()):
        raise NotAuthenticated(ErrorCode.BAD_API_TOKEN, "invalid or missing token")
    return Scope(row.organization, (row.app_id,) if row.app_id is not None else None)


def for_login(db: Db, settings: Settings, authorization: str) -> Scope:
    """The scope of an agent app's login: the apps its user serves (agent or
    administrator); 401 ``invalid-bearer-token`` for a forged, expired or revoked one
    (logout, password change), as on every other route of the login."""
    user = auth.bearer_user(db, settings, authorization)
    if user is None:
        raise NotAuthenticated(ErrorCode.INVALID_BEARER_TOKEN, "invalid or expired bearer token")
    apps = (
        select(app_agents.c.app_id)
        .where(app_agents.c.user_id == user.id)
        .union(select(app_admins.c.app_id).where(app_admins.c.user_id == user.id))
    )
    return Scope(app_ids=tuple(sorted(db.scalars(apps))), login=True)


def check_visible(db: Db, scope: Scope, ticket: Ticket, *, writing: bool = False) -> None:
    """404 (reading) or 403 (a write that would leave the scope) outside the scope."""
    clause = scope.tickets()
    if clause is None:
        return
    db.flush()
    if db.scalar(select(Ticket.id).where(Ticket.id == ticket.id, clause)) is None:
        if writing:
            raise NotAllowed(
                ErrorCode.OUT_OF_TOKEN_SCOPE, "the ticket would be outside the token's scope"
            )
        raise NotFound(ErrorCode.UNKNOWN_TICKET, f"no ticket {ticket.id}")


def person_visible(db: Db, scope: Scope, person: Person) -> bool:
    clause = scope.persons()
    if clause is None:
        return True
    return db.scalar(select(Person.id).where(Person.id == person.id, clause)) is not None


# ---- administration (Settings » API tokens) -----------------------------------------


def tokens(db: Db) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def create(
    db: Db, settings: Settings, name: str, organization: str, app_id: str
) -> tuple[ApiToken, str]:
    """A new token scoped to ``organization`` or to ``app_id`` (exactly one); returns
    the row and the token, which is shown now and never again."""
    name, organization, app_id = name.strip(), organization.strip(), app_id.strip()
    if not name or len(name) > 200:
        raise InvalidInput(ErrorCode.INVALID_INPUT, N_("Give the token a name."))
    if bool(organization) == bool(app_id):
        raise InvalidInput(
            ErrorCode.INVALID_INPUT, N_("Choose an organization or an app, not both.")
        )
    if len(organization) > 200:
        raise InvalidInput(ErrorCode.INVALID_INPUT, N_("The organization name is too long."))
    if app_id and db.get(RemoteApp, app_id) is None:
        raise NotFound(ErrorCode.UNKNOWN_APP, N_("No such app."))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = ApiToken(
        token_hash=hash_token(token),
        name=name,
        organization=organization or None,
        app_id=app_id or None,
        created_at=settings.clock.now(),
    )
    db.add(row)
    db.commit()
    return row, token


def revoke(db: Db, settings: Settings, token_id: int) -> None:
    row = db.get(ApiToken, token_id)
    if row is None:
        raise NotFound(ErrorCode.UNKNOWN_API_TOKEN, N_("No such token."))
    if row.revoked_at is None:
        row.revoked_at = settings.clock.now()
        db.commit()


def add_token(
    db: Db, token: str, name: str, *, organization: str | None = None, app_id: str | None = None
) -> None:
    """Store a token made elsewhere (the demo data's), hashed."""
    db.add(
        ApiToken(token_hash=hash_token(token), name=name, organization=organization, app_id=app_id)
    )
