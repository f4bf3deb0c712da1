"""FastAPI dependencies every router shares: the database, the app's collaborators, and
who is calling (a user by bearer token, a customer by presence key, a party to a session).

``create_app`` (helpdesk.app) puts the collaborators on ``app.state``; these read them
from there, so routers are plain module-level ``APIRouter``s. Only here and in the
routers does FastAPI meet the services.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from helpdesk.clock import Clock
from helpdesk.db import RequestSessions
from helpdesk.limits import AttemptLimits, FailureLimiter
from helpdesk.models import Presence, RemoteSession, User
from helpdesk.notify import Notifier
from helpdesk.services import auth, presence, sessions
from helpdesk.settings import Settings


def get_db_factory(request: Request) -> sessionmaker[DbSession]:
    factory: sessionmaker[DbSession] = request.app.state.db_factory
    return factory


DbFactory = Annotated[sessionmaker[DbSession], Depends(get_db_factory)]


async def get_db(request: Request) -> AsyncIterator[DbSession]:
    """One database session per request, closed after the response; a request waits for
    its turn first (``helpdesk.db.RequestSessions``)."""
    sessions: RequestSessions = request.app.state.request_sessions
    async with sessions.session() as db:
        yield db


Db = Annotated[DbSession, Depends(get_db)]


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(get_settings)]


def get_clock(settings: AppSettings) -> Clock:
    return settings.clock


AppClock = Annotated[Clock, Depends(get_clock)]


def get_notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


AppNotifier = Annotated[Notifier, Depends(get_notifier)]


def get_limiter(request: Request) -> FailureLimiter:
    """The failure limiter of this request: it counts per source address too."""
    limits: AttemptLimits = request.app.state.limits
    return limits.for_address(client_address(request))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


Limiter = Annotated[FailureLimiter, Depends(get_limiter)]

Authorization = Annotated[str | None, Header()]
PresenceKey = Annotated[str | None, Header(alias="X-Presence-Key")]


def current_user(db: Db, settings: AppSettings, authorization: Authorization = None) -> User:
    return auth.user_for_bearer(db, settings, authorization)


CurrentUser = Annotated[User, Depends(current_user)]


def current_presence(db: Db, partner_id: str, presence_key: PresenceKey = None) -> Presence:
    """The customer of ``{partner_id}`` in the path, proven by its presence key."""
    return presence.authenticate(db, partner_id, presence_key)


CurrentPresence = Annotated[Presence, Depends(current_presence)]


def party_session(
    db: Db,
    settings: AppSettings,
    session_id: str,
    authorization: Authorization = None,
    presence_key: PresenceKey = None,
) -> RemoteSession:
    """The support session ``{session_id}`` in the path, for its agent or customer."""
    return sessions.session_for_party(db, settings, session_id, authorization, presence_key)


PartySession = Annotated[RemoteSession, Depends(party_session)]
