"""Support sessions as the parties see them: an agent connects (partner ID + password, or
from the queue), either party reads or ends its session.

Each new session gets its end-to-end secrets (``remotewire.session_keys``): a random salt,
and for queue and connect-code sessions a pre-shared key. Both go to the agent in its
grant and to the customer in its offer, over HTTPS only, never into a relay token.

Every state change goes through ``helpdesk.lifecycle.apply``.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from helpdesk import lifecycle
from helpdesk.db import lock_row, one_of
from helpdesk.errors import Conflict, InvalidInput, NotAllowed, NotFound
from helpdesk.lifecycle import OPEN_STATES, Event, State
from helpdesk.limits import FailureLimiter, Rule, backoff
from helpdesk.models import Presence, RemoteApp, RemoteSession, User
from helpdesk.notify import Notifier
from helpdesk.security import new_customer_password
from helpdesk.services import relay_fleet
from helpdesk.services.auth import ADDRESS_FAILURES_FACTOR, CEILING_FACTOR, bearer_user
from helpdesk.services.presence import by_queue_ref, is_online, key_matches
from helpdesk.settings import Settings
from remotewire.error_codes import ErrorCode
from remotewire.roles import Role
from remotewire.session_keys import needs_psk, new_psk, new_salt
from remotewire.tokens import issue_token


@dataclass(frozen=True, slots=True)
class Grant:
    session: RemoteSession
    agent_token: str


def connect(
    db: Db,
    settings: Settings,
    limiter: FailureLimiter,
    notifier: Notifier,
    user: User,
    *,
    partner_id: str | None = None,
    password: str | None = None,
    queue_ref: str | None = None,
    by_code: bool = False,
) -> Grant:
    """Offer a session to a customer: the customer's poll gets it (and is woken).
    ``by_code``: the queue reference came from a redeemed connect code."""
    if queue_ref is not None:
        presence = by_queue_ref(db, queue_ref)
        if presence is None or user not in presence.app.agents:
            raise NotAllowed(
                ErrorCode.NOT_APP_AGENT, "connecting from the queue is for agents of this app"
            )
        via = "code" if by_code else "queue"
    elif partner_id is not None and password is not None:
        presence = check_password(db, settings, limiter, user, partner_id, password)
        via = "password"
    else:
        raise InvalidInput(ErrorCode.INVALID_INPUT, "give queue_ref, or partner_id and password")
    _take_customer(db, presence)
    now = settings.clock.now()
    expire_stale(db, now, presence.id)  # (only this customer's: the others' presences
    # are not ours to write while we hold this one, or two connects could deadlock)
    if not is_online(presence, now, settings):
        raise Conflict(ErrorCode.CUSTOMER_OFFLINE, "the customer is not online")
    busy = db.scalar(
        select(RemoteSession).where(
            RemoteSession.presence_id == presence.id, RemoteSession.state.in_(OPEN_STATES)
        )
    )
    if busy is not None:
        raise Conflict(ErrorCode.CUSTOMER_BUSY, "the customer is already in a session")
    sid = uuid.uuid4().hex
    session = RemoteSession(
        id=sid,
        app_id=presence.app_id,
        presence_id=presence.id,
        agent_id=user.id,
        via=via,
        state=State.OFFERED.value,
        relay_address=relay_fleet.place(db, settings, presence.app_id, now),
        customer_token=issue_token(settings.secret, sid, Role.CUSTOMER, ttl_s=settings.token_ttl_s),
        expires_at=now + timedelta(seconds=settings.token_ttl_s),
        waiting_since=presence.waiting_since,
        offered_at=now,
        e2e_salt=new_salt(),
        e2e_psk=new_psk() if needs_psk(via) else None,
    )
    presence.failures = 0
    db.add(session)
    notifier.notify_on_commit(db, presence.partner_id)  # the poll, in whichever process
    db.commit()
    agent_token = issue_token(settings.secret, sid, Role.AGENT, ttl_s=settings.token_ttl_s)
    return Grant(session, agent_token)


def check_password(
    db: Db,
    settings: Settings,
    limiter: FailureLimiter,
    user: User,
    partner_id: str,
    password: str,
) -> Presence:
    """Rate-limited, constant-time check; unknown IDs fail exactly like bad passwords.

    The attempt is reserved before the check (``helpdesk.limits``) under: this agent and
    this partner, with backoff (a mistyping agent waits, others are not affected); this
    agent, any partner; the source address; and a ceiling for the partner, ten times
    higher over ten windows, so a guesser spread over many accounts is stopped too while
    one agent's guesses never lock the real agent out. The customer's password still
    rotates after ``rotate_after_failures`` failures."""
    if not db.scalar(select(RemoteApp).where(RemoteApp.agents.contains(user))):
        raise NotAllowed(ErrorCode.NOT_AN_AGENT, "only agents may connect")
    n, window = settings.rate_max_failures, settings.rate_window_s
    pair = f"partner-pair:{user.id}:{partner_id}"
    reservation = limiter.reserve(
        db,
        [
            *backoff(pair, n, window),
            *backoff(f"caller:{user.id}", 2 * n, window),
            Rule(f"address:{limiter.address}", n * ADDRESS_FAILURES_FACTOR, window),
            Rule(f"partner:{partner_id}", n * CEILING_FACTOR, window * CEILING_FACTOR),
        ],
        code=ErrorCode.TOO_MANY_FAILED_ATTEMPTS,
        message="too many failed attempts; try again in {wait} s",
        forgive=[pair],
    )
    presence = db.scalar(select(Presence).where(Presence.partner_id == partner_id))
    stored = presence.password if presence is not None else secrets.token_hex(8)
    if presence is not None and hmac.compare_digest(stored.encode(), password.encode()):
        limiter.release(db, reservation)
        return presence
    if presence is not None:
        presence.failures += 1
        if presence.failures >= settings.rotate_after_failures:
            presence.password = new_customer_password()
            presence.failures = 0
        db.commit()
    raise NotAllowed(ErrorCode.WRONG_PARTNER_PASSWORD, "wrong partner ID or password")


def session_for_party(
    db: Db,
    settings: Settings,
    session_id: str,
    authorization: str | None,
    presence_key: str | None,
) -> RemoteSession:
    """The session, for its agent (bearer) or its customer (presence key) only."""
    session = db.get(RemoteSession, session_id)
    if session is None:
        raise NotFound(ErrorCode.UNKNOWN_SESSION, "no such session")
    if authorization is not None and authorization.startswith("Bearer "):
        agent = bearer_user(db, settings, authorization)
        if agent is not None and agent.id == session.agent_id:
            return session
    elif key_matches(session.presence.key_hash, presence_key):
        return session
    raise NotAllowed(ErrorCode.NOT_A_PARTY, "not a party to this session")


def end_by_party(db: Db, settings: Settings, session: RemoteSession, reason: str) -> None:
    """Either party ends it; a session already ended keeps its first reason, but for a
    ``relay-lost`` stamp (``lifecycle.CORRECTIONS``): a cut between the relay and the
    server may hide that it runs, and the relay's return would reopen it, so the party's
    reason replaces the stamp's (its time stays: the session may be long dead, its
    relay too). The row is locked and re-read first: the relay's "connected" report,
    committed at this moment, must not be overwritten (nor overwrite this end)."""
    db.refresh(session, with_for_update=True)
    if lifecycle.corrects(session, Event.PARTY_ENDED):
        assert session.ended_at is not None  # (``corrects``: an ended session)
        lifecycle.correct(session, Event.PARTY_ENDED, session.ended_at, reason)
    else:
        lifecycle.apply(session, Event.PARTY_ENDED, settings.clock.now(), reason=reason)
    db.commit()


def expired_offers(db: Db, now: datetime, presence_id: int | None = None) -> list[RemoteSession]:
    """The offers whose tokens expired before anyone joined (``presence_id``: only that
    customer's), locked in id order; a row another transaction holds is left to the next
    round. The sweep ends them all, then takes their customers' presence rows
    (``lock_customers``)."""
    mine = () if presence_id is None else (RemoteSession.presence_id == presence_id,)
    return list(
        db.scalars(
            select(RemoteSession)
            .where(
                RemoteSession.state == State.OFFERED.value, RemoteSession.expires_at <= now, *mine
            )
            .order_by(RemoteSession.id)
            .with_for_update(skip_locked=True)
        )
    )


def expire_stale(db: Db, now: datetime, presence_id: int) -> None:
    """End the customer's expired offers: the caller (``connect``) holds its presence row
    and is offering it a new session, which the agent chose over any old one."""
    for session in expired_offers(db, now, presence_id):
        lifecycle.apply(session, Event.NOT_JOINED, now)


def lock_customers(db: Db, presence_ids: Iterable[int]) -> None:
    """Hold these customers' presence rows, in id order, until commit: a transaction
    that writes (or, reopening an offer, reads) several customers' rows takes them all
    at once in this order, after its sessions' rows, so two such transactions never wait
    on each other in a circle (docs/server.md, "Lock order"). On SQLite, whose one writer
    the caller already is, a plain read."""
    wanted = sorted(set(presence_ids))
    if wanted:
        db.execute(
            select(Presence.id)
            .where(one_of(db, Presence.id, wanted))
            .order_by(Presence.id)
            .with_for_update(key_share=True)  # FOR NO KEY UPDATE: what a row's UPDATE takes
        ).all()


def _take_customer(db: Db, presence: Presence) -> None:
    """Serialize the agents connecting to one customer, up to commit.

    The "already in a session" check was a plain read with the insert after it: 20
    agents (or one agent's 20 requests) connecting at once got up to 11 offers for one
    customer. With the customer's presence row held, the check that follows sees every
    committed offer."""
    lock_row(db, Presence, presence.id)
