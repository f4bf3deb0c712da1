"""What the relay reports (connected, ended, heartbeat), and the sweep that ends what
nobody reports: offers never joined, sessions of a relay gone silent.

Reports and heartbeats leave the relay in order, so a heartbeat is the truth about which
sessions run there: it repairs the state after a lost report.
"""

from __future__ import annotations

import asyncio
import hmac
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import sessionmaker

from helpdesk import lifecycle
from helpdesk.errors import NotAuthenticated
from helpdesk.lifecycle import Event, State
from helpdesk.models import RelayNode, RemoteSession
from helpdesk.services.sessions import expire_stale
from helpdesk.settings import Settings
from remotewire.error_codes import ErrorCode
from remotewire.events import EventLog
from remotewire.shared_secret import report_key

events = EventLog("helpdesk")


def check_report_key(settings: Settings, presented: str | None) -> None:
    """Reports carry a key derived from the shared secret, never the secret itself."""
    if not presented or not hmac.compare_digest(
        presented.encode(), report_key(settings.secret).encode()
    ):
        raise NotAuthenticated(ErrorCode.BAD_RELAY_SECRET, "bad relay secret")


def report(
    db: Db,
    settings: Settings,
    *,
    event: str,
    relay_id: str,
    session_id: str | None = None,
    reason: str | None = None,
    running: list[str] | tuple[str, ...] = (),
) -> None:
    """Record one relay report; unknown events and sessions only refresh the relay."""
    now = settings.clock.now()
    node = db.get(RelayNode, relay_id)
    if node is None:
        node = RelayNode(id=relay_id)
        db.add(node)
    node.last_seen = now
    session = db.get(RemoteSession, session_id) if session_id else None
    if event == "connected" and session is not None:
        lifecycle.apply(session, Event.RELAY_CONNECTED, now, relay_id=relay_id)
    elif event == "ended" and session is not None:
        lifecycle.apply(session, Event.RELAY_ENDED, now, reason=reason)
    elif event == "heartbeat":
        reconcile(db, relay_id, set(running), now)
    db.commit()


def reconcile(db: Db, relay_id: str, running: set[str], now: datetime) -> None:
    """A session missing from a heartbeat after its "connected" report has ended; one
    listed while still "offered" runs."""
    for session in db.scalars(
        select(RemoteSession).where(
            RemoteSession.relay_id == relay_id, RemoteSession.state == State.CONNECTED.value
        )
    ):
        if session.id not in running:
            lifecycle.apply(session, Event.HEARTBEAT_MISSING, now)
    for session in db.scalars(
        select(RemoteSession).where(
            RemoteSession.id.in_(running), RemoteSession.state == State.OFFERED.value
        )
    ):
        lifecycle.apply(session, Event.HEARTBEAT_LISTED, now, relay_id=relay_id)


def sweep(db_factory: sessionmaker[Db], settings: Settings) -> None:
    """End offers nobody joined and connected sessions whose relay went silent."""
    now = settings.clock.now()
    with db_factory() as db:
        expire_stale(db, now)
        silent_before = now - timedelta(seconds=settings.relay_lapse_s)
        lost = db.scalars(
            select(RemoteSession)
            .outerjoin(RelayNode, RelayNode.id == RemoteSession.relay_id)
            .where(
                RemoteSession.state == State.CONNECTED.value,
                or_(RelayNode.id.is_(None), RelayNode.last_seen < silent_before),
            )
        )
        for session in lost:
            lifecycle.apply(session, Event.RELAY_LOST, now)
        db.commit()


async def sweep_forever(db_factory: sessionmaker[Db], settings: Settings) -> None:
    """Every ``sweep_s`` (the event loop's clock: a period, not a rule)."""
    while True:
        await asyncio.sleep(settings.sweep_s)
        try:
            await asyncio.to_thread(sweep, db_factory, settings)
        except Exception as exc:  # a locked database must not kill the sweeper
            events.emit("sweep-failed", error=repr(exc))
