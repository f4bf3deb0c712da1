"""The session lifecycle table: transitions, ignored events, illegal ones, end reasons,
and docs/server.md in step with it."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from helpdesk import lifecycle
from helpdesk.errors import IllegalTransition
from helpdesk.lifecycle import END_REASONS, Event, State
from helpdesk.models import Presence, RemoteSession
from remoteapp.tickets.record import reported_reason
from remotewire import constants

DOC = Path(__file__).resolve().parents[2] / "docs" / "server.md"
NOW = datetime(2026, 11, 24, 10, 0, 0)


def session_in(state: State) -> RemoteSession:
    """A session row (not stored: the table needs no database) and its customer."""
    customer = Presence(partner_id="123456789", password="old-pass", failures=3)
    return RemoteSession(id="s1", state=state.value, presence=customer)


def test_an_offered_session_connects_then_ends_once() -> None:
    session = session_in(State.OFFERED)
    assert lifecycle.apply(session, Event.RELAY_CONNECTED, NOW, relay_id="r1")
    assert (session.state, session.connected_at, session.relay_id) == ("connected", NOW, "r1")
    assert not lifecycle.apply(session, Event.HEARTBEAT_LISTED, NOW, relay_id="r2")
    assert session.relay_id == "r1"
    assert lifecycle.apply(session, Event.RELAY_ENDED, NOW, reason=constants.END_AGENT_LEFT)
    assert (session.state, session.end_reason, session.ended_at) == ("ended", "agent-left", NOW)
    assert session.presence.password != "old-pass" and session.presence.failures == 0
    later = datetime(2026, 11, 24, 11, 0, 0)
    for event in Event:  # late or repeated: the first end stands
        assert not lifecycle.apply(session, event, later, reason="something else")
    assert (session.end_reason, session.ended_at) == ("agent-left", NOW)


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (State.OFFERED, Event.RELAY_LOST),
        (State.OFFERED, Event.HEARTBEAT_MISSING),
        (State.CONNECTED, Event.NOT_JOINED),
        (State.CONNECTED, Event.CUSTOMER_BUSY),
    ],
)
def test_an_illegal_transition_is_a_clear_error(state: State, event: Event) -> None:
    session = session_in(state)
    with pytest.raises(IllegalTransition) as refused:
        lifecycle.apply(session, event, NOW)
    assert str(refused.value) == f"session s1: a session {state} cannot take the event {event}"
    assert refused.value.code == "illegal-transition"
    assert session.state == state.value and session.end_reason is None  # untouched


def test_the_apps_know_which_reasons_only_the_server_records() -> None:
    """``remoteapp.tickets.record.reported_reason`` maps a party's reason as the server
    does: the shared set is the lifecycle's."""
    assert constants.SERVER_ONLY_REASONS == lifecycle.SERVER_REASONS
    for reason in lifecycle.SERVER_REASONS:
        assert lifecycle.end_reason(Event.PARTY_ENDED, reason) == reported_reason(reason)
    for reason in ("", "agent ended the session", "x" * 150):
        assert lifecycle.end_reason(Event.PARTY_ENDED, reason) == reported_reason(reason)


def test_every_state_and_event_is_decided_by_the_table() -> None:
    """Each pair is a transition, ignored, or one of the four illegal ones, never both."""
    illegal = set()
    for state in State:
        for event in Event:
            allowed = event in lifecycle.TRANSITIONS[state]
            ignored = event in lifecycle.IGNORED[state]
            assert not (allowed and ignored), (state, event)
            if not (allowed or ignored):
                illegal.add((state, event))
    assert illegal == {
        (State.OFFERED, Event.RELAY_LOST),
        (State.OFFERED, Event.HEARTBEAT_MISSING),
        (State.CONNECTED, Event.NOT_JOINED),
        (State.CONNECTED, Event.CUSTOMER_BUSY),
    }


def test_end_reasons_relay_party_and_server() -> None:
    assert lifecycle.end_reason(Event.PARTY_ENDED, None) == constants.END_BY_USER
    assert lifecycle.end_reason(Event.PARTY_ENDED, "x" * 500) == "x" * 100
    assert lifecycle.end_reason(Event.RELAY_ENDED, "idle-timeout") == "idle-timeout"
    assert lifecycle.end_reason(Event.RELAY_ENDED, "closed") == constants.END_RELAY_CLOSED
    assert lifecycle.end_reason(Event.RELAY_ENDED, None) == constants.END_RELAY_CLOSED
    assert lifecycle.end_reason(Event.NOT_JOINED, "ignored") == constants.END_NOT_JOINED


def test_end_reasons_are_the_shared_constants() -> None:
    shared = {v for k, v in vars(constants).items() if k.startswith("END_")}
    assert set(END_REASONS) == shared
    assert len(END_REASONS) == len(set(END_REASONS))


def documented_end_reasons() -> list[str]:
    """The first column of the table under "### End reasons" in docs/server.md."""
    text = DOC.read_text()
    section = text.split("### End reasons", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)


def test_the_docs_list_the_same_end_reasons() -> None:
    documented = documented_end_reasons()
    assert documented, "no end reasons table in docs/server.md"
    assert sorted(documented) == sorted(END_REASONS)


def test_a_relay_lost_session_reopens_from_its_own_start() -> None:
    """It ran all along (a cut made its relay look lost): its start stands; an offer
    expired as not joined never connected, so it connects from the reopen."""
    session = session_in(State.OFFERED)
    started, later = NOW, datetime(2026, 11, 24, 10, 5, 0)
    lifecycle.apply(session, Event.RELAY_CONNECTED, started, relay_id="r1")
    lifecycle.apply(session, Event.RELAY_LOST, datetime(2026, 11, 24, 10, 1, 0))
    assert lifecycle.reopens(session, Event.HEARTBEAT_LISTED)
    assert lifecycle.corrects(session, Event.RELAY_ENDED)
    assert lifecycle.apply(session, Event.HEARTBEAT_LISTED, later, relay_id="r1")
    assert (session.state, session.connected_at, session.ended_at) == ("connected", started, None)
    offer = session_in(State.OFFERED)
    lifecycle.apply(offer, Event.NOT_JOINED, NOW)
    assert lifecycle.apply(offer, Event.RELAY_CONNECTED, later, relay_id="r1")
    assert (offer.state, offer.connected_at) == ("connected", later)


def test_the_relays_end_corrects_a_relay_lost_stamp() -> None:
    session = session_in(State.CONNECTED)
    session.connected_at = NOW
    lifecycle.apply(session, Event.RELAY_LOST, datetime(2026, 11, 24, 10, 1, 0))
    real = datetime(2026, 11, 24, 10, 3, 0)
    lifecycle.correct(session, Event.RELAY_ENDED, real, constants.END_AGENT_LEFT)
    assert (session.state, session.ended_at, session.end_reason) == ("ended", real, "agent-left")
    assert not lifecycle.corrects(session, Event.RELAY_ENDED)  # the relay's own end stands
    assert session.presence.waiting_since == real  # the customer waits from the real end


def test_a_correction_leaves_a_wait_another_session_has_moved() -> None:
    """The customer's wait follows a corrected end only while the stamp still set it."""
    session = session_in(State.CONNECTED)
    session.connected_at = NOW
    lifecycle.apply(session, Event.RELAY_LOST, datetime(2026, 11, 24, 10, 1, 0))
    since = session.presence.waiting_since = datetime(2026, 11, 24, 10, 2, 0)  # (served)
    lifecycle.correct(session, Event.RELAY_ENDED, datetime(2026, 11, 24, 10, 3, 0), None)
    assert session.presence.waiting_since == since
