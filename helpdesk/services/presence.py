"""Customers: registration, the presence key, leaving, the long poll, the lapse.

A customer app registers (stable partner ID per device, fresh password and presence key)
and then long-polls; each poll refreshes its presence, which lapses
``presence_lapse_s`` after the last one. The presence key is checked in one place,
``check_presence_key``, whichever call presents it.

The agent app registers and polls the same way, so that colleagues can connect to the
agent by ID and password; it registers with the agent's login, and such a *staff*
presence is never a waiting customer (``waiting_clause``).
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import sessionmaker

from helpdesk.db import insert_unless_exists
from helpdesk.errors import InvalidInput, NotAuthenticated
from helpdesk.inputs import parse_id
from helpdesk.lifecycle import OPEN_STATES, State
from helpdesk.limits import FailureLimiter, Rule
from helpdesk.models import Person, Presence, RemoteApp, RemoteSession, User
from helpdesk.notify import Notifier
from helpdesk.security import new_customer_password, new_partner_id, sha256_hex
from helpdesk.settings import Settings
from remotewire.customer_fields import (
    MAX_FIELD_LENGTH,
    missing_fields,
    required_custom,
    required_standard,
    shown_standard,
)
from remotewire.error_codes import ErrorCode

REVOKED_AT = datetime(1970, 1, 1)  #: ``last_seen`` of a customer who left


@dataclass(frozen=True, slots=True)
class Offer:
    session_id: str
    relay: str
    token: str
    agent: str
    expires_at: datetime
    via: str
    salt: bytes | None  #: end-to-end secrets (remotewire.session_keys), HTTPS only
    psk: bytes | None


@dataclass(frozen=True, slots=True)
class PollAnswer:
    partner_id: str
    password: str
    """Current password: it rotates after sessions and failures."""
    offers: tuple[Offer, ...] = ()


def key_matches(key_hash: str, presence_key: str | None) -> bool:
    """Constant-time check of a presented presence key against the stored hash."""
    return bool(presence_key) and hmac.compare_digest(key_hash, sha256_hex(presence_key or ""))


def check_presence_key(key_hash: str | None, presence_key: str | None) -> None:
    """The one presence-key check: an unknown partner ID (``key_hash`` None) fails the
    same way as a wrong or revoked key."""
    if key_hash is None or not key_matches(key_hash, presence_key):
        raise NotAuthenticated(
            ErrorCode.WRONG_PRESENCE_KEY, "unknown partner ID or wrong presence key"
        )


def authenticate(db: Db, partner_id: str, presence_key: str | None) -> Presence:
    presence = db.scalar(select(Presence).where(Presence.partner_id == partner_id))
    check_presence_key(presence.key_hash if presence else None, presence_key)
    assert presence is not None
    return presence


def is_online(presence: Presence, now: datetime, settings: Settings) -> bool:
    return presence.last_seen >= now - timedelta(seconds=settings.presence_lapse_s)


def waiting_clause(app_id: str, now: datetime, settings: Settings) -> ColumnElement[bool]:
    """Online customers of the app not already in an open session: the one definition
    of "waiting" that the queue, the monitoring page (and its live updates) and the
    indicators share. An agent's own presence is no customer, so it never waits."""
    fresh = now - timedelta(seconds=settings.presence_lapse_s)
    busy = select(RemoteSession.presence_id).where(RemoteSession.state.in_(OPEN_STATES))
    return and_(
        Presence.app_id == app_id,
        Presence.staff_user_id.is_(None),
        Presence.last_seen >= fresh,
        Presence.id.not_in(busy),
    )


def by_queue_ref(db: Db, queue_ref: str) -> Presence | None:
    """The customer a queue reference ("q<id>", as the queue lists it) names, or None:
    never an agent's own presence, which the queue does not list (its row id guessed,
    a colleague would connect to the agent without the password)."""
    number = parse_id(queue_ref[1:]) if queue_ref.startswith("q") else None  # ("-1": no q1)
    presence = db.get(Presence, number) if number is not None else None
    return presence if presence is not None and presence.staff_user_id is None else None


def register(
    db: Db,
    settings: Settings,
    app: RemoteApp,
    device_id: str,
    fields: dict[str, str],
    custom: dict[str, str],
    limiter: FailureLimiter | None = None,
    staff: User | None = None,
) -> tuple[Presence, str]:
    """Enter the queue; returns the presence and its new key (shown only now).

    ``staff``: the logged-in user (the caller's bearer) whose own presence this is; it
    stays out of the queue, and is linked to no client. Without it the device is a
    customer's again, even if it was an agent's before.

    Anonymous, so bounded (issue 10 §3.5): only the app's shown standard fields and
    declared custom keys are kept, each at most ``MAX_FIELD_LENGTH`` characters; with a
    ``limiter`` (the router's), registrations per source address and per app are
    limited (429 ``too-many-registrations`` with Retry-After)."""
    shown = set(shown_standard(app.fields))
    declared = {str(c.get("key")) for c in app.fields.get("custom") or [] if isinstance(c, dict)}
    filled = {k: v.strip() for k, v in fields.items() if k in shown}
    custom = {k: v.strip() for k, v in custom.items() if k in declared}
    too_long = [k for k, v in (filled | custom).items() if len(v) > MAX_FIELD_LENGTH]
    if too_long:
        raise InvalidInput(
            ErrorCode.INVALID_INPUT,
            f"field(s) longer than {MAX_FIELD_LENGTH} characters: " + ", ".join(sorted(too_long)),
        )
    missing = missing_fields(required_standard(app.fields), filled)
    missing += missing_fields(required_custom(app.fields), custom)
    if missing and staff is None:  # (the customers' form: an agent's app fills none of it)
        raise InvalidInput(
            ErrorCode.MISSING_FIELDS, "missing required field(s): " + ", ".join(missing)
        )
    if limiter is not None:
        limiter.reserve(
            db,
            [
                Rule(
                    f"register-address:{limiter.address}",
                    settings.register_per_address,
                    settings.register_window_s,
                ),
                Rule(
                    f"register-app:{app.id}", settings.register_per_app, settings.register_window_s
                ),
            ],
            code=ErrorCode.TOO_MANY_REGISTRATIONS,
            message="too many registrations; try again in {wait} s",
        )  # never released: every registration counts
    presence = db.scalar(select(Presence).where(Presence.device_id == device_id))
    key = secrets.token_urlsafe(24)
    now = settings.clock.now()
    if presence is None:
        presence = _insert_device(db, device_id, app.id, now)
    presence.app_id = app.id
    presence.key_hash = sha256_hex(key)
    presence.password = new_customer_password()  # rotated at every start
    presence.failures = 0
    presence.filled = {**filled, "custom": custom}
    presence.person = None if staff is not None else _person_for(db, filled)
    presence.staff_user_id = staff.id if staff is not None else None
    presence.waiting_since = now
    presence.last_seen = now
    db.commit()
    return presence, key


def leave(db: Db, notifier: Notifier, presence: Presence) -> None:
    """Leave the queue now rather than after the lapse; the key is revoked too, so a
    poll still in flight cannot bring the customer back: it is woken and answers 401."""
    presence.last_seen = REVOKED_AT
    presence.key_hash = ""
    notifier.notify_on_commit(db, presence.partner_id)  # every process's waiter
    db.commit()


async def long_poll(
    db_factory: sessionmaker[Db],
    notifier: Notifier,
    settings: Settings,
    partner_id: str,
    presence_key: str | None,
    wait_s: float,
) -> PollAnswer:
    """Returns at once with pending offers, else after at most ``wait_s`` (capped).

    The first step refreshes the presence (a write); a wake-up collects again. A poll
    that simply ran out of time ends with a read-only step: with thousands of customers
    polling, a second write per poll would double the load on the one SQLite writer
    (and bunch up whenever many polls expire together); the next poll refreshes the
    presence at once anyway. The wait is I/O, timed by the event loop's clock."""
    wait_s = min(wait_s, settings.poll_max_s)
    event = notifier.subscribe(partner_id)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            answer = await asyncio.to_thread(
                collect, db_factory, settings, partner_id, presence_key
            )
            remaining = deadline - time.monotonic()
            if answer.offers or remaining <= 0 or notifier.closing:
                return answer
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                peeked = await asyncio.to_thread(
                    peek, db_factory, settings, partner_id, presence_key
                )
                if peeked is not None:
                    return peeked
                continue  # an offer came without a wake-up: hand it over
            event.clear()
    finally:
        notifier.unsubscribe(partner_id, event)


def collect(
    db_factory: sessionmaker[Db], settings: Settings, partner_id: str, presence_key: str | None
) -> PollAnswer:
    """One poll step: refresh presence, hand over undelivered offers (each only once).

    The offers' rows are written before the presence's: every writer takes a session's
    row before its customer's presence (an end locks the session, then gives the customer
    a new password), and a poll that took them the other way round deadlocked with an
    end racing it on PostgreSQL (tests/helpdesk/test_end_race.py)."""
    with db_factory() as db:
        presence = authenticate(db, partner_id, presence_key)
        now = settings.clock.now()
        offered = db.scalars(
            select(RemoteSession).where(
                RemoteSession.presence_id == presence.id,
                RemoteSession.state == State.OFFERED.value,
                RemoteSession.offer_delivered.is_(False),
                RemoteSession.expires_at > now,
            )
        ).all()
        # conditional, the sessions' rows first (see above): an offer ended since the read
        # (a party, or a reopen withdrawing it: ``relay_dating``) is not handed over. One
        # update per offer, by its row count (a customer has one open session at most;
        # no RETURNING, which SQLite before 3.35 lacks)
        handed = {session.id for session in offered if _hand_over(db, session.id)}
        offers = [
            Offer(
                session.id,
                session.relay_address,
                session.customer_token,
                session.agent.name,
                session.expires_at,
                session.via,
                session.e2e_salt,
                session.e2e_psk,
            )
            for session in offered
            if session.id in handed
        ]
        # conditional on the key: a leave (which revokes it) that committed since the read
        # above must not be undone by this refresh (nor its offers handed over)
        refreshed = db.execute(
            update(Presence)
            .where(Presence.id == presence.id, Presence.key_hash == presence.key_hash)
            .values(last_seen=now)
            .execution_options(synchronize_session=False)
        )
        if refreshed.rowcount != 1:  # type: ignore[attr-defined]
            db.rollback()
            check_presence_key(None, presence_key)
        db.commit()
        return PollAnswer(presence.partner_id, presence.password, tuple(offers))


def _hand_over(db: Db, session_id: str) -> bool:
    """Mark the offer delivered if it is still offered and not yet handed over."""
    marked = db.execute(
        update(RemoteSession)
        .where(
            RemoteSession.id == session_id,
            RemoteSession.state == State.OFFERED.value,
            RemoteSession.offer_delivered.is_(False),
        )
        .values(offer_delivered=True)
        .execution_options(synchronize_session=False)
    )
    return bool(marked.rowcount == 1)  # type: ignore[attr-defined]


def peek(
    db_factory: sessionmaker[Db], settings: Settings, partner_id: str, presence_key: str | None
) -> PollAnswer | None:
    """The end of a poll nobody woke: the same answer as ``collect`` without writing
    (current password, no offers), or None if an undelivered offer is there after all."""
    with db_factory() as db:
        row = db.execute(
            select(Presence.id, Presence.key_hash, Presence.password).where(
                Presence.partner_id == partner_id
            )
        ).one_or_none()
        check_presence_key(row.key_hash if row else None, presence_key)
        assert row is not None
        pending = db.scalar(
            select(RemoteSession.id)
            .where(
                RemoteSession.presence_id == row.id,
                RemoteSession.state == State.OFFERED.value,
                RemoteSession.offer_delivered.is_(False),
                RemoteSession.expires_at > settings.clock.now(),
            )
            .limit(1)
        )
        if pending is not None:
            return None
        return PollAnswer(partner_id, row.password)


def forget_stale(db: Db, settings: Settings, now: datetime, batch: int = 1000) -> int:
    """Delete customer devices that neither registered nor polled for
    ``presence_retention_s`` and were never in a session (those stay: the sessions'
    history points at them); the sweeper calls this, a bounded batch at a time.
    Registration creates no client record, so nothing else is left behind."""
    cutoff = now - timedelta(seconds=settings.presence_retention_s)
    used = select(RemoteSession.id).where(RemoteSession.presence_id == Presence.id).exists()
    stale = db.scalars(
        select(Presence.id)
        .where(Presence.waiting_since < cutoff, Presence.last_seen < cutoff, ~used)
        .limit(batch)
    ).all()
    if stale:
        db.execute(delete(Presence).where(Presence.id.in_(stale)))
    return len(stale)


def _insert_device(db: Db, device_id: str, app_id: str, now: datetime) -> Presence:
    """The device's row, inserted unless it exists. A new device's app that starts twice
    at once (or retries) raced to insert it: the loser's INSERT failed on the unique
    ``device_id`` (a 500, on both databases). Now the loser's INSERT does nothing and both
    read the one row: every registration succeeds, with one partner ID, as sequential
    ones do."""
    row = {
        "device_id": device_id,
        "partner_id": _free_partner_id(db),
        "app_id": app_id,
        "failures": 0,
        "key_hash": "",
        "password": "",
        "filled": {},
        "waiting_since": now,
        "last_seen": now,
    }
    insert_unless_exists(db, Presence, row, [Presence.device_id])
    return db.scalars(select(Presence).where(Presence.device_id == device_id)).one()


def _free_partner_id(db: Db) -> str:
    while True:
        candidate = new_partner_id()
        if db.scalar(select(Presence.id).where(Presence.partner_id == candidate)) is None:
            return candidate


def _person_for(db: Db, filled: dict[str, str]) -> Person | None:
    """The known client with the typed email, if any: an *unverified* link (anyone can
    type any email), used only to show a ticket's requester as online; the queue shows
    what the customer typed, never the client record's organization or classification.
    No client is created: a registration must not add a permanent record."""
    email = (filled.get("email") or "").lower()
    if not email:
        return None
    return db.scalars(
        select(Person).where(Person.email == email, Person.profile_type == 2).limit(1)
    ).first()
