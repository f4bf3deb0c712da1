"""When a relay's connect and end happened, by the relay's clock (``relay_connected``,
``relay_ended``): a "connected" or "ended" report from a current relay carries
``connected_at`` or ``ended_at``, and the server records the event that long before the
report arrived, not when it arrived (a relay sends them again until accepted, so after an
outage of the server that can be minutes later), bounded (``lifecycle.dated``).

And whether a relay's word that a session runs comes soon enough to reopen it after the
server ended it as not joined, or as ``relay-lost`` (``reopenable``,
``lifecycle.REOPENED_BY``): within a relay lapse of that end, or of the relay's return
(``heard``) after a silence the end fell in; offers made to its customer meanwhile,
which its app (in that session) never fetched, are withdrawn (``customer-busy``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from helpdesk import lifecycle
from helpdesk.db import insert_unless_exists, lock_row
from helpdesk.lifecycle import OPEN_STATES, Event, State
from helpdesk.models import RelayNode, RemoteSession
from helpdesk.services.sessions import lock_customers
from remotewire import constants as c
from remotewire.events import EventLog

events = EventLog("helpdesk")
CONNECT_SLACK_S = 1.0
"""A relay's connect time less than this before the recorded one changes nothing: a
repeat of the report already taken (its delivery slower or faster), not a correction."""
SILENCES_JOINED_S = 3600.0
"""How long silences a relay's short returns separate count as one (``heard``): as long
as a relay keeps its reports (``remoterelay.reporting``, ``keep_ends_s``); a relay that
keeps flapping does not hold its first silence's window open for good."""


def heard(db: Db, relay_id: str, now: datetime, lapse_s: float) -> RelayNode:
    """The reporting relay's row, held to commit (``lock_row``) and heard from ``now``.

    Every report calls it first, whatever its kind: after a silence longer than
    ``lapse_s`` (a cut, or this server down) the first one through, a heartbeat or a kept
    report of any session, marks the relay's return (``back_at``) and when it was last
    heard before (``silent_from``); ``reopenable`` counts its window from there. A
    silence that began within a lapse of the previous return extends that one (the
    relay cut again before its window ran out), for at most ``SILENCES_JOINED_S``. Held,
    so that of two server processes taking the relay's first reports at once, the second
    sees the first's mark; a relay never heard from is inserted first (never silent),
    as two of its first reports may race (a report slower than the relay's timeout)."""
    insert_unless_exists(db, RelayNode, {"id": relay_id, "last_seen": now}, [RelayNode.id])
    lock_row(db, RelayNode, relay_id)
    node = db.get(RelayNode, relay_id, populate_existing=True)
    assert node is not None  # (inserted above, and relays are never deleted)
    lapse = timedelta(seconds=lapse_s)
    if node.last_seen < now - lapse:
        again = (
            node.back_at is not None
            and node.silent_from is not None
            and node.last_seen <= node.back_at + lapse
            and now - node.silent_from <= timedelta(seconds=SILENCES_JOINED_S)
        )
        if not again:
            node.silent_from = node.last_seen
        node.back_at = now
    node.last_seen = now
    return node


def reopenable(
    db: Db, session: RemoteSession, now: datetime, lapse_s: float, relay_id: str | None = None
) -> bool:
    """Whether the relay's word that ``session`` runs (its "connected" report, or a
    heartbeat listing it) reopens it (``lifecycle.reopens``: expired as not joined, or
    ended ``relay-lost``) now, ``relay_id`` being the relay that says so (its row read
    by ``heard``): the customer has no other open session but offers not yet handed to
    it (``_make_way`` withdraws those; an agent who connected again since, and whose
    session the customer joined, chose that one), and the word comes within a relay
    lapse (``lapse_s``) of the end, or of the relay's return (``back_at``) from a
    silence the end fell in (``_expired_while_silent``).

    A ``relay-lost`` end only by the session's own relay, the one whose silence ended
    it. For it the window is the silence's alone: the sweep stamps it only once the
    relay has been silent a lapse, so the relay's next report is its return, at or
    after the stamp (the first clause, within a lapse of the stamp, adds only the race
    of a sweep in another process stamping it as the return is being taken).

    Within a lapse: a relay not heard from longer than that while the server ran is
    gone, its sessions ``relay-lost``. But an offer expired while the server could not
    hear the relay (a cut between them) may have been joined all the same: its relay's
    kept "connected" and heartbeats come once the relay is back, so the window then
    counts from the return. The sweep still expires such offers on time (their
    customers back in the queue at once); only the reopen waits for the relay.

    The caller holds the session's row; the customer's presence row is taken next, the
    one ``sessions.connect`` holds while it offers a new session: without it a reopen
    and a connect in two server processes each saw the other's session not yet
    committed, and the customer was left with both. ``sessions.connect`` never waits for
    a session's row while it holds the presence (its expiry skips locked rows), so this
    order closes no circle (docs/server.md, "Lock order")."""
    if not lifecycle.reopens(session, Event.HEARTBEAT_LISTED) or session.ended_at is None:
        return False
    if lifecycle.ended_by(session) is Event.RELAY_LOST and relay_id != session.relay_id:
        return False
    relay = None if relay_id is None else db.get(RelayNode, relay_id)
    if session.ended_at < now - timedelta(seconds=lapse_s) and not _expired_while_silent(
        session.ended_at, relay, now, lapse_s
    ):
        return False
    lock_customers(db, [session.presence_id])  # (a no-op where ``reconcile`` took it)
    return _make_way(db, session, now)


def _make_way(db: Db, session: RemoteSession, now: datetime) -> bool:
    """Whether the customer of ``session`` (its presence row held) is free for it to
    reopen: no other open session, or only offers not yet handed to it, which are then
    withdrawn (``customer-busy``). The customer's app serves one session at a time and
    polls for offers only between sessions, so an offer made while the server held the
    running session ended (a cut) never reached it; letting that offer win closed the
    session the customer was in, and the offer lapsed all the same.

    The offers' rows come after the presence's, against the lock order, so they are
    taken without waiting (``skip_locked``): one another transaction holds (a poll
    handing it over, a party ending it) keeps the customer busy, as any open session."""
    others = select(RemoteSession.id).where(
        RemoteSession.presence_id == session.presence_id,
        RemoteSession.state.in_(OPEN_STATES),
        RemoteSession.id != session.id,
    )
    seen = set(db.scalars(others))
    if not seen:
        return True
    held = db.scalars(
        select(RemoteSession)
        .where(RemoteSession.id.in_(seen))
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    still_open = [s for s in held if s.state in OPEN_STATES]  # (re-read, held now)
    if {s.id for s in held} != seen or any(
        s.state != State.OFFERED.value or s.offer_delivered for s in still_open
    ):
        return False
    for offer in still_open:
        lifecycle.apply(offer, Event.CUSTOMER_BUSY, now)
        events.emit("offer-withdrawn", session=offer.id, reopened=session.id)
    return True


def _expired_while_silent(
    expired: datetime, relay: RelayNode | None, now: datetime, lapse_s: float
) -> bool:
    """Whether an end at ``expired`` (an offer's expiry, a ``relay-lost`` stamp) fell in
    ``relay``'s latest silence and the relay came back from it less than ``lapse_s`` ago.
    In the silence: from a lapse before it began (an expiry whose own window the silence
    cut short) to the return."""
    if relay is None or relay.silent_from is None or relay.back_at is None:
        return False
    lapse = timedelta(seconds=lapse_s)
    return relay.silent_from - lapse <= expired <= relay.back_at and now <= relay.back_at + lapse


def reopen(session: RemoteSession, event: Event, when: datetime, *, relay_id: str) -> None:
    """Apply ``event`` to a session ``reopenable`` said it reopens: an offer expired as
    not joined is connected from ``when``, but no later than its tokens' expiry (the
    relay takes no join after it; a heartbeat's word can come a whole cut later, and the
    relay's kept "connected" may still correct it earlier) (``offer-reopened``); a
    session ended ``relay-lost`` is connected from its own start (``session-reopened``).
    Logged: the server had the session ended, its customer shown free, for a while."""
    ended, was = session.ended_at, lifecycle.ended_by(session)
    if was is Event.NOT_JOINED:
        when = min(when, session.expires_at)
    lifecycle.apply(session, event, when, relay_id=relay_id)
    assert session.connected_at is not None  # (``apply``: reopened)
    events.emit(
        "offer-reopened" if was is Event.NOT_JOINED else "session-reopened",
        logging.WARNING,
        session=session.id,
        **{"expired" if was is Event.NOT_JOINED else "lost": ended.isoformat() if ended else "-"},
        connected_at=session.connected_at.isoformat(),
        by=event.value,
    )


def relay_connected(
    session: RemoteSession,
    now: datetime,
    received: datetime,
    *,
    relay_id: str,
    age: float | None,
    reopen_ok: bool = False,
) -> None:
    """The relay's connect of ``session``, ``age`` seconds before the report was
    ``received`` (its signing time minus its ``connected_at``, the relay's clock on both
    sides; None: an older relay, the connect is ``now``), bounded (``_relay_time``): not
    before the offer, not after now nor after an end already recorded.

    A connect already recorded stands, with one exception (``lifecycle.CORRECTIONS``):
    the heartbeat catch-up's (stamped when a heartbeat first listed the session, e.g.
    once the server was back from an outage the connect happened in) gives way to the
    connect its relay reports later with its time, never later than the recorded one
    (and more than ``CONNECT_SLACK_S`` earlier).

    ``reopen_ok`` (``reopenable``): the session is reopened (``lifecycle.REOPENED_BY``):
    expired as not joined, connected at the relay's time; ended ``relay-lost``, from its
    recorded start (which the relay's time then corrects as above)."""
    at, recorded = min(received, now), session.connected_at
    if session.state == State.OFFERED.value or (reopen_ok and recorded is None):
        when = now if age is None else _relay_time(session, age, at, now, what="connect")
        if reopen_ok:
            reopen(session, Event.RELAY_CONNECTED, when, relay_id=relay_id)
        else:
            lifecycle.apply(session, Event.RELAY_CONNECTED, when, relay_id=relay_id)
        return
    if reopen_ok:  # it ran all along: its start stands
        reopen(session, Event.RELAY_CONNECTED, now, relay_id=relay_id)
    if (
        age is not None
        and recorded is not None
        and session.relay_id == relay_id
        and lifecycle.corrects(session, Event.RELAY_CONNECTED)
    ):
        when = _relay_time(session, age, at, recorded, what="connect")
        if (recorded - when).total_seconds() > CONNECT_SLACK_S:
            lifecycle.correct(session, Event.RELAY_CONNECTED, when)
            events.emit(
                "relay-connect-corrected",
                session=session.id,
                recorded=recorded.isoformat(),
                connected_at=when.isoformat(),
            )


def relay_ended(
    session: RemoteSession,
    now: datetime,
    received: datetime,
    *,
    relay_id: str,
    reason: str | None,
    age: float | None,
) -> None:
    """The relay's end of ``session``, ``age`` seconds before the report was ``received``:
    its signing time minus its ``ended_at``, both on the relay's clock, so a skew between
    the relay's clock and the server's does not matter (None: an older relay; the end is
    ``now``). Bounded (``_relay_time``): not before the session connected, not after now.

    An end already recorded stands (``lifecycle``: the first end wins), with two
    exceptions (``lifecycle.CORRECTIONS``): the heartbeat catch-up's placeholder
    (``ended-unreported``, stamped when the heartbeat no longer listed the session) gives
    way to the end its relay reports later with its time (a kept end sent again once the
    server is back), which cannot be after the placeholder's time; and so does the
    sweep's ``relay-lost`` stamp, but there the relay's time may be later than the stamp
    (the session ran on through the cut that made the relay look lost), never later
    than now. A repeated delivery of that end then changes nothing."""
    if session.state != State.ENDED.value:
        when = now if age is None else _relay_time(session, age, min(received, now), now)
        lifecycle.apply(session, Event.RELAY_ENDED, when, reason=reason)
        return
    if (
        age is None
        or not lifecycle.corrects(session, Event.RELAY_ENDED)
        or session.relay_id != relay_id
        or reason == c.END_BY_HELPDESK  # not the relay's own account of the end
    ):
        return
    placeholder = session.ended_at
    assert placeholder is not None  # (``corrects``: an ended session has its time)
    latest = now if lifecycle.ended_by(session) is Event.RELAY_LOST else placeholder
    when = _relay_time(session, age, min(received, now), latest)
    lifecycle.correct(session, Event.RELAY_ENDED, when, reason)
    events.emit(
        "relay-end-corrected",
        session=session.id,
        placeholder=placeholder.isoformat(),
        ended_at=when.isoformat(),
        reason=session.end_reason,
    )


def _relay_time(
    session: RemoteSession, age: float, received: datetime, latest: datetime, *, what: str = "end"
) -> datetime:
    """``age`` seconds before ``received`` within ``lifecycle.dated``'s bounds (from the
    connect, else the offer, for an end; from the offer for a connect); a clamp is logged
    (``relay-end-clamped``, ``relay-connect-clamped``): a relay's clock that jumped, or a
    lie."""
    earliest = session.offered_at
    if what == "end" and session.connected_at is not None:
        earliest = session.connected_at
    when, bound = lifecycle.dated(age, received, earliest, latest)
    if bound is not None:
        lower, upper = ("connected", "placeholder") if what == "end" else ("offered", "recorded")
        name = {"earliest": lower, "latest": "now" if latest >= received else upper}[bound]
        stamp = {"ended_at" if what == "end" else "connected_at": when.isoformat()}
        fields: dict[str, object] = {"session": session.id, "age_s": round(age, 3), "bound": name}
        events.emit(f"relay-{what}-clamped", logging.INFO, **fields, **stamp)
    return when
