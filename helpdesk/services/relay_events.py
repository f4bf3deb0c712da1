"""What the relay reports (connected, ended, heartbeat), and the sweep that ends what
nobody reports: offers never joined, sessions of a relay gone silent.

Reports and heartbeats leave the relay in order, so a heartbeat is the truth about which
sessions run there: it repairs the state after a lost report.

Every report is signed over a timestamp and its body (``remotewire.relay_reports``);
``check_signature`` refuses a bad signature, a stale timestamp and a replay. The answer
tells the relay which sessions the server has ended (``ended``): since the heartbeat's
``ended_since`` cursor (or, from a relay that has none yet, within the token lifetime),
at most ``MAX_ENDED_PER_ANSWER``, so the relay refuses or closes them; and, whatever
their age, those the server has ended that the heartbeat lists running (``listed_ended``):
a relay must never run on a session the server has ended.

A "connected" or "ended" report is dated by the relay's clock
(``helpdesk.services.relay_dating``).

After a start, the sweep gives the relays a relay lapse to be heard from before it counts
anything against them: neither a relay's silence (``relay-lost``) nor an offer's expiry
(``not-joined``: the parties may have joined it while this server was down, the relay's
report of it still kept) counts the time the server was down. An expiry stamped anyway
(another process's sweep, an agent connecting to the customer again, a cut between the
relay and this server) gives way to the relay's word that the session runs, if within a
relay lapse of the expiry or of the relay's return from the silence the expiry fell in
(``relay_dating.heard``, ``relay_dating.reopenable``); so does a running session the
sweep ended ``relay-lost`` during such a silence (a cut, not the relay's death).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import sessionmaker

from helpdesk import lifecycle
from helpdesk.db import one_of
from helpdesk.errors import NotAuthenticated, RateLimited
from helpdesk.lifecycle import Event, State
from helpdesk.models import Presence, RelayNode, RelayReportSeen, RemoteSession
from helpdesk.services import relay_fleet
from helpdesk.services.presence import forget_stale
from helpdesk.services.relay_dating import (
    heard,
    relay_connected,
    relay_ended,
    reopen,
    reopenable,
)
from helpdesk.services.sessions import expired_offers, lock_customers
from helpdesk.settings import Settings
from remotewire.error_codes import ErrorCode
from remotewire.events import EventLog
from remotewire.relay_reports import (
    FRESHNESS_S,
    MAX_ENDED_PER_ANSWER,
    parse_timestamp,
    signature_valid,
)

events = EventLog("helpdesk")
CURSOR_SLACK_S = 5.0
"""An end committed just after the clock read that stamped it still reaches the relay."""
MAX_CURSOR = 64
CURSOR_SEP = "|"
REOPENABLE = tuple(lifecycle.FIXED_REASONS[by] for by in lifecycle.REOPENED_BY)
"""The end reasons of the events a relay's word may undo (``lifecycle.REOPENED_BY``)."""
SWEEP_LOCK = 0x72656D6F7465 + 1
"""PostgreSQL advisory lock key of a sweep round (``helpdesk.db.MIGRATION_LOCK`` + 1)."""


class SeenReports:
    """Signatures accepted within the freshness window: a second sight is a replay.
    Bounded: past ``capacity`` live entries new reports wait (429) for old ones to age
    out, rather than forgetting a signature that could then be replayed."""

    def __init__(self, window_s: float = FRESHNESS_S, capacity: int = 200_000) -> None:
        self.window_s = window_s
        self.capacity = capacity
        self._seen: dict[str, float] = {}  # signature -> when it stops mattering

    def admit(self, signature: str, timestamp: float, now: float) -> bool:
        """Record the signature; False if it was seen already."""
        if len(self._seen) >= self.capacity:
            self._seen = {s: until for s, until in self._seen.items() if until > now}
        if signature in self._seen:
            return False
        if len(self._seen) >= self.capacity:
            raise RateLimited(
                ErrorCode.TOO_MANY_RELAY_REPORTS, "too many relay reports", int(self.window_s)
            )
        self._seen[signature] = timestamp + self.window_s
        return True


def check_signature(
    settings: Settings,
    seen: SeenReports,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
) -> float:
    """A report is signed with the report key over its timestamp and body, fresh, and
    new (to this process: ``remember`` asks the database, shared by all). The signature
    is checked before anything is remembered about it. Returns the report's timestamp."""
    if (
        not timestamp
        or not signature
        or not signature_valid(settings.secret, timestamp, body, signature)
    ):
        raise NotAuthenticated(ErrorCode.BAD_RELAY_SECRET, "bad relay report signature")
    sent = parse_timestamp(timestamp)
    # The real wall clock, not ``settings.clock``: the timestamp comes from another host's
    # wall clock (a relay's), which a test moving the rules' clock does not move.
    now = time.time()
    if sent is None or abs(now - sent) > FRESHNESS_S:
        raise NotAuthenticated(ErrorCode.STALE_RELAY_REPORT, "relay report too old or too new")
    if not seen.admit(signature, sent, now):
        raise NotAuthenticated(ErrorCode.STALE_RELAY_REPORT, "relay report replayed")
    return sent


def remember(db: Db, signature: str, sent: float) -> None:
    """Keep a fresh report's signature in the database, in the report's transaction, so
    that a replay to any other server process is refused too (``SeenReports`` is one
    process's memory); two processes admitting it at once collide on the key."""
    if db.get(RelayReportSeen, signature) is not None:
        raise NotAuthenticated(ErrorCode.STALE_RELAY_REPORT, "relay report replayed")
    db.add(RelayReportSeen(signature=signature, until=_utc(sent + FRESHNESS_S)))


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def report(
    db: Db,
    settings: Settings,
    *,
    event: str,
    relay_id: str,
    session_id: str | None = None,
    reason: str | None = None,
    running: list[str] | tuple[str, ...] = (),
    ended_since: str | None = None,
    address: str | None = None,
    region: str | None = None,
    load: int | None = None,
    signature: str | None = None,
    sent: float | None = None,
    ended_at: float | None = None,
    received: datetime | None = None,
    connected_at: float | None = None,
) -> dict[str, Any]:
    """Record one relay report; unknown events and sessions only refresh the relay.
    Returns the answer: the sessions the relay must refuse or close (``ended``) and, to a
    heartbeat, the ``cursor`` of its next ``ended_since``. ``signature``/``sent``: the
    checked report's, remembered against replays (``remember``); ``connected_at`` /
    ``ended_at``: when a "connected" / "ended" report's session connected / ended, on the
    relay's clock, and ``received``: when the report arrived, on the server's
    (``relay_connected``, ``relay_ended``; default now)."""
    if signature is not None and sent is not None:
        remember(db, signature, sent)
    now = settings.clock.now()
    node = heard(db, relay_id, now, settings.relay_lapse_s)  # (first: a return after a cut)
    if event == "stopping":
        relay_fleet.stopping(node)
    else:  # a heartbeat says where the relay is and how busy (relay_fleet)
        relay_fleet.register(node, address, region, load)
    # locked: a party ending it at this moment must not be overwritten by "connected"
    session = (
        db.get(RemoteSession, session_id, with_for_update=True, populate_existing=True)
        if session_id
        else None
    )
    if event == "connected" and session is not None:
        age = None if connected_at is None or sent is None else sent - connected_at
        late = reopenable(db, session, now, settings.relay_lapse_s, relay_id)
        relay_connected(session, now, received or now, relay_id=relay_id, age=age, reopen_ok=late)
    elif event == "ended" and session is not None:
        # its customer's row next, held and read afresh: the end (or its correction,
        # which compares the customer's wait: ``lifecycle.correct``) writes it, and a
        # party's end of the customer's next session must not be overwritten
        db.get(
            Presence,
            session.presence_id,
            with_for_update={"key_share": True},
            populate_existing=True,
        )
        age = None if ended_at is None or sent is None else sent - ended_at
        relay_ended(session, now, received or now, relay_id=relay_id, reason=reason, age=age)
    elif event == "heartbeat":
        reconcile(db, relay_id, set(running), now, settings.relay_lapse_s)
    answer: dict[str, Any] = {"status": "ok", "ended": []}
    if event == "connected" and session is not None and session.state == State.ENDED.value:
        answer["ended"] = [{"session_id": session.id, "reason": session.end_reason}]
    elif event == "heartbeat":
        answer["ended"], answer["cursor"] = ended_for(db, settings, relay_id, ended_since, now)
        told = {item["session_id"] for item in answer["ended"]}
        answer["ended"] += [e for e in listed_ended(db, running) if e["session_id"] not in told]
    try:
        db.commit()
    except IntegrityError as exc:  # the same report admitted by another process just now
        db.rollback()
        raise NotAuthenticated(ErrorCode.STALE_RELAY_REPORT, "relay report replayed") from exc
    return answer


def ended_for(
    db: Db, settings: Settings, relay_id: str, since_text: str | None, now: datetime
) -> tuple[list[dict[str, str | None]], str]:
    """Sessions ended since the cursor that this relay may still see a token of: its own
    and those no relay has reported yet. Oldest first, bounded; the new cursor.

    After a full page the cursor is the last row's (ended_at, id), and the next page
    starts strictly after it: many sessions end at the same instant (a sweep ends every
    stale offer with one ``now``), and a cursor of the time alone would hand out the same
    full page forever. Otherwise it is the time of this answer, and the next answer looks
    ``CURSOR_SLACK_S`` further back, for ends committed late with an earlier time."""
    oldest = now - timedelta(seconds=settings.token_ttl_s + CURSOR_SLACK_S)
    since_time, after_id = _cursor(since_text)
    if after_id is not None and since_time is not None and since_time >= oldest:
        after = or_(
            RemoteSession.ended_at > since_time,
            and_(RemoteSession.ended_at == since_time, RemoteSession.id > after_id),
        )
    else:
        since = max(oldest, since_time or oldest) - timedelta(seconds=CURSOR_SLACK_S)
        after = RemoteSession.ended_at >= since
    rows = db.execute(
        select(RemoteSession.id, RemoteSession.end_reason, RemoteSession.ended_at)
        .where(
            RemoteSession.state == State.ENDED.value,
            after,
            or_(RemoteSession.relay_id.is_(None), RemoteSession.relay_id == relay_id),
        )
        .order_by(RemoteSession.ended_at, RemoteSession.id)
        .limit(MAX_ENDED_PER_ANSWER)
    ).all()
    cursor = now.isoformat()
    if len(rows) == MAX_ENDED_PER_ANSWER and rows[-1].ended_at is not None:
        cursor = f"{rows[-1].ended_at.isoformat()}{CURSOR_SEP}{rows[-1].id}"  # the rest next
    ended = [{"session_id": row.id, "reason": row.end_reason} for row in rows]
    return ended, cursor


def listed_ended(db: Db, running: list[str] | tuple[str, ...]) -> list[dict[str, str | None]]:
    """Sessions a heartbeat lists running that the server holds ended (``reconcile`` did
    not reopen them), however long ago they ended: the answer's look-back (``ended_for``)
    does not reach an end stamped early in a long cut between the relay and the server
    (``relay-lost``), and a relay that was not told ran such a session on, its customer
    shown free. At most ``MAX_ENDED_PER_ANSWER`` (the heartbeat lists at most 100 000,
    ``routers.relay_events``), in id order: the relay closes them and lists the rest
    in its next heartbeat."""
    if not running:
        return []
    rows = db.execute(
        select(RemoteSession.id, RemoteSession.end_reason)
        .where(one_of(db, RemoteSession.id, running), RemoteSession.state == State.ENDED.value)
        .order_by(RemoteSession.id)
        .limit(MAX_ENDED_PER_ANSWER)
    ).all()
    return [{"session_id": row.id, "reason": row.end_reason} for row in rows]


def reconcile(
    db: Db, relay_id: str, running: set[str], now: datetime, lapse_s: float = 0.0
) -> None:
    """A session missing from a heartbeat after its "connected" report has ended; one
    listed while still "offered" runs, and so does one listed that the server expired as
    not joined, or ended ``relay-lost``, within ``lapse_s``, or during this relay's
    silence if it is just back (``relay_dating.reopenable``). The rows are locked (in id
    order, one query, so two transactions never wait on each other in a circle) and
    re-read: a party's end committed meanwhile is seen, not overwritten. Then the
    presence rows of the customers whose sessions it may end or reopen, in their id
    order, all at once (``sessions.lock_customers``; docs/server.md, "Lock order")."""
    listed = one_of(db, RemoteSession.id, running)  # one parameter: up to 100 000 ids
    expired = and_(  # (``reopenable`` decides; these are the ends it may reopen)
        RemoteSession.state == State.ENDED.value, RemoteSession.end_reason.in_(REOPENABLE)
    )
    locked = db.scalars(
        select(RemoteSession)
        .where(
            or_(
                and_(
                    RemoteSession.relay_id == relay_id,
                    RemoteSession.state == State.CONNECTED.value,
                ),
                and_(listed, RemoteSession.state == State.OFFERED.value),
                and_(listed, expired),
            )
        )
        .order_by(RemoteSession.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    ending = [s for s in locked if s.state == State.CONNECTED.value and s.id not in running]
    listed_ended = [s for s in locked if s.state == State.ENDED.value]
    lock_customers(db, [s.presence_id for s in (*ending, *listed_ended)])
    for session in locked:
        if session.state == State.OFFERED.value:
            lifecycle.apply(session, Event.HEARTBEAT_LISTED, now, relay_id=relay_id)
        elif session.state == State.ENDED.value:
            if reopenable(db, session, now, lapse_s, relay_id):
                reopen(session, Event.HEARTBEAT_LISTED, now, relay_id=relay_id)
        elif session.id not in running:
            lifecycle.apply(session, Event.HEARTBEAT_MISSING, now)


def _cursor(text: str | None) -> tuple[datetime | None, str | None]:
    """A cursor we handed out: a naive UTC ISO time, and after a full page the last
    session id; (None, None) for anything else."""
    if not text or len(text) > MAX_CURSOR:
        return None, None
    time_text, _, after_id = text.partition(CURSOR_SEP)
    try:
        parsed = datetime.fromisoformat(time_text)
    except ValueError:
        return None, None
    if parsed.tzinfo is not None:
        return None, None
    return parsed, (after_id if after_id.isalnum() and after_id.isascii() else None)


def sweep(
    db_factory: sessionmaker[Db], settings: Settings, up_since: datetime | None = None
) -> None:
    """End offers nobody joined (``sessions.expired_offers``: on time, even where a cut
    between the relay and this server hides that they were joined; the relay's word
    reopens them once it is back, ``relay_dating.reopenable``) and connected sessions
    whose relay went silent; forget customer devices long gone
    (``presence.forget_stale``). On PostgreSQL one server process at a time
    (``SWEEP_LOCK``, held until the commit); the others skip the round rather than wait,
    so N processes sweep about as often as one, without deadlocks. The sessions' rows
    are taken first (skipping those another transaction holds), then their customers'
    presence rows, in id order, all at once (``sessions.lock_customers``;
    docs/server.md, "Lock order").

    A relay is silent only for time this process heard nothing while it ran
    (``up_since``: its start): a restart, an upgrade, an outage longer than the relay
    lapse ended every live session as "relay-lost" before the relays' next heartbeat.
    Likewise no offer expires (``not-joined``) before this process has run for a relay
    lapse: the parties may have joined it while the server was down, and the relay's
    kept "connected" report or its heartbeat comes within that lapse; before, an outage
    longer than the token lifetime ended such a running session, and its relay, told so,
    closed it (an offer nobody joined expires at most a lapse later)."""
    now = settings.clock.now()
    with db_factory() as db:
        if db.get_bind().dialect.name == "postgresql" and not db.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK}
        ):
            return  # another server process sweeps this round; its result is the same
        silent_before = now - timedelta(seconds=settings.relay_lapse_s)
        expired: list[RemoteSession] = []
        if up_since is not None and up_since > silent_before:
            silent_before = datetime.min  # up for less than the lapse: none silent yet
        else:  # nor any offer expired: the relays have not all been heard since the start
            expired = expired_offers(db, now)
        lost = db.scalars(  # a row another transaction holds is left to the next round
            select(RemoteSession)
            .outerjoin(RelayNode, RelayNode.id == RemoteSession.relay_id)
            .where(
                RemoteSession.state == State.CONNECTED.value,
                or_(RelayNode.id.is_(None), RelayNode.last_seen < silent_before),
            )
            .order_by(RemoteSession.id)
            .with_for_update(of=RemoteSession, skip_locked=True)
        ).all()
        lock_customers(db, [s.presence_id for s in (*expired, *lost)])
        for session in expired:
            lifecycle.apply(session, Event.NOT_JOINED, now)
        for session in lost:
            lifecycle.apply(session, Event.RELAY_LOST, now)
        forget_stale(db, settings, now)
        db.execute(delete(RelayReportSeen).where(RelayReportSeen.until < _utc(time.time())))
        db.commit()


async def sweep_forever(db_factory: sessionmaker[Db], settings: Settings) -> None:
    """Every ``sweep_s`` (the event loop's clock: a period, not a rule)."""
    up_since = settings.clock.now()
    while True:
        await asyncio.sleep(settings.sweep_s)
        try:
            await asyncio.to_thread(sweep, db_factory, settings, up_since)
        except Exception as exc:  # a locked database must not kill the sweeper
            events.emit("sweep-failed", error=repr(exc))
