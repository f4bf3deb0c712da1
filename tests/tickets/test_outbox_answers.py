"""The outbox against answers that are not the ticket API's (a captive portal, a redirect,
an answer that never came), a wrong agent clock, a busy desk, a ticket that left the
agent's scope and a refusal for good: the action is written once, or kept, never lost."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from helpdesk.admin import add_app, add_user
from helpdesk.db import db_factory, make_engine
from helpdesk.models import Person, RemoteApp, Ticket, TicketAction, User
from remoteapp.net.agent_tickets import LoginTicketClient
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from remoteapp.tickets import SessionRecord, TicketOutbox
from remoteapp.tickets.sink import new_ticket
from tests.helpdesk.server_process import Server
from tests.tickets.middlebox import Middlebox
from tests.tickets.test_outbox import ticket_count


def record(
    ticket_id: int | None, *, agent_ref: str = "2", client_ref: str | None = None
) -> SessionRecord:
    start = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    return SessionRecord(
        session_id=secrets.token_hex(8),
        ticket_id=ticket_id,
        agent_ref=agent_ref,
        client_ref=client_ref,
        subject="Remote access - Maria",
        description="Remote access. Agent: Demo Agent. Customer: Maria.",
        start=start,
        end=start + timedelta(minutes=17, seconds=5),
    )


def tickets_with(server: Server, session_id: str) -> list[int]:
    """The tickets that record ``session_id``, straight from the database."""
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            found = db.scalars(
                select(TicketAction.ticket_id).where(TicketAction.session_ref == session_id)
            )
            return sorted(found)
    finally:
        engine.dispose()


# ---- 1. an answer that is not the API's is not a delivery ---------------------------


def test_a_portal_page_answering_the_patch_keeps_the_record(
    server: Server,
    box_between: Middlebox,
    through: TicketClient,
    tickets: TicketClient,
    tmp_path: Path,
) -> None:
    box_between.modes["PATCH"] = "portal"
    outbox = TicketOutbox(tmp_path)
    rec = record(1)
    outbox.put(rec)
    result = outbox.flush(through)
    assert (result.sent, result.pending) == ([], [rec.session_id])
    assert "PATCH /public/v1/tickets?" in " ".join(box_between.seen)
    [kept] = outbox.pending()
    assert kept.attempts == 1 and "not confirmed" in kept.last_error
    assert tickets_with(server, rec.session_id) == []

    assert outbox.flush(tickets).sent == [rec.session_id]  # the way is clear again
    assert tickets_with(server, rec.session_id) == [1]


def test_a_redirected_patch_is_not_followed_as_a_get(
    server: Server, box_between: Middlebox, through: TicketClient, tmp_path: Path
) -> None:
    """requests turns a PATCH answered 302 into a GET, which read the ticket: 200."""
    box_between.modes["PATCH"] = "redirect"
    outbox = TicketOutbox(tmp_path)
    rec = record(1)
    outbox.put(rec)
    result = outbox.flush(through)
    assert (result.sent, result.pending) == ([], [rec.session_id])
    assert "302" in outbox.pending()[0].last_error
    assert tickets_with(server, rec.session_id) == []


def test_a_portal_page_answering_the_new_ticket_keeps_the_record(
    server: Server,
    box_between: Middlebox,
    through: TicketClient,
    tickets: TicketClient,
    tmp_path: Path,
) -> None:
    box_between.modes["POST"] = "portal"
    outbox = TicketOutbox(tmp_path)
    rec = record(None)
    outbox.put(rec)
    before = ticket_count(server)
    result = outbox.flush(through)
    assert (result.sent, result.pending) == ([], [rec.session_id])
    [kept] = outbox.pending()
    assert kept.creating_since is not None and "no ticket id" in kept.last_error
    assert ticket_count(server) == before

    assert outbox.flush(tickets).sent == [rec.session_id]
    assert len(tickets_with(server, rec.session_id)) == 1


def test_a_portal_page_answering_a_read_is_an_unavailable_server(
    box_between: Middlebox, through: TicketClient, tmp_path: Path
) -> None:
    box_between.modes["GET"] = "portal"
    outbox = TicketOutbox(tmp_path)
    rec = record(1)
    outbox.put(rec)
    result = outbox.flush(through)
    assert (result.sent, result.pending) == ([], [rec.session_id])
    assert "not that ticket" in outbox.pending()[0].last_error


# ---- 2. no second ticket after a timeout ---------------------------------------------


def test_a_new_ticket_whose_answer_never_came_is_not_opened_twice(
    server: Server,
    box_between: Middlebox,
    through: TicketClient,
    tickets: TicketClient,
    tmp_path: Path,
) -> None:
    box_between.modes["POST"] = "hold"  # the server opens it, the app hears nothing
    outbox = TicketOutbox(tmp_path)
    rec = record(None)
    outbox.put(rec)
    result = outbox.flush(through)
    assert (result.sent, result.pending) == ([], [rec.session_id])
    box_between.release.set()
    [kept] = outbox.pending()
    assert kept.creating_since is not None  # what the retry's search depends on
    [opened] = tickets_with(server, rec.session_id)

    assert outbox.flush(tickets).sent == [rec.session_id]
    assert tickets_with(server, rec.session_id) == [opened]


def test_a_fallback_to_a_new_ticket_is_kept_when_its_answer_never_came(
    server: Server,
    box_between: Middlebox,
    through: TicketClient,
    tickets: TicketClient,
    tmp_path: Path,
) -> None:
    """The chosen ticket is gone; the new one's answer is lost: the record must not go
    back to the gone ticket and forget that a new one may exist."""
    box_between.modes["POST"] = "hold"
    outbox = TicketOutbox(tmp_path)
    rec = record(987654)
    outbox.put(rec)
    assert outbox.flush(through).pending == [rec.session_id]
    box_between.release.set()
    [kept] = outbox.pending()
    assert (kept.ticket_id, kept.creating_since is not None) == (None, True)
    [opened] = tickets_with(server, rec.session_id)
    assert outbox.flush(tickets).sent == [rec.session_id]
    assert tickets_with(server, rec.session_id) == [opened]


def test_an_agent_clock_hours_ahead_does_not_open_a_second_ticket(
    server: Server, tickets: TicketClient, tmp_path: Path
) -> None:
    rec = record(None)
    tickets.create_ticket(new_ticket(rec))  # the earlier attempt, its answer lost
    outbox = TicketOutbox(tmp_path)
    outbox.put(replace(rec, creating_since=datetime.now(UTC) + timedelta(hours=3)))
    assert outbox.flush(tickets).sent == [rec.session_id]
    assert len(tickets_with(server, rec.session_id)) == 1


def test_a_busy_desk_does_not_hide_the_opened_ticket(
    server: Server, tickets: TicketClient, tmp_path: Path
) -> None:
    """Sixty tickets updated since the attempt: the search looks at the newest first."""
    for n in range(60):
        busy = {"subject": f"busy {n}", "createdBy": {"id": "2"}, "owner": {"id": "2"}}
        tickets.create_ticket({**busy, "actions": [{"description": "x"}]})
    rec = record(None)
    outbox = TicketOutbox(tmp_path)
    outbox.put(replace(rec, creating_since=datetime.now(UTC) - timedelta(minutes=1)))
    tickets.create_ticket(new_ticket(rec))  # the earlier attempt, its answer lost
    assert outbox.flush(tickets).sent == [rec.session_id]
    assert len(tickets_with(server, rec.session_id)) == 1


# ---- 3. out of the agent's scope, and refused for good -------------------------------


@dataclass
class Agent:
    client: HelpdeskClient
    tickets: LoginTicketClient
    person: int


@pytest.fixture
def agents(server: Server) -> Iterator[list[Agent]]:
    made: list[Agent] = []
    yield made
    for agent in made:
        agent.tickets.close()
        agent.client.close()


def new_agent(server: Server, agents: list[Agent], app_id: str) -> Agent:
    engine = make_engine(server.db_url)
    factory = db_factory(engine)
    try:
        with factory() as db:
            known = db.get(RemoteApp, app_id) is not None
        if not known:
            add_app(factory, app_id, f"App {app_id}")
        email = f"answers-{secrets.token_hex(4)}@example.com"
        add_user(factory, email, "Answers Agent", "answers-pass", agent_of=(app_id,))
        with factory() as db:
            person = db.scalar(select(User.person_id).where(User.email == email))
    finally:
        engine.dispose()
    client = HelpdeskClient(server.http_url, timeout_s=10)
    client.login(email, "answers-pass")
    agents.append(Agent(client, LoginTicketClient(client, timeout_s=10), int(person or 0)))
    return agents[-1]


def test_a_ticket_moved_out_of_the_agents_scope_gets_a_new_ticket_without_the_client(
    server: Server, agents: list[Agent], tmp_path: Path
) -> None:
    """Reassigned to an agent of another app: 404 for the ticket, and its customer is no
    one this login may name (400 unknown person): the action still gets written once."""
    x, z = new_agent(server, agents, "demo"), new_agent(server, agents, "elsewhere")
    ticket_n = x.tickets.create_ticket(new_ticket(record(None, agent_ref=str(x.person))))
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            customer = Person(business_name="Carla Souza", profile_type=2)
            ticket = db.get(Ticket, ticket_n)
            assert ticket is not None
            ticket.clients.append(customer)
            ticket.owner_id = z.person  # reassigned at the desk
            db.commit()
            customer_id = customer.id
    finally:
        engine.dispose()
    outbox = TicketOutbox(tmp_path)
    rec = record(ticket_n, agent_ref=str(x.person), client_ref=str(customer_id))
    outbox.put(rec)

    result = outbox.flush(x.tickets)
    assert (result.sent, result.pending, result.parked) == ([rec.session_id], [], [])
    [opened] = tickets_with(server, rec.session_id)
    assert opened != ticket_n
    got = x.tickets.get_ticket(opened)
    assert (got["owner"]["id"], got["clients"]) == (str(x.person), [])


def test_a_refusal_for_good_parks_the_record_instead_of_retrying_it(
    server: Server, agents: list[Agent], tmp_path: Path
) -> None:
    """A record naming an agent this login may not name: 400 however often it is sent."""
    x, z = new_agent(server, agents, "demo"), new_agent(server, agents, "elsewhere")
    outbox = TicketOutbox(tmp_path)
    rec = record(None, agent_ref=str(z.person))
    outbox.put(rec)
    other = record(None, agent_ref=str(x.person))
    outbox.put(other)
    before = ticket_count(server)

    result = outbox.flush(x.tickets)
    assert (result.sent, result.pending, result.parked) == (
        [other.session_id],
        [],
        [rec.session_id],
    )
    assert outbox.pending() == []
    [parked] = outbox.parked()
    assert parked.session_id == rec.session_id and "unknown person" in parked.last_error
    assert outbox.flush(x.tickets) == type(result)([], [], [])  # not retried
    assert [r.session_id for r in outbox.parked()] == [rec.session_id]  # never deleted
    assert ticket_count(server) == before + 1

    assert outbox.unpark(rec.session_id)  # a person fixed it: queued again
    assert ([r.session_id for r in outbox.pending()], outbox.parked()) == ([rec.session_id], [])


# ---- 4. the time appointment in the zone of the action's text ------------------------


@pytest.fixture
def sao_paulo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/Sao_Paulo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("sao_paulo")
def test_a_late_evening_session_is_dated_and_timed_as_its_text_says(
    server: Server, tickets: TicketClient, tmp_path: Path
) -> None:
    start = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)  # 23:30 on the 24th in São Paulo
    rec = replace(record(1), start=start, end=start + timedelta(minutes=17, seconds=5))
    outbox = TicketOutbox(tmp_path)
    outbox.put(rec)
    assert outbox.flush(tickets).sent == [rec.session_id]
    [action] = [a for a in tickets.get_ticket(1)["actions"] if rec.session_id in a["description"]]
    appointment = action["timeAppointments"][0]
    assert (appointment["date"], appointment["periodStart"], appointment["periodEnd"]) == (
        "2026-11-24",
        "23:30:00",
        "23:47:05",
    )
