"""The ticket outbox against the real helpdesk server: nothing lost, nothing doubled."""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpdesk.admin import add_app, add_user
from helpdesk.db import db_factory, make_engine
from helpdesk.models import RemoteApp, Ticket, User
from remoteapp.net.agent_tickets import LoginTicketClient
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from remoteapp.tickets import SessionRecord, TicketOutbox
from remoteapp.tickets.sink import new_ticket
from tests.helpdesk.server_process import Server


def record(
    ticket_id: int | None, session_id: str | None = None, *, agent_ref: str = "2"
) -> SessionRecord:
    start = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    return SessionRecord(
        session_id=session_id or secrets.token_hex(8),
        ticket_id=ticket_id,
        agent_ref=agent_ref,
        client_ref=None,
        subject="Remote access - Maria",
        description="Remote access. Agent: Demo Agent. Customer: Maria.",
        start=start,
        end=start + timedelta(minutes=17, seconds=5),
    )


def marked(tickets: TicketClient, ticket_id: int, session_id: str) -> list[dict]:
    actions = tickets.get_ticket(ticket_id)["actions"]
    return [a for a in actions if session_id in (a.get("description") or "")]


def test_action_reaches_the_ticket_once_even_when_resent(
    tickets: TicketClient, tmp_path: Path
) -> None:
    box = TicketOutbox(tmp_path)
    rec = record(1)
    box.put(rec)
    assert box.flush(tickets).sent == [rec.session_id]
    assert box.pending() == []
    box.put(rec)  # as if the app died after sending but before deleting the file
    assert box.flush(tickets).sent == [rec.session_id]
    [action] = marked(tickets, 1, rec.session_id)
    assert action["origin"] == 17
    appointment = action["timeAppointments"][0]
    assert (appointment["periodStart"], appointment["periodEnd"]) == ("14:00:00", "14:17:05")
    assert appointment["workTime"] == "00:17:05"


def test_session_without_ticket_opens_exactly_one(tickets: TicketClient, tmp_path: Path) -> None:
    before = {t["id"] for t in tickets.list_tickets(select="id")}
    box = TicketOutbox(tmp_path)
    rec = record(None)
    box.put(rec)
    assert box.flush(tickets).sent == [rec.session_id]
    new = [t for t in tickets.list_tickets(select="id,subject") if t["id"] not in before]
    assert [t["subject"] for t in new] == ["Remote access - Maria"]
    assert len(marked(tickets, new[0]["id"], rec.session_id)) == 1


def test_unreachable_server_keeps_the_record_for_the_next_start(
    server: Server, tickets: TicketClient, tmp_path: Path
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_port = closed.getsockname()[1]
    down = TicketClient(f"http://127.0.0.1:{dead_port}", "token", timeout_s=2)
    box = TicketOutbox(tmp_path)
    rec = record(2)
    box.put(rec)
    result = box.flush(down)
    assert (result.sent, result.pending) == ([], [rec.session_id])
    [kept] = TicketOutbox(tmp_path).pending()  # a new start sees it
    assert kept.attempts == 1 and kept.last_error
    assert TicketOutbox(tmp_path).flush(tickets).sent == [rec.session_id]
    assert len(marked(tickets, 2, rec.session_id)) == 1


def test_missing_ticket_falls_back_to_a_new_one(tickets: TicketClient, tmp_path: Path) -> None:
    box = TicketOutbox(tmp_path)
    rec = record(987654)
    box.put(rec)
    assert box.flush(tickets).sent == [rec.session_id]
    found = [
        t["id"]
        for t in tickets.list_tickets(select="id")
        if marked(tickets, t["id"], rec.session_id)
    ]
    assert len(found) == 1


def test_unreadable_record_is_set_aside_not_lost(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    box = TicketOutbox(tmp_path)
    assert box.pending() == []
    assert (tmp_path / "broken.corrupt").exists()


def test_crash_after_opening_a_ticket_does_not_open_a_second(
    tickets: TicketClient, tmp_path: Path
) -> None:
    from dataclasses import replace

    rec = record(None)
    # the earlier run sent the request and died before writing down that it had
    tickets.create_ticket(new_ticket(rec))
    box = TicketOutbox(tmp_path)
    box.put(replace(rec, creating_since=datetime.now(UTC)))
    before = {t["id"] for t in tickets.list_tickets(select="id")}
    assert box.flush(tickets).sent == [rec.session_id]
    assert {t["id"] for t in tickets.list_tickets(select="id")} == before


def test_open_record_of_a_dead_app_is_completed_then_sent_once(
    tickets: TicketClient, tmp_path: Path
) -> None:
    from dataclasses import replace

    box = TicketOutbox(tmp_path)
    done = record(3)
    opened = replace(done, end=None, description="", writer="dead-app")
    box.put(opened)  # what an app killed mid-session leaves behind
    mine = replace(record(3), end=None, description="", writer="me")
    box.put(mine)  # this app's own live session: never touched by its flushes

    asked: list[str] = []

    def not_known_yet(rec: SessionRecord) -> SessionRecord | None:
        asked.append(rec.session_id)
        return None

    result = box.flush(tickets, writer="me", close=not_known_yet)
    assert asked == [opened.session_id]
    assert (result.sent, result.pending) == ([], [opened.session_id])
    assert box.flush(tickets, writer="me").pending == [opened.session_id]  # no closer: kept

    result = box.flush(tickets, writer="me", close=lambda rec: replace(done, writer=rec.writer))
    assert result.sent == [opened.session_id]
    assert [r.session_id for r in box.pending()] == [mine.session_id]
    [action] = marked(tickets, 3, opened.session_id)
    assert action["timeAppointments"][0]["periodEnd"] == "14:17:05"
    assert box.flush(tickets, writer="me", close=not_known_yet).sent == []


def test_a_running_apps_open_records_are_left_to_it(tickets: TicketClient, tmp_path: Path) -> None:
    from dataclasses import replace

    running = TicketOutbox(tmp_path)  # another app instance, alive: it holds its claim
    running.claim("running-app")
    box = TicketOutbox(tmp_path)
    live = replace(record(3), end=None, description="", writer="running-app")
    box.put(live)
    asked: list[str] = []

    def closer(rec: SessionRecord) -> SessionRecord:
        asked.append(rec.session_id)
        return replace(record(3, rec.session_id), writer=rec.writer)

    result = box.flush(tickets, writer="me", close=closer)
    assert (asked, result.sent, result.pending) == ([], [], [])  # live, not waiting
    running.release_claim()  # that app stopped (or died: the OS drops its lock)
    assert box.flush(tickets, writer="me", close=closer).sent == [live.session_id]
    assert asked == [live.session_id]


def test_temporary_files_of_a_write_in_progress_are_not_records(
    tickets: TicketClient, tmp_path: Path
) -> None:
    rec = record(None)
    (tmp_path / ".tmp-abc.json").write_text(json.dumps(rec.to_json()))  # killed before rename
    box = TicketOutbox(tmp_path)
    assert box.pending() == []
    assert box.flush(tickets).sent == []


def test_a_record_this_login_cannot_close_does_not_hold_up_the_others(
    tickets: TicketClient, tmp_path: Path
) -> None:
    from dataclasses import replace

    from remoteapp.net.helpdesk import NotAllowed

    box = TicketOutbox(tmp_path)
    foreign = replace(record(3), end=None, description="", writer="other-agents-app")
    box.put(foreign)
    mine = record(3)
    box.put(mine)

    def refuse(rec: SessionRecord) -> SessionRecord:
        raise NotAllowed(403, "you are not a party to this session")

    result = box.flush(tickets, writer="me", close=refuse)
    assert (result.sent, result.pending) == ([mine.session_id], [foreign.session_id])


@dataclass
class Agent:
    """A fresh agent of one app, logged in, and its ticket client as the deployed app
    builds it (no token: the login's scope, its app's tickets and persons)."""

    client: HelpdeskClient
    tickets: LoginTicketClient
    person: str  #: what its session records carry as ``agent_ref``


@pytest.fixture
def agent_of(server: Server) -> Iterator[Callable[[str], Agent]]:
    engine = make_engine(server.db_url)
    factory = db_factory(engine)
    made: list[Agent] = []

    def make(app_id: str) -> Agent:
        with factory() as db:
            known = db.get(RemoteApp, app_id) is not None
        if not known:
            add_app(factory, app_id, f"App {app_id}")
        email = f"outbox-{secrets.token_hex(4)}@example.com"
        add_user(factory, email, "Outbox Agent", "outbox-pass", agent_of=(app_id,))
        with factory() as db:
            person = db.scalar(select(User.person_id).where(User.email == email))
        client = HelpdeskClient(server.http_url, timeout_s=10)
        client.login(email, "outbox-pass")
        made.append(Agent(client, LoginTicketClient(client, timeout_s=10), str(person)))
        return made[-1]

    yield make
    for agent in made:
        agent.tickets.close()
        agent.client.close()
    engine.dispose()


def ticket_count(server: Server) -> int:
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            return int(db.scalar(select(func.count()).select_from(Ticket)) or 0)
    finally:
        engine.dispose()


def test_a_login_delivers_its_own_agents_records_and_leaves_the_others(
    server: Server, agent_of: Callable[[str], Agent], tmp_path: Path
) -> None:
    """One outbox per machine, two agents of different apps logging in on it.  Y's login
    cannot see X's ticket (404, as for a ticket gone) nor X's person: flushing X's record
    with it filed X's action on a new ticket, or retried it for ever.  Y's flush now
    leaves it alone, and X's next login delivers it to X's ticket."""
    x, y = agent_of("demo"), agent_of("other")
    ticket_n = x.tickets.create_ticket(new_ticket(record(None, agent_ref=x.person)))
    box = TicketOutbox(tmp_path)
    xs = record(ticket_n, agent_ref=x.person)
    box.put(xs)
    ys = record(None, agent_ref=y.person)
    box.put(ys)
    before = ticket_count(server)

    result = box.flush(y.tickets, deliverable=lambda r: r.agent_ref == y.person)
    assert (result.sent, result.pending) == ([ys.session_id], [])  # X's: not Y's to count
    assert ticket_count(server) == before + 1  # Y's session's own new ticket, no other
    assert box.pending() == [xs]  # untouched: same ticket, no attempt, no error

    result = box.flush(x.tickets, deliverable=lambda r: r.agent_ref == x.person)
    assert (result.sent, result.pending) == ([xs.session_id], [])
    assert len(marked(x.tickets, ticket_n, xs.session_id)) == 1
    assert ticket_count(server) == before + 1
