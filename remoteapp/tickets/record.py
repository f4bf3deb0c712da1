"""The ticket record of one support session (Qt-free): who, when, what the action says,
and how a record left open by an app that died is completed from the server's state.

The words are the UI's (``RecordTexts``, already translated); this module fills them in,
so it is tested without Qt and the outbox stays free of wording.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from remoteapp.net.helpdesk import NotFound, SessionState
from remotewire import constants as c

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
STAMPED_ENDS = frozenset({c.END_RELAY_LOST, c.END_UNREPORTED})
"""Ends the server stamps itself when it does not hear its relay's (the sweep a lapse
into a relay's silence, the heartbeat catch-up): the session may have run on past the
stamp, minutes through a cut between the relay and the server, until its relay's own
report corrects it."""
SEEN_LATE_S = 120.0
"""How much later than the server's end of a session this app may see it end, moved onto
the server's clock (its silence timeout, 30 s, ``remoteapp.session.transport``, four
times over): a server end that carries this app's own reason and is earlier than that is
a stamp this app's end report relabelled (the server keeps a stamp's time when a party's
end replaces its reason), racing the read of the end."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    session_id: str
    ticket_id: int | None  #: None: open a new ticket for this session
    agent_ref: str  #: the agent's person id at the ticket API (createdBy)
    client_ref: str | None  #: the customer's person id, for a new ticket's client
    subject: str  #: a new ticket's subject
    description: str  #: the action's text: agent, customer, start, end (already translated)
    start: datetime
    end: datetime | None  #: None: an open record, written when the session started
    attempts: int = 0
    last_error: str = ""
    creating_since: datetime | None = None  #: set just before a new ticket is requested
    writer: str = ""  #: the app instance that wrote an open record (and will close it)
    # Who the action names, as known at the start: another app (another agent's login on
    # this machine) may complete the record, and the server may have forgotten the session.
    agent: str = ""  #: the agent's name
    partner: str = ""  #: the customer's partner ID
    customer: str = ""  #: the customer's name, when known at the start (from the queue)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("start", "end", "creating_since"):
            value = getattr(self, key)
            data[key] = value.isoformat() if value is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionRecord:
        """A stored record; fields this version does not know are dropped. The outbox
        is shared by every app on the machine, whichever version each is: a newer one's
        record, refused, would be quarantined as corrupt and its action never written."""
        data = {key: value for key, value in data.items() if key in cls.__dataclass_fields__}
        for key in ("start", "end", "creating_since"):
            if data.get(key) is not None:
                data[key] = datetime.fromisoformat(data[key])
        return cls(**data)


def _as_is(reason: str) -> str:
    return reason


@dataclass(frozen=True, slots=True)
class RecordTexts:
    """The translated templates (``str.format`` fields in braces)."""

    subject: str  #: {customer}
    description: str  #: {agent} {customer} {partner} {start} {end} {reason}
    app_stopped: str  #: the end reason when the server knows none
    said: Callable[[str], str] = _as_is
    """A session's end reason (English, the wire's and the server's) as people read it."""
    zone: tzinfo | None = None
    """The times' zone: None is the agent's machine's (a Brazilian desk read UTC times)."""


@dataclass(frozen=True, slots=True)
class Session:
    """What the agent's app knows of a session when it starts."""

    session_id: str
    ticket_id: int | None
    agent_ref: str  #: the agent's person id at the ticket API
    client_ref: str | None
    partner: str  #: the partner ID, or the customer's name from the queue
    agent: str = ""  #: the agent's name
    partner_id: str = ""  #: the partner ID (``partner`` may be a name)


def parse_time(text: str | None) -> datetime | None:
    """An ISO time from the server, UTC when it has no zone; None if missing or bad."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def describe(
    texts: RecordTexts,
    *,
    agent: str,
    customer: str,
    partner: str,
    start: datetime,
    end: datetime,
    reason: str,
) -> str:
    """The action's text: names, partner ID, start and end, and why it ended."""
    return texts.description.format(
        agent=agent,
        customer=customer or partner,
        partner=partner,
        start=stamp(start, texts.zone),
        end=stamp(end, texts.zone),
        reason=reason,
    )


def stamp(moment: datetime, zone: tzinfo | None) -> str:
    """``moment`` in ``zone`` (None: this machine's), its offset said: "2026-11-24
    11:00:05 UTC-03:00", or "... UTC" at offset zero. Unambiguous for whoever reads the
    ticket, in any zone."""
    local = moment.astimezone(zone)
    offset = local.utcoffset() or timedelta(0)
    if not offset:
        return f"{local.strftime(TIME_FORMAT)} UTC"
    minutes = abs(offset) // timedelta(minutes=1)
    sign = "+" if offset > timedelta(0) else "-"
    return f"{local.strftime(TIME_FORMAT)} UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def open_record(
    session: Session, texts: RecordTexts, *, start: datetime, writer: str
) -> SessionRecord:
    """The record written as the session starts (no end yet): should the app die, the next
    start completes it from the server's end time."""
    return SessionRecord(
        session_id=session.session_id,
        ticket_id=session.ticket_id,
        agent_ref=session.agent_ref,
        client_ref=session.client_ref,
        subject=texts.subject.format(customer=session.partner),
        description="",
        start=start,
        end=None,
        writer=writer,
        agent=session.agent,
        partner=session.partner_id,
        customer=session.partner if session.partner != session.partner_id else "",
    )


def end_record(
    record: SessionRecord,
    texts: RecordTexts,
    *,
    agent: str,
    customer: str,
    partner: str,
    end: datetime,
    reason: str | None,
) -> SessionRecord:
    """The record of a session this app saw end: ready to deliver. ``reason``: the
    session's own (English, said in the app's words here, an empty one too); None: the
    app stopped before it knew."""
    return replace(
        record,
        subject=texts.subject.format(customer=customer or partner),
        description=describe(
            texts,
            agent=agent,
            customer=customer,
            partner=partner,
            start=record.start,
            end=end,
            reason=texts.app_stopped if reason is None else texts.said(reason),
        ),
        end=end,
    )


def reported_reason(reason: str) -> str:
    """The reason the server records for this app's end report with ``reason`` (a
    party's: its first ``MAX_PARTY_REASON`` characters, but never one only the server
    records, ``helpdesk.lifecycle.end_reason``)."""
    text = (reason or c.END_BY_USER)[: c.MAX_PARTY_REASON]
    return c.END_BY_USER if text in c.SERVER_ONLY_REASONS else text


def seen_end_times(
    state: SessionState, start: datetime, local_end: datetime, reported: str | None = None
) -> tuple[datetime, datetime]:
    """The start and end of a session this app saw end at ``local_end``, on the server's
    clock (this machine's may be hours off: a session billed 3 hours, or ending before it
    began, beside a crashed app's record, which the server's times complete): the
    server's connect and end times, else this end moved by the offset the start shows
    (``start``: this machine's). Not an end the server stamped itself (``STAMPED_ENDS``;
    or one with the reason this app ``reported`` ending it, ``SEEN_LATE_S`` before this
    app saw the end): a session that ran on through a cut ended when this app saw it
    end, not at the stamp minutes before (the record billed the minutes after it to
    nobody). Any other end stands, however long before this app saw it (a laptop that
    slept through the relay's end of the session)."""
    connected, ended = parse_time(state.connected_at), parse_time(state.ended_at)
    if connected is None:
        return start, local_end
    offset = connected - start
    if abs(offset) < timedelta(seconds=2):  # (the relay's pairing, not a clock)
        offset = timedelta(0)
    seen = local_end + offset
    relabelled = (
        reported is not None
        and state.end_reason == reported_reason(reported)
        and ended is not None
        and ended < seen - timedelta(seconds=SEEN_LATE_S)
    )
    if ended is None or state.end_reason in STAMPED_ENDS or relabelled:
        ended = seen
    return connected, max(connected, ended)


def close_from_state(
    record: SessionRecord,
    state: SessionState | None,
    texts: RecordTexts,
    *,
    agent: str,
    now: datetime,
) -> SessionRecord | None:
    """Complete a record left open, from the server's ``state`` of its session (None: the
    server has forgotten it, so record what is known, ending ``now``).  None while the
    session has not ended yet: a later flush tries again.  The names are the record's own
    where it has them (``agent``: this app's login, for a record of an older version)."""
    if state is not None and state.state != "ended":
        return None
    ended = parse_time(state.ended_at if state else None) or now
    # both times on one clock: the server's end beside this machine's start was hours
    # apart on a machine whose clock is off ("Start 11:01:05 ... End 08:01:11")
    started = parse_time(state.connected_at if state else None)
    return end_record(
        replace(record, start=started) if started is not None else record,
        texts,
        agent=record.agent or agent,
        customer=(state.customer if state else "") or record.customer,
        partner=(state.partner_id if state else "") or record.partner,
        end=ended,
        reason=(state.end_reason or None) if state else None,
    )


class RecordCloser:
    """``TicketOutbox.flush``'s ``close``: asks the server (``session_state``, off the GUI
    thread, inside the flush) how a session left open ended."""

    def __init__(
        self,
        session_state: Callable[[str], SessionState],
        texts: RecordTexts,
        agent: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.session_state = session_state
        self.texts = texts
        self.agent = agent
        self.clock = clock

    def __call__(self, record: SessionRecord) -> SessionRecord | None:
        try:
            state: SessionState | None = self.session_state(record.session_id)
        except NotFound:
            state = None  # the server has forgotten it: record what is known
        return close_from_state(record, state, self.texts, agent=self.agent, now=self.clock())
