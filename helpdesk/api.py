"""HTTP API used by the agent and customer apps and by the relay.

Roles, per remote app: an *agent* may connect to its customers; an *administrator* sees
indicators and the customers' IDs and passwords in the queue. Being one does not imply
the other. Customers authenticate their presence with the key returned at registration.

No ``from __future__ import annotations`` here: FastAPI must evaluate the dependency
aliases (``Db``, ``CurrentUser``) that are local to ``create_app``.
"""

import asyncio
import contextlib
import hmac
import secrets
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Engine, and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from helpdesk.db import session_factory
from helpdesk.models import (
    Person,
    Presence,
    RelayNode,
    RemoteApp,
    RemoteSession,
    User,
    utcnow,
)
from helpdesk.notify import Notifier
from helpdesk.security import (
    FailureLimiter,
    issue_login_token,
    new_customer_password,
    new_partner_id,
    sha256_hex,
    verify_login_token,
    verify_password,
)
from helpdesk.settings import Settings
from remotewire.customer_fields import (
    missing_fields,
    required_custom,
    required_standard,
    shown_standard,
)
from remotewire.roles import Role
from remotewire.shared_secret import report_key
from remotewire.tokens import issue_token

OPEN_STATES = ("offered", "connected")


class LoginIn(BaseModel):
    email: str
    password: str


class RegisterIn(BaseModel):
    app_id: str
    device_id: str = Field(min_length=8, max_length=128)
    fields: dict[str, str] = Field(default_factory=dict)
    custom: dict[str, str] = Field(default_factory=dict)


class ConnectIn(BaseModel):
    """Either ``partner_id`` + ``password``, or ``queue_ref`` (agents of that app only)."""

    partner_id: str | None = None
    password: str | None = None
    queue_ref: str | None = None


class EndIn(BaseModel):
    reason: str = Field(default="ended-by-user", max_length=100)


class RelayEventIn(BaseModel):
    event: str
    relay_id: str
    session_id: str | None = None
    reason: str | None = None
    sessions: list[str] = Field(default_factory=list)


def iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(parts) or "invalid request"


def create_app(engine: Engine, settings: Settings) -> FastAPI:
    """Build the whole HTTP application (this API plus the Movidesk-shaped one)."""
    from helpdesk.movidesk import router as movidesk_router

    sessions = session_factory(engine)
    notifier = Notifier()
    limiter = FailureLimiter(settings.rate_max_failures, settings.rate_window_s)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        notifier.bind(asyncio.get_running_loop())
        sweeper = asyncio.create_task(_sweep_forever(sessions, settings))
        yield
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper

    app = FastAPI(title="remoteapp helpdesk", lifespan=lifespan)
    app.state.sessions = sessions
    app.state.settings = settings
    app.state.notifier = notifier

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content=jsonable_encoder({"detail": validation_message(exc), "errors": exc.errors()}),
        )

    def db() -> Iterator[Session]:
        with sessions() as session:
            yield session

    Db = Annotated[Session, Depends(db)]

    def current_user(session: Db, authorization: Annotated[str | None, Header()] = None) -> User:
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(401, "missing bearer token")
        user_id = verify_login_token(settings.secret, authorization[7:])
        user = session.get(User, user_id) if user_id is not None else None
        if user is None:
            raise HTTPException(401, "invalid or expired bearer token")
        return user

    CurrentUser = Annotated[User, Depends(current_user)]

    def current_presence(
        session: Db, partner_id: str, x_presence_key: Annotated[str | None, Header()] = None
    ) -> Presence:
        presence = session.scalar(select(Presence).where(Presence.partner_id == partner_id))
        if (
            presence is None
            or not x_presence_key
            or not hmac.compare_digest(presence.key_hash, sha256_hex(x_presence_key))
        ):
            raise HTTPException(401, "unknown partner ID or wrong presence key")
        return presence

    def get_app(session: Session, app_id: str) -> RemoteApp:
        remote_app = session.get(RemoteApp, app_id)
        if remote_app is None:
            raise HTTPException(404, f"no remote app {app_id!r}")
        return remote_app

    def is_online(presence: Presence, now: datetime) -> bool:
        return presence.last_seen >= now - timedelta(seconds=settings.presence_lapse_s)

    # ---- agents and administrators -------------------------------------------------

    @app.post("/api/login")
    def login(body: LoginIn, session: Db) -> dict[str, Any]:
        email = body.email.strip().lower()
        wait = limiter.retry_after(f"login:{email}")
        if wait:
            raise HTTPException(
                429,
                f"too many failed logins; try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        user = session.scalar(select(User).where(User.email == email))
        if user is None or not verify_password(user.password_hash, body.password):
            limiter.fail(f"login:{email}")
            raise HTTPException(401, "wrong email or password")
        return {
            "token": issue_login_token(settings.secret, user.id, settings.login_ttl_s),
            "user": {"id": user.id, "name": user.name, "email": user.email},
        }

    @app.get("/api/me")
    def me(user: CurrentUser, session: Db) -> dict[str, Any]:
        apps = session.scalars(select(RemoteApp)).all()
        return {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "apps": [
                {"id": a.id, "name": a.name, "agent": user in a.agents, "admin": user in a.admins}
                for a in apps
                if user in a.agents or user in a.admins
            ],
        }

    @app.get("/api/apps/{app_id}")
    def app_profile(app_id: str, session: Db) -> dict[str, Any]:
        """Public: the customer app needs its fields and appearance before anyone logs in."""
        remote_app = get_app(session, app_id)
        return {
            "id": remote_app.id,
            "name": remote_app.name,
            "fields": remote_app.fields,
            "appearance": {"title": remote_app.title, "logo": remote_app.logo},
        }

    @app.get("/api/apps/{app_id}/queue")
    def queue(app_id: str, user: CurrentUser, session: Db) -> dict[str, Any]:
        remote_app = get_app(session, app_id)
        admin, agent = user in remote_app.admins, user in remote_app.agents
        if not (admin or agent):
            raise HTTPException(403, "you are neither agent nor administrator of this app")
        now = utcnow()
        rows = []
        # plain columns, one query: building ORM objects (and loading each person apart)
        # was most of the cost of a long queue listed every few seconds by every agent
        found = session.execute(
            select(
                Presence.id,
                Presence.filled,
                Presence.waiting_since,
                Presence.partner_id,
                Presence.password,
                Person.business_name,
                Person.organization,
                Person.classification,
            )
            .outerjoin(Person, Presence.person_id == Person.id)
            .where(_waiting_clause(app_id, now, settings))
            .order_by(Presence.waiting_since)
        )
        for p in found:
            filled = p.filled or {}
            row: dict[str, Any] = {
                "name": filled.get("name") or p.business_name or "",
                "organization": filled.get("organization") or p.organization,
                "classification": p.classification,
                "waiting_since": iso(p.waiting_since),
                "waiting_s": int((now - p.waiting_since).total_seconds()),
                "queue_ref": f"q{p.id}",
            }
            if admin:
                row.update(partner_id=p.partner_id, password=p.password)
            rows.append(row)
        return {"app_id": app_id, "waiting": rows}

    @app.get("/api/apps/{app_id}/sessions")
    def in_progress(app_id: str, user: CurrentUser, session: Db) -> dict[str, Any]:
        """Sessions in progress on the app, for its agents and administrators to follow."""
        remote_app = get_app(session, app_id)
        if not (user in remote_app.admins or user in remote_app.agents):
            raise HTTPException(403, "you are neither agent nor administrator of this app")
        now = utcnow()
        rows = []
        found = session.execute(  # plain columns, one query (as the queue listing)
            select(
                RemoteSession.id,
                RemoteSession.agent_id,
                RemoteSession.connected_at,
                RemoteSession.offered_at,
                User.name.label("agent"),
                Presence.filled,
                Person.business_name,
                Person.organization,
            )
            .join(User, RemoteSession.agent_id == User.id)
            .join(Presence, RemoteSession.presence_id == Presence.id)
            .outerjoin(Person, Presence.person_id == Person.id)
            .where(RemoteSession.app_id == app_id, RemoteSession.state == "connected")
            .order_by(RemoteSession.connected_at)
            .limit(500)
        )
        for r in found:
            filled = r.filled or {}
            since = r.connected_at or r.offered_at
            rows.append(
                {
                    "session_id": r.id,
                    "agent": r.agent,
                    "mine": r.agent_id == user.id,
                    "customer": filled.get("name") or r.business_name or "",
                    "organization": filled.get("organization") or r.organization,
                    "connected_at": iso(since),
                    "duration_s": int((now - since).total_seconds()),
                }
            )
        return {"app_id": app_id, "sessions": rows}

    @app.get("/api/apps/{app_id}/indicators")
    def indicators(app_id: str, user: CurrentUser, session: Db) -> dict[str, Any]:
        remote_app = get_app(session, app_id)
        if user not in remote_app.admins:
            raise HTTPException(403, "indicators are for this app's administrators")
        return _indicators(session, app_id, settings)

    # ---- customers ------------------------------------------------------------------

    @app.post("/api/presence")
    def register(body: RegisterIn, session: Db) -> dict[str, Any]:
        remote_app = get_app(session, body.app_id)
        shown = set(shown_standard(remote_app.fields))
        filled = {k: v.strip() for k, v in body.fields.items() if k in shown}
        custom = {k: v.strip() for k, v in body.custom.items()}
        missing = missing_fields(required_standard(remote_app.fields), filled)
        missing += missing_fields(required_custom(remote_app.fields), custom)
        if missing:
            raise HTTPException(422, "missing required field(s): " + ", ".join(missing))
        presence = session.scalar(select(Presence).where(Presence.device_id == body.device_id))
        key = secrets.token_urlsafe(24)
        now = utcnow()
        if presence is None:
            presence = Presence(
                device_id=body.device_id,
                partner_id=_free_partner_id(session),
                app_id=remote_app.id,
                failures=0,
                key_hash="",
                password="",
                filled={},
            )
            session.add(presence)
        presence.app_id = remote_app.id
        presence.key_hash = sha256_hex(key)
        presence.password = new_customer_password()  # rotated at every start
        presence.failures = 0
        presence.filled = {**filled, "custom": custom}
        presence.person = _person_for(session, filled)
        presence.waiting_since = now
        presence.last_seen = now
        session.commit()
        return {
            "partner_id": presence.partner_id,
            "password": presence.password,
            "presence_key": key,
            "poll_wait_s": settings.poll_max_s,
            "lapse_s": settings.presence_lapse_s,
        }

    @app.delete("/api/presence/{partner_id}")
    def leave(presence: Annotated[Presence, Depends(current_presence)], session: Db) -> None:
        """The customer app closes: leave the queue now rather than after the lapse.

        The presence key is revoked too, so a poll still in flight cannot bring the
        customer back into the queue; it is woken and answers 401."""
        presence.last_seen = datetime(1970, 1, 1)
        presence.key_hash = ""
        session.commit()
        notifier.notify(presence.partner_id)

    @app.get("/api/presence/{partner_id}/events")
    async def poll(
        partner_id: str,
        x_presence_key: Annotated[str | None, Header()] = None,
        wait: Annotated[float, Query(ge=0)] = 25.0,
    ) -> dict[str, Any]:
        """Long poll: returns at once with pending offers, else after at most ``wait`` s.

        The first step refreshes the presence (a write); a wake-up collects again. A poll
        that simply ran out of time ends with a read-only step: with thousands of customers
        polling, a second write per poll would double the load on the one SQLite writer
        (and bunch up whenever many polls expire together); the next poll refreshes
        the presence at once anyway."""
        wait = min(wait, settings.poll_max_s)
        event = notifier.subscribe(partner_id)
        try:
            deadline = time.monotonic() + wait
            while True:
                result = await asyncio.to_thread(_collect, sessions, partner_id, x_presence_key)
                remaining = deadline - time.monotonic()
                if result["events"] or remaining <= 0 or notifier.closing:
                    return result
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except TimeoutError:
                    peeked = await asyncio.to_thread(_peek, sessions, partner_id, x_presence_key)
                    if peeked is not None:
                        return peeked
                    continue  # an offer came without a wake-up: hand it over
                event.clear()
        finally:
            notifier.unsubscribe(partner_id, event)

    # ---- sessions -------------------------------------------------------------------

    @app.post("/api/sessions")
    def connect(body: ConnectIn, user: CurrentUser, session: Db) -> dict[str, Any]:
        if body.queue_ref is not None:
            presence = _presence_by_ref(session, body.queue_ref)
            if presence is None or user not in presence.app.agents:
                raise HTTPException(403, "connecting from the queue is for agents of this app")
            via = "queue"
        elif body.partner_id is not None and body.password is not None:
            presence = _check_password(session, user, body.partner_id, body.password)
            via = "password"
        else:
            raise HTTPException(422, "give queue_ref, or partner_id and password")
        now = utcnow()
        _expire_stale(session, now)
        if not is_online(presence, now):
            raise HTTPException(409, "the customer is not online")
        busy = session.scalar(
            select(RemoteSession).where(
                RemoteSession.presence_id == presence.id, RemoteSession.state.in_(OPEN_STATES)
            )
        )
        if busy is not None:
            raise HTTPException(409, "the customer is already in a session")
        sid = uuid.uuid4().hex
        remote = RemoteSession(
            id=sid,
            app_id=presence.app_id,
            presence_id=presence.id,
            agent_id=user.id,
            via=via,
            state="offered",
            relay_address=settings.relay_address,
            customer_token=issue_token(
                settings.secret, sid, Role.CUSTOMER, ttl_s=settings.token_ttl_s
            ),
            expires_at=now + timedelta(seconds=settings.token_ttl_s),
            waiting_since=presence.waiting_since,
            offered_at=now,
        )
        presence.failures = 0
        session.add(remote)
        session.commit()
        notifier.notify(presence.partner_id)
        return {
            "session_id": sid,
            "state": "offered",
            "relay": settings.relay_address,
            "token": issue_token(settings.secret, sid, Role.AGENT, ttl_s=settings.token_ttl_s),
            "expires_at": iso(remote.expires_at),
            "partner_id": presence.partner_id,
        }

    @app.get("/api/sessions/{session_id}")
    def session_state(
        session_id: str,
        session: Db,
        authorization: Annotated[str | None, Header()] = None,
        x_presence_key: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        remote = _session_for_caller(session, session_id, authorization, x_presence_key)
        return _session_json(remote)

    @app.post("/api/sessions/{session_id}/end")
    def end(
        session_id: str,
        body: EndIn,
        session: Db,
        authorization: Annotated[str | None, Header()] = None,
        x_presence_key: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        remote = _session_for_caller(session, session_id, authorization, x_presence_key)
        _end(remote, body.reason, utcnow())
        session.commit()
        return _session_json(remote)

    def _check_password(session: Session, user: User, partner_id: str, password: str) -> Presence:
        """Rate-limited, constant-time check; unknown IDs fail exactly like bad passwords."""
        caller_key, partner_key = f"user:{user.id}", f"partner:{partner_id}"
        wait = limiter.retry_after(caller_key, partner_key)
        if wait:
            raise HTTPException(
                429,
                f"too many failed attempts; try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        if not session.scalar(select(RemoteApp).where(RemoteApp.agents.contains(user))):
            raise HTTPException(403, "only agents may connect")
        presence = session.scalar(select(Presence).where(Presence.partner_id == partner_id))
        stored = presence.password if presence is not None else secrets.token_hex(8)
        if presence is not None and hmac.compare_digest(stored.encode(), password.encode()):
            return presence
        limiter.fail(caller_key, partner_key)
        if presence is not None:
            presence.failures += 1
            if presence.failures >= settings.rotate_after_failures:
                presence.password = new_customer_password()
                presence.failures = 0
            session.commit()
        raise HTTPException(403, "wrong partner ID or password")

    def _session_for_caller(
        session: Session, session_id: str, authorization: str | None, presence_key: str | None
    ) -> RemoteSession:
        remote = session.get(RemoteSession, session_id)
        if remote is None:
            raise HTTPException(404, "no such session")
        if authorization and authorization.startswith("Bearer "):
            if verify_login_token(settings.secret, authorization[7:]) == remote.agent_id:
                return remote
        elif presence_key and hmac.compare_digest(
            remote.presence.key_hash, sha256_hex(presence_key)
        ):
            return remote
        raise HTTPException(403, "not a party to this session")

    # ---- relay reports ----------------------------------------------------------------

    @app.post("/relay/events")
    def relay_event(
        body: RelayEventIn, session: Db, x_relay_secret: Annotated[str | None, Header()] = None
    ) -> dict[str, str]:
        if not x_relay_secret or not hmac.compare_digest(
            x_relay_secret.encode(), report_key(settings.secret).encode()
        ):
            raise HTTPException(401, "bad relay secret")
        now = utcnow()
        node = session.get(RelayNode, body.relay_id)
        if node is None:
            node = RelayNode(id=body.relay_id)
            session.add(node)
        node.last_seen = now
        remote = session.get(RemoteSession, body.session_id) if body.session_id else None
        if body.event == "connected" and remote is not None and remote.state == "offered":
            remote.state, remote.connected_at, remote.relay_id = "connected", now, body.relay_id
        elif body.event == "ended" and remote is not None:
            _end(remote, body.reason or "relay-closed", now)
        elif body.event == "heartbeat":
            _reconcile(session, body.relay_id, set(body.sessions), now)
        session.commit()
        return {"status": "ok"}

    app.include_router(movidesk_router)
    return app


def _reconcile(session: Session, relay_id: str, running: set[str], now: datetime) -> None:
    """Repair state after a lost report: the relay's heartbeat lists what really runs.

    Reports and heartbeats leave the relay in order, so a session missing from a heartbeat
    after its "connected" report has ended, and one listed while still "offered" runs.
    """
    for remote in session.scalars(
        select(RemoteSession).where(
            RemoteSession.relay_id == relay_id, RemoteSession.state == "connected"
        )
    ):
        if remote.id not in running:
            _end(remote, "ended-unreported", now)
    for remote in session.scalars(
        select(RemoteSession).where(RemoteSession.id.in_(running), RemoteSession.state == "offered")
    ):
        remote.state, remote.connected_at, remote.relay_id = "connected", now, relay_id


def _end(remote: RemoteSession, reason: str, now: datetime) -> None:
    """End once (first reason wins) and rotate the customer's password."""
    if remote.state == "ended":
        return
    remote.state, remote.end_reason, remote.ended_at = "ended", reason, now
    remote.presence.password = new_customer_password()
    remote.presence.failures = 0
    remote.presence.waiting_since = now


def _session_json(remote: RemoteSession) -> dict[str, Any]:
    return {
        "session_id": remote.id,
        "state": remote.state,
        "end_reason": remote.end_reason,
        "via": remote.via,
        "agent": remote.agent.name,
        "partner_id": remote.presence.partner_id,
        "customer": str((remote.presence.filled or {}).get("name") or ""),
        "relay": remote.relay_address,
        "offered_at": iso(remote.offered_at),
        "connected_at": iso(remote.connected_at),
        "ended_at": iso(remote.ended_at),
    }


def _presence_by_ref(session: Session, queue_ref: str) -> Presence | None:
    if not queue_ref.startswith("q") or not queue_ref[1:].isdigit():
        return None
    return session.get(Presence, int(queue_ref[1:]))


def _free_partner_id(session: Session) -> str:
    while True:
        candidate = new_partner_id()
        if session.scalar(select(Presence.id).where(Presence.partner_id == candidate)) is None:
            return candidate


def _person_for(session: Session, filled: dict[str, str]) -> Person | None:
    """Link the customer to a known client by email, creating one on first contact."""
    email = (filled.get("email") or "").lower()
    if not email:
        return None
    person = session.scalar(select(Person).where(Person.email == email))
    if person is None:
        person = Person(
            business_name=filled.get("name") or email,
            email=email,
            phone=filled.get("phone"),
            organization=filled.get("organization"),
            profile_type=2,
        )
        session.add(person)
    return person


def _waiting_clause(app_id: str, now: datetime, settings: Settings) -> ColumnElement[bool]:
    """Online customers of the app not already in an open session."""
    fresh = now - timedelta(seconds=settings.presence_lapse_s)
    busy = select(RemoteSession.presence_id).where(RemoteSession.state.in_(OPEN_STATES))
    return and_(Presence.app_id == app_id, Presence.last_seen >= fresh, Presence.id.not_in(busy))


def _collect(
    sessions: sessionmaker[Session], partner_id: str, presence_key: str | None
) -> dict[str, Any]:
    """One poll step: refresh presence, hand over undelivered offers (each only once)."""
    with sessions() as session:
        presence = session.scalar(select(Presence).where(Presence.partner_id == partner_id))
        if (
            presence is None
            or not presence_key
            or not hmac.compare_digest(presence.key_hash, sha256_hex(presence_key))
        ):
            raise HTTPException(401, "unknown partner ID or wrong presence key")
        now = utcnow()
        # conditional on the key: a leave (which revokes it) that committed since the read
        # above must not be undone by this refresh
        refreshed = session.execute(
            update(Presence)
            .where(Presence.id == presence.id, Presence.key_hash == presence.key_hash)
            .values(last_seen=now)
            .execution_options(synchronize_session=False)
        )
        if refreshed.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            raise HTTPException(401, "unknown partner ID or wrong presence key")
        offers = session.scalars(
            select(RemoteSession).where(
                RemoteSession.presence_id == presence.id,
                RemoteSession.state == "offered",
                RemoteSession.offer_delivered.is_(False),
                RemoteSession.expires_at > now,
            )
        ).all()
        events = []
        for offer in offers:
            offer.offer_delivered = True
            events.append(
                {
                    "type": "session-offer",
                    "session_id": offer.id,
                    "relay": offer.relay_address,
                    "token": offer.customer_token,
                    "agent": offer.agent.name,
                    "expires_at": iso(offer.expires_at),
                }
            )
        session.commit()
        return {"partner_id": presence.partner_id, "password": presence.password, "events": events}


def _peek(
    sessions: sessionmaker[Session], partner_id: str, presence_key: str | None
) -> dict[str, Any] | None:
    """The end of a poll nobody woke: the same answer as ``_collect`` without writing
    (current password, no events), or None if an undelivered offer is there after all."""
    with sessions() as session:
        row = session.execute(
            select(Presence.id, Presence.key_hash, Presence.password).where(
                Presence.partner_id == partner_id
            )
        ).one_or_none()
        if (
            row is None
            or not presence_key
            or not hmac.compare_digest(row.key_hash, sha256_hex(presence_key))
        ):
            raise HTTPException(401, "unknown partner ID or wrong presence key")
        pending = session.scalar(
            select(RemoteSession.id)
            .where(
                RemoteSession.presence_id == row.id,
                RemoteSession.state == "offered",
                RemoteSession.offer_delivered.is_(False),
                RemoteSession.expires_at > utcnow(),
            )
            .limit(1)
        )
        if pending is not None:
            return None
        return {"partner_id": partner_id, "password": row.password, "events": []}


def _expire_stale(session: Session, now: datetime) -> None:
    for remote in session.scalars(
        select(RemoteSession).where(
            RemoteSession.state == "offered", RemoteSession.expires_at <= now
        )
    ):
        _end(remote, "not-joined", now)


def sweep(sessions: sessionmaker[Session], settings: Settings) -> None:
    """End offers nobody joined and connected sessions whose relay went silent."""
    now = utcnow()
    with sessions() as session:
        _expire_stale(session, now)
        silent_before = now - timedelta(seconds=settings.relay_lapse_s)
        lost = session.scalars(
            select(RemoteSession)
            .outerjoin(RelayNode, RelayNode.id == RemoteSession.relay_id)
            .where(
                RemoteSession.state == "connected",
                or_(RelayNode.id.is_(None), RelayNode.last_seen < silent_before),
            )
        )
        for remote in lost:
            _end(remote, "relay-lost", now)
        session.commit()


async def _sweep_forever(sessions: sessionmaker[Session], settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.sweep_s)
        try:
            await asyncio.to_thread(sweep, sessions, settings)
        except Exception as exc:  # a locked database must not kill the sweeper
            print(f"helpdesk event=sweep-failed error={exc!r}", flush=True)


def _indicators(session: Session, app_id: str, settings: Settings) -> dict[str, Any]:
    """Computed in Python over the last 7 days: fine for one helpdesk's volume."""
    now = utcnow()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = session.scalars(
        select(RemoteSession).where(
            RemoteSession.app_id == app_id, RemoteSession.offered_at >= now - timedelta(days=7)
        )
    ).all()
    served = [s for s in week if s.connected_at is not None]
    durations = [
        ((s.ended_at or now) - s.connected_at).total_seconds()
        for s in served
        if s.connected_at is not None
    ]
    waits = [
        (s.connected_at - s.waiting_since).total_seconds()
        for s in served
        if s.connected_at is not None
    ]
    return {
        "sessions_today": sum(1 for s in served if s.offered_at >= today),
        "sessions_7_days": len(served),
        "average_duration_s": round(sum(durations) / len(durations), 1) if durations else 0.0,
        "total_duration_s": round(sum(durations), 1),
        "average_queue_wait_s": round(sum(waits) / len(waits), 1) if waits else 0.0,
        "sessions_per_agent": dict(Counter(s.agent.name for s in served)),
        "customers_waiting": session.scalar(
            select(func.count(Presence.id)).where(_waiting_clause(app_id, now, settings))
        ),
        "sessions_in_progress": sum(1 for s in week if s.state == "connected"),
    }
