"""The session record without Qt: the open record at the start, the action's text at the
end, and a record left open completed from the server's state (ended, still going,
forgotten), with the server's times parsed whatever their zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from remoteapp.net.helpdesk import HelpdeskClient, NotFound, SessionState
from remoteapp.tickets import RecordCloser, RecordTexts, Session, SessionRecord
from remoteapp.tickets.record import (
    close_from_state,
    describe,
    end_record,
    open_record,
    parse_time,
    seen_end_times,
    stamp,
)
from tests.helpdesk.server_process import Server

TEXTS = RecordTexts(
    subject="Remote access - {customer}",
    description="Agent: {agent}. Customer: {customer} (ID {partner}). {start} - {end}. {reason}",
    app_stopped="the agent app stopped",
    zone=UTC,
)
START = datetime(2026, 11, 24, 14, 0, 5, tzinfo=UTC)
SESSION = Session(
    "s-1", 7, "2", "client-9", "123456789", agent="Ana Agente", partner_id="123456789"
)


def started() -> SessionRecord:
    return open_record(SESSION, TEXTS, start=START, writer="w-1")


def state(**fields: str | None) -> SessionState:
    values: dict[str, str | None] = {
        "state": "ended",
        "end_reason": "customer ended the session",
        "connected_at": "2026-11-24T14:00:06",
        "ended_at": "2026-11-24T14:17:10",
        "customer": "Maria",
        "partner_id": "123456789",
        **fields,
    }
    return SessionState("s-1", **values)  # type: ignore[arg-type]


def test_the_open_record_has_no_end_and_names_its_writer() -> None:
    record = started()
    assert (record.session_id, record.ticket_id, record.agent_ref) == ("s-1", 7, "2")
    assert (record.client_ref, record.start, record.end) == ("client-9", START, None)
    assert record.subject == "Remote access - 123456789" and record.description == ""
    assert record.writer == "w-1"
    assert (record.agent, record.partner, record.customer) == ("Ana Agente", "123456789", "")
    assert SessionRecord.from_json(record.to_json()) == record  # what the outbox stores


def test_a_customer_chosen_from_the_queue_is_named_in_the_open_record() -> None:
    """From the queue the agent picks a name, and the grant gives the ID: both kept."""
    queued = replace(SESSION, partner="Maria Silva")
    record = open_record(queued, TEXTS, start=START, writer="w-1")
    assert (record.partner, record.customer) == ("123456789", "Maria Silva")
    assert record.subject == "Remote access - Maria Silva"


def test_a_session_seen_ending_gets_names_times_and_reason() -> None:
    end = START + timedelta(minutes=17, seconds=5)
    done = end_record(
        started(),
        TEXTS,
        agent="Ana Agente",
        customer="Maria",
        partner="123456789",
        end=end,
        reason="agent ended the session",
    )
    assert done.end == end and done.subject == "Remote access - Maria"
    assert done.description == (
        "Agent: Ana Agente. Customer: Maria (ID 123456789). "
        "2026-11-24 14:00:05 UTC - 2026-11-24 14:17:10 UTC. agent ended the session"
    )
    assert SessionRecord.from_json(done.to_json()) == done


def test_a_customer_who_gave_no_name_is_named_by_the_partner_id() -> None:
    text = describe(
        TEXTS, agent="Ana", customer="", partner="987", start=START, end=START, reason="r"
    )
    assert "Customer: 987 (ID 987)" in text


def test_times_are_written_in_the_texts_zone_whatever_zone_they_came_in() -> None:
    brasilia = timezone(timedelta(hours=-3))
    local = datetime(2026, 11, 24, 11, 0, 5, tzinfo=brasilia)
    text = describe(TEXTS, agent="A", customer="C", partner="P", start=local, end=local, reason="")
    assert "2026-11-24 14:00:05 UTC - 2026-11-24 14:00:05 UTC" in text
    in_brasilia = replace(TEXTS, zone=brasilia)
    text = describe(
        in_brasilia, agent="A", customer="C", partner="P", start=START, end=START, reason=""
    )
    assert "2026-11-24 11:00:05 UTC-03:00 - 2026-11-24 11:00:05 UTC-03:00" in text
    india = replace(TEXTS, zone=timezone(timedelta(hours=5, minutes=30)))
    text = describe(india, agent="A", customer="C", partner="P", start=START, end=START, reason="")
    assert "2026-11-24 19:30:05 UTC+05:30" in text


def test_the_machines_zone_by_default() -> None:
    """The agent's own clock's zone, with its offset: the same instant either way."""
    said = stamp(START, None)
    local = START.astimezone()
    assert said.startswith(local.strftime("%Y-%m-%d %H:%M:%S"))


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2026-11-24T14:17:10", datetime(2026, 11, 24, 14, 17, 10, tzinfo=UTC)),
        ("2026-11-24T14:17:10+00:00", datetime(2026, 11, 24, 14, 17, 10, tzinfo=UTC)),
        ("2026-11-24T11:17:10-03:00", datetime(2026, 11, 24, 14, 17, 10, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_server_times_parse_as_aware_datetimes(text: str | None, parsed: datetime | None) -> None:
    assert parse_time(text) == parsed
    if parsed is not None:
        assert parse_time(text).tzinfo is not None  # type: ignore[union-attr]


def test_a_record_left_open_is_completed_from_the_servers_end() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    done = close_from_state(started(), state(), TEXTS, agent="Ana Agente", now=now)
    assert done is not None
    assert done.end == datetime(2026, 11, 24, 14, 17, 10, tzinfo=UTC)  # the server's, not now
    assert done.subject == "Remote access - Maria"
    assert done.description.endswith("14:17:10 UTC. customer ended the session")
    assert done.writer == "w-1"
    assert done.start == datetime(2026, 11, 24, 14, 0, 6, tzinfo=UTC)  # the server's too


def test_a_record_left_open_by_a_machine_whose_clock_is_off_is_on_the_servers_clock() -> None:
    """Its start was this machine's (three hours ahead), its end the server's: the action
    read "Start 17:00:05 ... End 14:17:10", zero work time."""
    ahead = replace(started(), start=START + timedelta(hours=3))
    done = close_from_state(
        ahead, state(), TEXTS, agent="A", now=datetime(2026, 11, 25, tzinfo=UTC)
    )
    assert done is not None and done.end is not None
    assert done.end - done.start == timedelta(minutes=17, seconds=4)


def test_a_session_seen_ending_is_timed_on_the_servers_clock() -> None:
    """This machine three hours ahead: the server's start and end, not its own (which
    came a few seconds later: the app noticed the end after the relay)."""
    ahead = START + timedelta(hours=3)
    start, end = seen_end_times(state(), ahead, ahead + timedelta(minutes=17, seconds=50))
    assert (start, end) == (parse_time("2026-11-24T14:00:06"), parse_time("2026-11-24T14:17:10"))


@pytest.mark.parametrize("stamped", ["relay-lost", "ended-unreported"])
def test_a_session_seen_ending_after_the_servers_own_stamp_ends_when_seen(stamped: str) -> None:
    """The server stamped the end itself (a cut between the relay and it: the sweep's
    ``relay-lost`` 17 minutes in) while the session ran on to 40 minutes: the record ends
    when this app saw it end, moved onto the server's clock, not at the stamp (the
    ticket billed 17 minutes of 40)."""
    ahead = START + timedelta(hours=3)
    start, end = seen_end_times(state(end_reason=stamped), ahead, ahead + timedelta(minutes=40))
    assert start == parse_time("2026-11-24T14:00:06")
    assert end - start == timedelta(minutes=40)


def test_a_stamp_this_apps_end_relabelled_still_gives_way_to_the_end_seen() -> None:
    """This app's own end report reached the server before its read of the end: its
    reason replaced the ``relay-lost`` stamp's and kept its time (helper-129's find). 23
    minutes before the end this app saw, it is a stamp all the same."""
    ahead = START + timedelta(hours=3)
    party = state(end_reason="agent ended the session")
    start, end = seen_end_times(
        party, ahead, ahead + timedelta(minutes=40), reported="agent ended the session"
    )
    assert end - start == timedelta(minutes=40)


def test_an_end_this_app_saw_late_stays_the_servers() -> None:
    """A laptop asleep from minute 17 to 90: the relay ended the session (its reason) at
    17, this app saw it end on waking; the server's end stands (helper-130's find)."""
    ahead = START + timedelta(hours=3)
    lost = state(end_reason="agent-connection-lost")
    start, end = seen_end_times(
        lost, ahead, ahead + timedelta(minutes=90), reported="connection lost: timed out"
    )
    assert end - start == timedelta(minutes=17, seconds=4)


def test_a_session_still_going_stays_open_for_a_later_flush() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert close_from_state(started(), state(state="active"), TEXTS, agent="A", now=now) is None


def test_a_session_the_server_forgot_ends_now_with_what_is_known() -> None:
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    done = close_from_state(started(), None, TEXTS, agent="Ana Agente", now=now)
    assert done is not None and done.end == now
    assert done.description.endswith("2026-11-25 09:30:00 UTC. the agent app stopped")
    assert done.description == (
        "Agent: Ana Agente. Customer: 123456789 (ID 123456789). "
        "2026-11-24 14:00:05 UTC - 2026-11-25 09:30:00 UTC. the agent app stopped"
    )  # (before: "Customer:  (ID )", the open record's partner ID lost)
    queued = open_record(replace(SESSION, partner="Maria Silva"), TEXTS, start=START, writer="w")
    named = close_from_state(queued, None, TEXTS, agent="Ana Agente", now=now)
    assert named is not None and "Customer: Maria Silva (ID 123456789)" in named.description
    no_reason = close_from_state(
        started(), state(end_reason=None, ended_at=None), TEXTS, agent="A", now=now
    )
    assert no_reason is not None and no_reason.end == now
    assert no_reason.description.endswith("the agent app stopped")


def test_the_closer_asks_the_real_server_and_a_forgotten_session_ends_now(server: Server) -> None:
    now = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    client = HelpdeskClient(server.http_url)
    try:
        client.login(server.credentials["agent"]["email"], server.credentials["agent"]["password"])
        with pytest.raises(NotFound):  # what the closer is told of a session nobody knows
            client.session_state("s-1")
        gone = RecordCloser(client.session_state, TEXTS, "Ana Agente", clock=lambda: now)(started())
    finally:
        client.close()
    assert gone is not None and gone.end == now
    assert gone.description.endswith("the agent app stopped")


def test_the_end_reason_is_said_in_the_apps_words() -> None:
    """The server's end reason is English (the wire's); the action says it as the UI's
    ``said`` does (translated), and an app that stopped first says its own words."""
    texts = replace(TEXTS, said=lambda reason: f"<{reason}>")
    now = datetime(2026, 11, 25, tzinfo=UTC)
    done = close_from_state(started(), state(), texts, agent="Ana Agente", now=now)
    assert done is not None and done.description.endswith(". <customer ended the session>")
    seen = end_record(
        started(), texts, agent="A", customer="M", partner="1", end=now, reason="relay-lost"
    )
    assert seen.description.endswith(". <relay-lost>")
    said_nothing = end_record(
        started(), texts, agent="A", customer="M", partner="1", end=now, reason=""
    )
    assert said_nothing.description.endswith(". <>")  # a seen end without words: not "stopped"
    stopped = close_from_state(started(), None, texts, agent="A", now=now)
    assert stopped is not None and stopped.description.endswith(". the agent app stopped")


def test_a_record_of_a_newer_version_still_reads() -> None:
    """The outbox is shared by every app on the machine: a field a newer version adds is
    dropped on reading, not a corrupt record (its action never written)."""
    record = started()
    newer = {**record.to_json(), "added_later": "x"}
    assert SessionRecord.from_json(newer) == record


def test_a_record_completed_by_another_login_names_the_agent_who_worked() -> None:
    """The outbox is the machine's: when Ana's app dies mid-session and Bruno logs in next
    on the same desk, his app completes her record, and the action names her, as its
    createdBy (``agent_ref``) does."""
    now = datetime(2026, 11, 25, tzinfo=UTC)
    for server_state in (state(), None):
        done = close_from_state(started(), server_state, TEXTS, agent="Bruno Agente", now=now)
        assert done is not None and done.description.startswith("Agent: Ana Agente. ")
        assert done.agent_ref == "2"


def test_an_open_record_of_an_older_version_is_completed_by_this_login() -> None:
    """A record written before it kept its names: the login that completes it is named,
    and the server's names are used, as before."""
    old = started().to_json()
    for key in ("agent", "partner", "customer"):
        del old[key]
    record = SessionRecord.from_json(old)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    done = close_from_state(record, state(), TEXTS, agent="Bruno Agente", now=now)
    assert done is not None
    assert done.description.startswith("Agent: Bruno Agente. Customer: Maria (ID 123456789).")
