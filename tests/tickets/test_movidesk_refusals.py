"""Writing session records to a real Movidesk, whose rules our server does not enforce
(helper-107's review against Movidesk's public docs): a time appointment must name an
activity the account registered ("Remote access" may not exist there), so the action
or the new ticket is refused (400), which parked the record for good: the session went
unrecorded. The action is now sent again without its appointment (its text says the
start and end), the customer kept as the new ticket's client. A real Movidesk also takes
10 requests a minute: the search for an interrupted new ticket is one request.

The refusals come from the middlebox (tests/tickets/middlebox.py), standing in for the
account we do not have; the tickets land on a real server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from remoteapp.net.helpdesk import TicketClient
from remoteapp.tickets import TicketOutbox
from tests.helpdesk.server_process import Server
from tests.tickets.middlebox import Middlebox
from tests.tickets.test_outbox_answers import record


def actions_of(server: Server, ticket_id: int, session_id: str) -> list[dict[str, object]]:
    check = TicketClient(server.http_url, server.credentials["token"], timeout_s=10)
    try:
        ticket = check.get_ticket(ticket_id)
    finally:
        check.close()
    return [a for a in ticket["actions"] if session_id in str(a.get("description"))]


def test_an_action_refused_for_its_appointment_is_recorded_without_it(
    server: Server, box_between: Middlebox, through: TicketClient, tmp_path: object
) -> None:
    box_between.refuse_appointments = True
    outbox = TicketOutbox(tmp_path / "outbox")  # type: ignore[operator]
    done = record(1)
    outbox.put(done)
    result = outbox.flush(through)
    assert (result.sent, result.parked) == ([done.session_id], [])
    [action] = actions_of(server, 1, done.session_id)
    assert not action.get("timeAppointments")
    assert "Customer: Maria" in str(action["description"])


def test_a_new_ticket_refused_for_its_appointment_keeps_its_client(
    server: Server, box_between: Middlebox, through: TicketClient, tmp_path: object
) -> None:
    box_between.refuse_appointments = True
    outbox = TicketOutbox(tmp_path / "outbox")  # type: ignore[operator]
    done = record(None, client_ref="1")  # the demo's client person
    outbox.put(done)
    assert outbox.flush(through).sent == [done.session_id]
    newest = through.list_tickets(select="id", orderby="id desc", top=1)[0]["id"]
    check = TicketClient(server.http_url, server.credentials["token"], timeout_s=10)
    try:
        ticket = check.get_ticket(int(newest))
    finally:
        check.close()
    assert [str(c["id"]) for c in ticket["clients"]] == ["1"]
    [action] = [a for a in ticket["actions"] if done.session_id in str(a["description"])]
    assert not action.get("timeAppointments")


def test_the_search_for_an_interrupted_ticket_is_one_request(
    server: Server, box_between: Middlebox, through: TicketClient, tmp_path: object
) -> None:
    """A retry after a lost answer looks for the session's marker on the newest tickets:
    one request with their actions, not one per ticket (100 would be ten minutes of a
    real Movidesk's allowance)."""
    outbox = TicketOutbox(tmp_path / "outbox")  # type: ignore[operator]
    done = replace(record(None), creating_since=datetime.now(UTC))
    outbox.put(done)
    assert outbox.flush(through).sent == [done.session_id]
    reads = [r for r in box_between.seen if r.startswith("GET ")]
    assert len(reads) == 1, reads


def test_a_proxys_refusal_page_parks_nothing(
    box_between: Middlebox, through: TicketClient, tmp_path: object
) -> None:
    """A 400 that is not the API's answer (a proxy's HTML page) is no refusal for good:
    parked, the record was never sent again (helper-109)."""
    box_between.modes["PATCH"] = "proxy-400"
    outbox = TicketOutbox(tmp_path / "outbox")  # type: ignore[operator]
    done = record(1)
    outbox.put(done)
    result = outbox.flush(through)
    assert (result.sent, result.pending, result.parked) == ([], [done.session_id], [])
    assert outbox.parked() == []
