"""The life of a support session, as one table (in the style of h11's ``_state.py``).

::

    offered ──relay-connected, heartbeat-listed──▶ connected ◀──────────────┐
       │                                              │                     │
       │ party-ended, relay-ended, not-joined,        │ party-ended,        │ relay-connected,
       │ customer-busy                                │ relay-ended,        │ heartbeat-listed
       │                                              │ relay-lost,         │ (ended by not-joined
       │                                              │ heartbeat-missing   │ or relay-lost; late)
       └────────────────────▶ ended ◀─────────────────┴─────────────────────┘

Every change of a session's ``state`` goes through ``apply``, which looks the event up
here: a transition in ``TRANSITIONS`` changes the row; an event in ``IGNORED`` for that
state changes nothing (a repeated or late report: the first end wins); any other pair is
an ``IllegalTransition``, a bug in whoever chose the event. ``CORRECTIONS`` lists the
exceptions to "the first wins": the server's own stamp of an end or a connect (the
heartbeat catch-up's, or the sweep's ``relay-lost``) gives way to its relay's own, later
report of it (``correct``). ``REOPENED_BY`` is the one way back from ``ended``: an offer
expired as not joined, or a running session ended as its relay's silence made it look
lost, that its relay reports running after all (the parties joined in time, or the
session ran through a cut between the relay and the server; the report came late) is
``connected``, a running session from its own start. Ending rotates the customer's
password, so the one read to an agent serves for one session only (a reopened session
keeps the new one: its agent is in already).

``END_REASONS`` lists every reason the server or the relay records; a party that ends a
session may also give its own words (at most ``MAX_PARTY_REASON`` characters), but never
one of ``FIXED_REASONS``' texts: the server reads which event ended a session from those
(``ended_by``, ``recorded_by``), so a party's "not-joined" or "relay-lost" would make its
end reopenable and its "ended-unreported" correctable; such a reason is recorded as
``ended-by-user``. docs/server.md lists the same reasons (a test compares).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from helpdesk.errors import IllegalTransition
from helpdesk.models import RemoteSession
from helpdesk.security import new_customer_password
from remotewire import constants as c


class State(StrEnum):
    OFFERED = "offered"  #: granted to the agent; the customer's poll hands it over
    CONNECTED = "connected"  #: the relay paired both sides
    ENDED = "ended"  #: for good, with an ``end_reason``


class Event(StrEnum):
    RELAY_CONNECTED = "relay-connected"  #: the relay reports both sides paired
    HEARTBEAT_LISTED = "heartbeat-listed"  #: a relay heartbeat lists it as running
    PARTY_ENDED = "party-ended"  #: the agent or the customer ended it
    RELAY_ENDED = "relay-ended"  #: the relay reports its end, with the relay's reason
    NOT_JOINED = "not-joined"  #: still offered when its tokens expired
    RELAY_LOST = "relay-lost"  #: its relay fell silent for the relay lapse
    HEARTBEAT_MISSING = "heartbeat-missing"  #: its relay's heartbeat no longer lists it
    CUSTOMER_BUSY = "customer-busy"  #: not yet handed over; the customer's session reopened


OPEN_STATES: Final = (State.OFFERED.value, State.CONNECTED.value)

TRANSITIONS: Final[Mapping[State, Mapping[Event, State]]] = {
    State.OFFERED: {
        Event.RELAY_CONNECTED: State.CONNECTED,
        Event.HEARTBEAT_LISTED: State.CONNECTED,  # its "connected" report was lost
        Event.PARTY_ENDED: State.ENDED,
        Event.RELAY_ENDED: State.ENDED,
        Event.NOT_JOINED: State.ENDED,
        Event.CUSTOMER_BUSY: State.ENDED,
    },
    State.CONNECTED: {
        Event.PARTY_ENDED: State.ENDED,
        Event.RELAY_ENDED: State.ENDED,
        Event.RELAY_LOST: State.ENDED,
        Event.HEARTBEAT_MISSING: State.ENDED,  # its "ended" report was lost
    },
    State.ENDED: {},
}

IGNORED: Final[Mapping[State, frozenset[Event]]] = {
    State.OFFERED: frozenset(),
    State.CONNECTED: frozenset({Event.RELAY_CONNECTED, Event.HEARTBEAT_LISTED}),
    State.ENDED: frozenset(Event),  # late or repeated: the first end wins
}

CORRECTIONS: Final[Mapping[Event, frozenset[Event]]] = {
    # the heartbeat catch-up's end (stamped when a heartbeat no longer listed the session:
    # its end report was lost, or is still coming after an outage of this server) gives
    # way to the end its relay reports later, with its own time and reason
    Event.HEARTBEAT_MISSING: frozenset({Event.RELAY_ENDED}),
    # the sweep's end of a session whose relay fell silent (a cut between the relay and
    # the server, the session maybe running on) gives way to the end the relay reports
    # once back, with its own time (before or after the stamp) and reason; and to a
    # party's end, its reason only (``sessions.end_by_party``): a party that ended it
    # during the cut must not see the relay's return reopen it
    Event.RELAY_LOST: frozenset({Event.RELAY_ENDED, Event.PARTY_ENDED}),
    # the heartbeat catch-up's connect (stamped when a heartbeat first listed the session:
    # its "connected" report was lost, or is still coming after an outage of this server)
    # gives way to the connect its relay reports later, with its own time
    Event.HEARTBEAT_LISTED: frozenset({Event.RELAY_CONNECTED}),
}
"""The exceptions to "the first wins": which later event may replace a recorded fact
(``correct``), by the event that recorded it: an end's time and reason (in ``ended``), or
a connect's time (in ``connected`` or ``ended``, the session's state stays)."""

CONNECTING: Final = frozenset({Event.RELAY_CONNECTED, Event.HEARTBEAT_LISTED})

REOPENED_BY: Final[Mapping[Event, frozenset[Event]]] = {
    # an offer the server expired as not joined, which its relay then reports connected
    # or lists running: the parties joined before the tokens expired and the relay's
    # word came late (kept through an outage of this server, or a cut between the relay
    # and it): it runs, so it is connected
    Event.NOT_JOINED: CONNECTING,
    # a running session the sweep ended when its relay fell silent, which the relay lists
    # running (or reports connected) once back: the silence was a cut between the relay
    # and the server, not the relay's death, and the session ran on through it
    Event.RELAY_LOST: CONNECTING,
}
"""The one way back from ``ended`` (``reopens``, ``apply``): by the event that recorded
the end, which events make the session ``connected`` again, its end cleared. Whether the
relay's word is recent enough to count is the caller's rule
(``helpdesk.services.relay_dating.reopenable``)."""

RELAY_REASONS: Final = (
    c.END_AGENT_LEFT,
    c.END_CUSTOMER_LEFT,
    c.END_AGENT_CONNECTION_LOST,
    c.END_CUSTOMER_CONNECTION_LOST,
    c.END_IDLE,
    c.END_RELAY_SHUTDOWN,
    c.END_BY_HELPDESK,
)
"""Reasons a relay report may carry; any other becomes ``END_RELAY_CLOSED``."""

FIXED_REASONS: Final[Mapping[Event, str]] = {
    Event.NOT_JOINED: c.END_NOT_JOINED,
    Event.RELAY_LOST: c.END_RELAY_LOST,
    Event.HEARTBEAT_MISSING: c.END_UNREPORTED,
    Event.CUSTOMER_BUSY: c.END_CUSTOMER_BUSY,
}

END_REASONS: Final = (c.END_BY_USER, *RELAY_REASONS, c.END_RELAY_CLOSED, *FIXED_REASONS.values())
SERVER_REASONS: Final = frozenset(FIXED_REASONS.values())
"""The reasons only the server's own events record, and from which ``ended_by`` and
``recorded_by`` read the event: a party's reason never takes one (``end_reason``)."""
MAX_PARTY_REASON: Final = c.MAX_PARTY_REASON


def recorded_by(session: RemoteSession, event: Event) -> frozenset[Event]:
    """The events that may have recorded the fact ``event`` would correct: for an end,
    the one its fixed reason names (none for a party's or relay's end); for a connect,
    either connecting event, since the row does not say which stamped ``connected_at``
    (a correction is never later than the recorded time, so a repeat of the relay's own
    report, already taken, cannot move it later)."""
    if event in CONNECTING:
        return CONNECTING if session.connected_at is not None else frozenset()
    if session.state != State.ENDED.value or session.ended_at is None:
        return frozenset()
    return frozenset(ended for ended, text in FIXED_REASONS.items() if session.end_reason == text)


def ended_by(session: RemoteSession) -> Event | None:
    """The event that ended ``session`` if its reason says (a fixed reason), else None."""
    if session.state != State.ENDED.value:
        return None
    by = (ended for ended, text in FIXED_REASONS.items() if session.end_reason == text)
    return next(by, None)


def reopens(session: RemoteSession, event: Event) -> bool:
    """Whether ``event`` takes the ended ``session`` back to connected (``REOPENED_BY``)."""
    by = ended_by(session)
    return by is not None and event in REOPENED_BY.get(by, ())


def corrects(session: RemoteSession, event: Event) -> bool:
    """Whether ``event`` may correct what ``session`` recorded (``CORRECTIONS``)."""
    return any(event in CORRECTIONS.get(by, ()) for by in recorded_by(session, event))


def correct(
    session: RemoteSession, event: Event, when: datetime, reason: str | None = None
) -> None:
    """Replace an ended session's end time and reason, or a session's connect time
    (``corrects`` said it may); its state stays. A served customer waiting anew since the
    stamped end (``apply``) waits from the corrected one: its next session's wait (the
    indicators) and its place in the queue counted from a stamp that may be minutes off
    (a ``relay-lost`` stamp early in a cut the session ran on through). The caller holds
    the customer's row, read afresh (``relay_events.report``): a party's end of the
    customer's next session, not yet committed, must not be overwritten."""
    if not corrects(session, event):
        raise IllegalTransition(f"session {session.id}: {event.value} cannot correct it")
    if event in CONNECTING:
        session.connected_at = when
        return
    stamped, customer = session.ended_at, session.presence
    session.ended_at, session.end_reason = when, end_reason(event, reason)
    if session.connected_at is not None and customer.waiting_since == stamped:
        customer.waiting_since = when  # (not if another session has moved it since)


def dated(
    age: float, received: datetime, earliest: datetime, latest: datetime
) -> tuple[datetime, str | None]:
    """When a relay's event happened, ``age`` seconds before the report was ``received``,
    kept within [``earliest``, ``latest``]: an end within [connected (or offered), now or
    the placeholder's time], a connect within [offered, now or the recorded connect, never
    after a recorded end]. Returns the time and the bound that clamped it (None,
    ``"earliest"``, ``"latest"``)."""
    least = max((received - latest).total_seconds(), 0.0)
    most = max((received - earliest).total_seconds(), least)
    if age < least:
        return received - timedelta(seconds=least), "latest"
    if age > most:
        return received - timedelta(seconds=most), "earliest"
    return received - timedelta(seconds=age), None


def end_reason(event: Event, given: str | None) -> str:
    """The reason recorded when ``event`` ends a session; ``given`` is what was sent."""
    if event is Event.PARTY_ENDED:  # free text, but never a fact only the server states
        text = (given or c.END_BY_USER)[:MAX_PARTY_REASON]
        return c.END_BY_USER if text in SERVER_REASONS else text
    if event is Event.RELAY_ENDED:
        return given if given in RELAY_REASONS else c.END_RELAY_CLOSED
    return FIXED_REASONS[event]


def next_state(state: State, event: Event) -> State | None:
    """Where ``event`` takes a session in ``state``: None if ignored there; raises
    ``IllegalTransition`` if the table does not allow it."""
    if event in IGNORED[state]:
        return None
    target = TRANSITIONS[state].get(event)
    if target is None:
        raise IllegalTransition(f"a session {state.value} cannot take the event {event.value}")
    return target


def apply(
    session: RemoteSession,
    event: Event,
    now: datetime,
    *,
    reason: str | None = None,
    relay_id: str | None = None,
) -> bool:
    """Apply ``event`` to the session row (not committed); True if the row changed.

    ``reason`` is the party's or the relay's reason (ending events); ``relay_id`` the
    relay that runs it (connecting events). An ended session that the event reopens
    (``reopens``) is connected again, its end cleared: from ``now`` if it never connected
    (an offer expired as not joined), else from its recorded start (a session ended
    ``relay-lost`` ran all along: ``now`` is only when the server heard so)."""
    if reopens(session, event):
        session.state, session.relay_id = State.CONNECTED.value, relay_id
        session.connected_at = session.connected_at or now
        session.ended_at = session.end_reason = None
        return True
    try:
        target = next_state(State(session.state), event)
    except IllegalTransition as exc:
        raise IllegalTransition(f"session {session.id}: {exc.message}") from None
    if target is None:
        return False
    if target is State.CONNECTED:
        session.state, session.connected_at, session.relay_id = target.value, now, relay_id
        return True
    session.state, session.ended_at = target.value, now
    session.end_reason = end_reason(event, reason)
    customer = session.presence
    customer.password = new_customer_password()
    customer.failures = 0
    if session.connected_at is not None:  # served: waiting anew from now; an offer that
        customer.waiting_since = now  # never connected (declined, not joined) keeps the wait
    return True
