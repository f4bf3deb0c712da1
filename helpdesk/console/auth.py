"""Browser sessions and CSRF for the console (the JSON API keeps its bearer tokens).

The session cookie (Starlette's ``SessionMiddleware``, signed with the server's console
key from ``helpdesk.keys``, which no relay can derive) is HttpOnly and ``SameSite=Lax``,
and ``Secure`` when the request came over HTTPS (scheme ``https``, e.g. uvicorn behind a
proxy with ``--proxy-headers``). It holds only the user
id and the user's session epoch at login: logout or a password change bumps the epoch in
the database, so every browser session of that user ends at once.

CSRF, two locks: an unsafe method (POST, PUT, PATCH, DELETE) whose ``Sec-Fetch-Site`` is
``cross-site``/``same-site``, or whose ``Origin`` is not this host, is refused; and every
form carries a token (``csrf`` field or ``X-CSRF-Token`` header) made with the CSRF key from
the user id and the epoch, so a token dies with the session.

The form is read and its token checked before the request takes a database slot
(``helpdesk.db.RequestSessions``): the token comes from the cookie's user id and epoch, no
row needed. A body that never arrived used to hold a slot for as long as the client liked.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session as Db
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from helpdesk import deps
from helpdesk.console.i18n import N_
from helpdesk.console.web import UNSAFE, LoginRequired
from helpdesk.errors import NotAllowed
from helpdesk.models import User
from helpdesk.services import access
from helpdesk.services.apps import memberships
from remotewire.error_codes import ErrorCode

COOKIE = "remoteapp_console"


class ConsoleSessions:
    """``SessionMiddleware`` with the Secure flag chosen per request by its scheme."""

    def __init__(self, app: ASGIApp, key: bytes, max_age_s: int = 12 * 3600) -> None:
        """``key``: the server's console key (``settings.keys.console``), never the relay's."""
        common: dict[str, Any] = {
            "secret_key": key.hex(),
            "session_cookie": COOKIE,
            "max_age": max_age_s,
            "same_site": "lax",
        }
        self.plain = SessionMiddleware(app, https_only=False, **common)
        self.secure = SessionMiddleware(app, https_only=True, **common)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = self.secure if scope.get("scheme") in ("https", "wss") else self.plain
        await chosen(scope, receive, send)


def csrf_token(key: bytes, user_id: int | None, epoch: int) -> str:
    """``key``: the server's CSRF key (``settings.keys.csrf``)."""
    message = f"console-csrf:{user_id or 0}:{epoch}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def cross_site(request: Request) -> bool:
    """True when the browser says (or the Origin shows) the request comes from elsewhere."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin == "null"
    try:
        netloc = urlsplit(origin).netloc
    except ValueError:  # "http://[::1": no browser sends it, so no page of ours did
        return True
    return netloc != request.headers.get("host", "")


async def check_csrf(request: Request, user_id: int | None, epoch: int) -> None:
    """Refuse an unsafe request that is cross-site or lacks this session's form token."""
    if request.method not in UNSAFE:
        return
    if cross_site(request):
        raise NotAllowed(ErrorCode.CROSS_SITE_REQUEST, N_("Cross-site request refused."))
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    expected = csrf_token(request.app.state.settings.keys.csrf, user_id, epoch)
    # compare_digest refuses non-ASCII str (a TypeError, a 500): no token of ours is one
    if not sent or not sent.isascii() or not hmac.compare_digest(sent, expected):
        raise NotAllowed(
            ErrorCode.BAD_FORM_TOKEN,
            N_("This form has expired (or came from another site). Reload the page and try again."),
        )


ConsoleDb = deps.Db


async def anonymous_ok(request: Request) -> None:
    """For the login page: CSRF with the anonymous token; no user needed."""
    request.state.csrf_token = csrf_token(request.app.state.settings.keys.csrf, None, 0)
    await check_csrf(request, None, 0)


class Nav:
    """What the navigation shows; the routes check the same rights again."""

    def __init__(self, db: Db, user: User) -> None:
        self.member_of = memberships(db, user)
        self.monitoring = bool(self.member_of)
        self.apps = access.has_permission(user, access.REMOTE_APPS)
        self.profiles = access.has_permission(user, access.ACCESS_PROFILES)
        self.agent = any(m.agent for m in self.member_of)
        self.settings = self.apps or self.profiles


async def session_claim(request: Request) -> tuple[int, int]:
    """The user id and epoch the session cookie claims, with the form's CSRF token
    checked: before ``console_user`` takes a database slot (see the module docstring)."""
    session = request.session
    user_id, epoch = session.get("uid"), session.get("epoch")
    if not isinstance(user_id, int) or not isinstance(epoch, int):
        if session:
            session.clear()
        raise LoginRequired()
    request.state.csrf_token = csrf_token(request.app.state.settings.keys.csrf, user_id, epoch)
    await check_csrf(request, user_id, epoch)
    return user_id, epoch


SessionClaim = Annotated[tuple[int, int], Depends(session_claim)]


async def _load_user(request: Request, claim: tuple[int, int], db: Db) -> User:
    user_id, epoch = claim

    def load() -> tuple[User, Nav] | None:  # database work: off the event loop
        user = db.get(User, user_id)
        if user is None or user.session_epoch != epoch:
            return None
        return user, Nav(db, user)

    request.state.console_db = db  # rolled back before a 500 page (helpdesk.console.web)
    found = await run_in_threadpool(load)
    if found is None:
        request.session.clear()
        raise LoginRequired()
    user, request.state.nav = found
    request.state.console_user = user
    return user


async def console_user(request: Request, claim: SessionClaim, db: ConsoleDb) -> User:
    """The logged-in user of this browser session, or LoginRequired. ``claim`` first:
    FastAPI solves dependencies in order, so no slot is held while the form arrives."""
    return await _load_user(request, claim, db)


ConsoleUser = Annotated[User, Depends(console_user)]

StreamDb = Annotated[Db, Depends(deps.get_db, scope="function")]
"""For server-sent event streams: the request's database session ends when the endpoint
returns, not when the stream does (minutes later). Held for the stream, each open console
page took a pooled connection: 56 open pages and every request of the server waited."""


async def stream_user(request: Request, claim: SessionClaim, db: StreamDb) -> User:
    """``console_user`` for streams (see ``StreamDb``)."""
    return await _load_user(request, claim, db)


StreamUser = Annotated[User, Depends(stream_user, scope="function")]


def require_permission(user: User, permission: str) -> None:
    if not access.has_permission(user, permission):
        raise NotAllowed(
            ErrorCode.MISSING_PERMISSION, N_("Your access profile does not allow this page.")
        )


def refused_form_user(request: Request, permission: str | None = None) -> tuple[User, Db]:
    """The user and database session of a request whose form was refused at validation
    (``helpdesk.console.forms``: its route did not run, ``console_user`` did), with the
    route's permission checked again before its page is drawn."""
    user = getattr(request.state, "console_user", None)
    db = getattr(request.state, "console_db", None)
    if not isinstance(user, User) or not isinstance(db, Db):
        raise LoginRequired()
    if permission is not None:
        require_permission(user, permission)
    return user, db
