"""Movidesk-shaped ticket API: round trip, OData subset, idempotent session actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from remoteapp.net.helpdesk import InvalidInput, NotAuthenticated, NotFound, TicketClient
from tests.helpdesk.server_process import Server


def new_ticket(tickets: TicketClient, subject: str) -> int:
    return tickets.create_ticket(
        {
            "subject": subject,
            "type": 2,
            "createdBy": {"id": "3"},
            "owner": {"id": "2"},
            "clients": [{"id": "3"}],
            "actions": [{"type": 2, "origin": 9, "description": "first action"}],
        }
    )


def test_ticket_round_trip_in_movidesk_shape(tickets: TicketClient) -> None:
    ticket_id = new_ticket(tickets, "Round trip")
    ticket = tickets.get_ticket(ticket_id)
    assert ticket["subject"] == "Round trip"
    assert ticket["owner"]["businessName"] == "Demo Agent"
    assert [c["businessName"] for c in ticket["clients"]] == ["Ana Souza"]
    assert ticket["clients"][0]["organization"] == {"businessName": "Acme Ltda"}
    assert [a["description"] for a in ticket["actions"]] == ["first action"]
    person = tickets.get_person("3")
    assert person["businessName"] == "Ana Souza" and person["classification"] == "Gold"
    with pytest.raises(NotFound):
        tickets.get_ticket(999_999)


def test_session_action_is_appended_once(tickets: TicketClient) -> None:
    ticket_id = new_ticket(tickets, "Remote session")
    start = datetime(2026, 11, 24, 10, 0, 0)
    end = start + timedelta(minutes=12, seconds=5)
    kwargs = {"created_by": "2", "start": start, "end": end, "description": "Remote access"}
    assert tickets.add_session_action(ticket_id, "abc123", **kwargs) is True
    assert tickets.add_session_action(ticket_id, "abc123", **kwargs) is False
    # Even a blind retry (no check first) adds nothing: the server dedupes by marker.
    action = {"type": 1, "origin": 17, "description": "retry [remoteapp-session:abc123]"}
    tickets.add_actions(ticket_id, [action, action])
    actions = tickets.get_ticket(ticket_id)["actions"]
    assert len(actions) == 2
    remote = actions[1]
    assert remote["origin"] == 17 and remote["createdBy"]["id"] == "2"
    assert remote["timeAppointments"][0]["workTime"] == "00:12:05"
    assert remote["timeAppointments"][0]["periodStart"] == "10:00:00"
    tickets.add_session_action(ticket_id, "def456", **kwargs)
    assert len(tickets.get_ticket(ticket_id)["actions"]) == 3


def test_list_with_odata_subset(tickets: TicketClient) -> None:
    before = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=2)
    ids = [new_ticket(tickets, f"Listed {i}") for i in range(3)]
    listed = tickets.list_tickets(select="id,subject", filter=f"id eq {ids[1]}")
    assert listed == [{"id": ids[1], "subject": "Listed 1"}]
    recent = tickets.list_tickets(
        select="id",
        filter=f"lastUpdate ge {before.isoformat(timespec='seconds')}",
        orderby="id desc",
        top=2,
        skip=1,
    )
    assert recent == [{"id": ids[1]}, {"id": ids[0]}]
    assert tickets.list_tickets(select="id", filter="lastUpdate lt 2000-01-01T00:00:00") == []
    movidesk_style = tickets.list_tickets(  # Movidesk writes 7 fraction digits and a Z
        select="id",
        filter=f"lastUpdate gt {before.isoformat(timespec='seconds')}.0000000Z and id ge {ids[2]}",
    )
    assert movidesk_style == [{"id": ids[2]}]
    with pytest.raises(InvalidInput, match=r"\$filter"):
        tickets.list_tickets(filter="drop table tickets")
    with pytest.raises(InvalidInput, match=r"\$select"):
        tickets.list_tickets(select="nope")


def test_wrong_token_is_401(server: Server) -> None:
    with pytest.raises(NotAuthenticated):
        TicketClient(server.http_url, "wrong").get_ticket(1)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2", b"\xff\xfe", b'{"actions": 5}'])
def test_malformed_json_is_4xx_never_500(server: Server, body: bytes) -> None:
    token = server.credentials["token"]
    for method, params in (("POST", {"token": token}), ("PATCH", {"token": token, "id": 1})):
        response = requests.request(
            method,
            f"{server.http_url}/public/v1/tickets",
            params=params,
            data=body,
            timeout=10,
            headers={"Content-Type": "application/json"},
        )
        assert 400 <= response.status_code < 500, response.text
        assert response.json()["detail"]
    response = requests.post(
        f"{server.http_url}/api/presence",
        data=body,
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422 and response.json()["detail"]


def test_unknown_person_reference_is_400(tickets: TicketClient) -> None:
    with pytest.raises(InvalidInput, match="unknown person"):
        tickets.create_ticket(
            {"subject": "x", "createdBy": {"id": "nobody"}, "actions": [{"description": "a"}]}
        )
