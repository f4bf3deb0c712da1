"""The ticket API as Movidesk's (review of its fidelity): dates with a zone converted to
UTC, ``/persons`` honouring ``$filter``/``$select``/``$orderby``, query parameters no route
takes refused, ``returnAllProperties``, ``$expand`` with a nested ``$select``, and
Movidesk's 350-character subject. Against the real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from helpdesk.db import db_factory, make_engine
from helpdesk.models import Person, Ticket, TicketAction
from helpdesk.services import api_tokens
from helpdesk.settings import Settings
from remoteapp.net.helpdesk import HelpdeskClient
from tests.helpdesk.server_process import Server

ANA = "3"  # the demo data's client Ana Souza (Acme Ltda); the demo agent is person 2


def api(
    server: Server, method: str, path: str, *, json: Any = None, **params: Any
) -> httpx.Response:
    params.setdefault("token", server.credentials["token"])
    with httpx.Client(base_url=server.http_url, timeout=60) as http:
        return http.request(method, f"/public/v1/{path}", params=params, json=json)


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def bad_query(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "bad-query", body
    for word in words:
        assert word in body["detail"], body


def new_ticket(server: Server, **fields: Any) -> int:
    body = {
        "subject": "Fidelity",
        "createdBy": {"id": ANA},
        "owner": {"id": "2"},
        "clients": [{"id": ANA}],
        "actions": [{"description": "first"}],
        **fields,
    }
    return int(ok(api(server, "POST", "tickets", json=body))["id"])


def test_a_dates_zone_is_converted_to_utc(server: Server) -> None:
    """``-03:00`` was dropped: 05:00-03:00 was kept as 05:00 (three hours off) and a
    filter's 07:00-03:00 compared as 07:00 UTC."""
    ticket_id = new_ticket(
        server,
        createdDate="2026-12-07T05:00:00-03:00",
        actions=[
            {"description": "offset", "createdDate": "2026-12-07T05:00:00-03:00"},
            {"description": "fraction", "createdDate": "2026-12-07T05:00:00.1234567-03:00"},
            {"description": "zulu", "createdDate": "2026-12-07T08:00:00Z"},
            {"description": "naive", "createdDate": "2026-12-07T08:00:00"},
        ],
    )
    ticket = ok(api(server, "GET", "tickets", id=ticket_id))
    assert ticket["createdDate"] == "2026-12-07T08:00:00"
    assert [a["createdDate"] for a in ticket["actions"]] == ["2026-12-07T08:00:00"] * 4
    added = {"description": "later", "createdDate": "2026-12-07T09:30:00+05:30"}
    ok(api(server, "PATCH", "tickets", id=ticket_id, json={"actions": [added]}))
    assert ok(api(server, "GET", "tickets", id=ticket_id))["actions"][-1]["createdDate"] == (
        "2026-12-07T04:00:00"
    )

    def found(date_filter: str) -> bool:
        answer = ok(
            api(
                server,
                "GET",
                "tickets",
                **{"$select": "id", "$filter": f"id eq {ticket_id} and {date_filter}"},
            )
        )
        return answer == [{"id": ticket_id}]

    assert not found("createdDate gt 2026-12-07T07:00:00-03:00")  # 10:00 UTC
    assert found("createdDate lt 2026-12-07T07:00:00-03:00")
    assert found("createdDate eq 2026-12-07T05:00:00-03:00")
    assert found("createdDate eq 2026-12-07T11:00:00+03:00")
    assert found("createdDate eq '2026-12-07T08:00:00Z'")
    assert found("createdDate eq 2026-12-07T08:00:00.0000000Z")
    assert found("createdDate eq 2026-12-07T08:00:00")  # no zone: UTC, as before
    # "+" sent unencoded in a URL arrives as a space: still read as the offset
    with httpx.Client(base_url=server.http_url, timeout=10) as http:
        raw = http.get(
            f"/public/v1/tickets?token={server.credentials['token']}&$select=id"
            f"&$filter=id eq {ticket_id} and createdDate eq 2026-12-07T11:00:00+03:00"
        )
    assert ok(raw) == [{"id": ticket_id}]
    for bad in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-13-01T00:00"):
        bad_query(api(server, "GET", "tickets", **{"$filter": f"createdDate gt {bad}"}), "date")
    refused = api(
        server,
        "PATCH",
        "tickets",
        id=ticket_id,
        json={"actions": [{"createdDate": "0001-01-01T00:00:00+01:00"}]},
    )
    bad_query(refused, "not a datetime")


def test_persons_honour_filter_select_and_orderby(server: Server) -> None:
    """``/persons`` ignored ``$filter`` and ``$select``: a script taking the first match got
    the first person of all, whole."""
    ana = ok(
        api(
            server,
            "GET",
            "persons",
            **{"$filter": "businessName eq 'Ana Souza'", "$select": "id,businessName"},
        )
    )
    assert ana == [{"id": ANA, "businessName": "Ana Souza"}]
    by_id = ok(api(server, "GET", "persons", **{"$filter": f"id eq '{ANA}' and profileType eq 2"}))
    assert [p["businessName"] for p in by_id] == ["Ana Souza"]
    assert ok(api(server, "GET", "persons", **{"$filter": "personType eq 2"})) == []
    email = by_id[0]["email"]
    assert (
        email
        and ok(api(server, "GET", "persons", **{"$filter": f"email eq '{email}'"}))[0]["id"] == ANA
    )
    names = [
        p["businessName"]
        for p in ok(api(server, "GET", "persons", **{"$orderby": "businessName desc"}))
    ]
    assert names == sorted(names, reverse=True) and len(names) > 1
    one = ok(api(server, "GET", "persons", id=ANA, **{"$select": "businessName,organization"}))
    assert one == {"businessName": "Ana Souza", "organization": {"businessName": "Acme Ltda"}}
    bad_query(api(server, "GET", "persons", **{"$filter": "nope eq 1"}), "nope")
    bad_query(api(server, "GET", "persons", **{"$select": "id,nope"}), "nope")
    bad_query(api(server, "GET", "persons", **{"$orderby": "nope"}), "nope")
    bad_query(api(server, "GET", "persons", **{"$filter": "id eq 'x'"}), "number")


def test_a_hidden_staff_email_cannot_be_found_by_filtering(server: Server) -> None:
    """A login sees no staff email; filtering by one must not reveal it either."""
    agent = HelpdeskClient(server.http_url, timeout_s=10)
    agent.login(server.credentials["agent"]["email"], server.credentials["agent"]["password"])
    headers = {"Authorization": f"Bearer {agent.bearer}"}
    try:
        with httpx.Client(base_url=server.http_url, timeout=10) as http:
            staff = ok(
                http.get(
                    "/public/v1/persons", params={"$filter": "profileType eq 1"}, headers=headers
                )
            )
            assert staff and all(p["email"] is None for p in staff)
            probe = {"$filter": f"email eq '{server.credentials['agent']['email']}'"}
            assert ok(http.get("/public/v1/persons", params=probe, headers=headers)) == []
            unset = ok(
                http.get(
                    "/public/v1/persons",
                    params={"$filter": "profileType eq 1 and email ne 'x@example.com'"},
                    headers=headers,
                )
            )
            assert {p["id"] for p in unset} == {p["id"] for p in staff}  # null ne 'x': true
    finally:
        agent.close()


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "tickets", {"protocol": "2026120700001"}),
        ("GET", "tickets", {"$count": "true"}),
        ("GET", "tickets", {"returnAllProperties": "true"}),
        ("GET", "persons", {"$expand": "organization"}),
        ("GET", "persons", {"includeDeletedItems": "true"}),
        ("PATCH", "tickets", {"id": "1", "$select": "id"}),
    ],
)
def test_a_parameter_no_route_takes_is_refused(
    server: Server, method: str, path: str, params: dict[str, str]
) -> None:
    """Such parameters were silently ignored: ``protocol=X`` answered every ticket."""
    json = {"actions": []} if method == "PATCH" else None
    bad_query(api(server, method, path, json=json, **params), *params.keys() - {"id"})


def test_return_all_properties_returns_the_whole_ticket(server: Server) -> None:
    body = {
        "subject": "Whole",
        "createdBy": {"id": ANA},
        "owner": {"id": "2"},
        "clients": [{"id": ANA}],
        "actions": [{"description": "one"}],
    }
    created = ok(api(server, "POST", "tickets", json=body, returnAllProperties="true"))
    assert created["subject"] == "Whole" and created["clients"][0]["id"] == ANA
    assert [a["description"] for a in created["actions"]] == ["one"]
    plain = ok(api(server, "POST", "tickets", json=body, returnAllProperties="false"))
    assert set(plain) == {"id"}
    patched = ok(
        api(
            server,
            "PATCH",
            "tickets",
            id=created["id"],
            json={"actions": [{"description": "two"}]},
            returnAllProperties="true",
        )
    )
    assert patched["id"] == created["id"]
    assert [a["description"] for a in patched["actions"]] == ["one", "two"]
    patch = {"actions": [{"description": "three"}]}
    assert ok(api(server, "PATCH", "tickets", id=created["id"], json=patch)) == {
        "id": created["id"],
        "actionsAdded": 1,
    }


def test_expand_includes_nested_objects_with_their_own_select(server: Server) -> None:
    """``$expand`` was accepted and ignored, its nested ``$select`` too: ``$select=id``
    with ``$expand=actions(...)`` answered ids only."""
    first = new_ticket(server, actions=[{"description": "a1"}, {"description": "a2"}])
    second = new_ticket(server, actions=[{"description": "b1"}])
    newest = ok(
        api(
            server,
            "GET",
            "tickets",
            **{
                "$select": "id",
                "$expand": "actions($select=id,description)",
                "$filter": f"id ge {first} and id le {second}",
                "$orderby": "id desc",
                "$top": 100,
            },
        )
    )
    assert newest == [
        {"id": second, "actions": [{"id": 1, "description": "b1"}]},
        {"id": first, "actions": [{"id": 1, "description": "a1"}, {"id": 2, "description": "a2"}]},
    ]
    one = ok(
        api(
            server,
            "GET",
            "tickets",
            id=first,
            **{
                "$select": "subject",
                "$expand": "owner($select=businessName), clients($select=id;$expand=organization),"
                "actions($select=id;$expand=createdBy($select=id))",
            },
        )
    )
    assert one == {
        "subject": "Fidelity",
        "owner": {"businessName": "Demo Agent"},
        "clients": [{"id": ANA, "organization": {"businessName": "Acme Ltda"}}],
        "actions": [{"id": 1, "createdBy": None}, {"id": 2, "createdBy": None}],
    }
    # no $select: every field, the expanded ones cut to their own $select
    whole = ok(api(server, "GET", "tickets", id=first, **{"$expand": "actions($select=id)"}))
    assert whole["subject"] == "Fidelity" and whole["owner"]["businessName"] == "Demo Agent"
    assert whole["actions"] == [{"id": 1}, {"id": 2}]
    # without $expand, as before: a selected nested field comes whole
    selected = ok(api(server, "GET", "tickets", id=first, **{"$select": "id,actions"}))
    assert selected["actions"][0]["description"] == "a1" and "createdDate" in selected["actions"][0]
    for expand, word in (
        ("nope", "nope"),
        ("actions($select=nope)", "nope"),
        ("actions($filter=id eq 1)", "$filter"),
        ("actions($select=id", "parenthes"),
        ("actions)", "parenthes"),
        ("actions,actions", "twice"),
        ("subject", "subject"),
        ("owner($expand=actions)", "actions"),
        ("actions($select=id)x", "must end"),
        ("x" * 2001, "longer"),
    ):
        bad_query(api(server, "GET", "tickets", **{"$select": "id", "$expand": expand}), word)


def test_subject_is_at_most_movidesks_350(server: Server) -> None:
    assert new_ticket(server, subject="s" * 350)
    body = {
        "subject": "s" * 351,
        "createdBy": {"id": ANA},
        "owner": {"id": "2"},
        "actions": [{"description": "x"}],
    }
    refused = api(server, "POST", "tickets", json=body)
    assert refused.status_code == 422 and refused.json()["code"] == "invalid-input"
    ticket_id = new_ticket(server)
    patch = api(server, "PATCH", "tickets", id=ticket_id, json={"subject": "s" * 351})
    assert patch.status_code == 422 and patch.json()["code"] == "invalid-input"


def test_expanding_the_actions_of_a_thousand_tickets_is_one_quick_request(
    server: Server,
) -> None:
    """1000 tickets of 3 actions each (their own organization, so no other test sees
    them), read with their actions in one request: a few queries, not one per ticket."""
    organization = f"Bulk {secrets.token_hex(4)}"
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            person = Person(business_name="Bulk Client", organization=organization)
            start = datetime(2026, 12, 1, 12, 0, 0)
            db.add_all(
                Ticket(
                    subject=f"Bulk {i}",
                    created_by=person,
                    clients=[person],
                    created_date=start,
                    last_update=start,
                    actions=[
                        TicketAction(
                            number=n,
                            description=f"action {n} of {i}",
                            created_by=person,
                            created_date=start + timedelta(minutes=n),
                        )
                        for n in (1, 2, 3)
                    ],
                )
                for i in range(1000)
            )
            db.commit()
            _, token = api_tokens.create(db, Settings(secret=b"unused"), "bulk", organization, "")
    finally:
        engine.dispose()
    began = time.monotonic()
    found = ok(
        api(
            server,
            "GET",
            "tickets",
            token=token,
            **{
                "$select": "id",
                "$expand": "actions($select=id,description)",
                "$orderby": "id desc",
                "$top": 1000,
            },
        )
    )
    took = time.monotonic() - began
    assert len(found) == 1000
    assert all([a["id"] for a in t["actions"]] == [1, 2, 3] for t in found)
    assert found[0]["actions"][2]["description"] == "action 3 of 999"
    print(f"1000 tickets with 3000 actions expanded in {took:.2f} s")
    assert took < 10, took
