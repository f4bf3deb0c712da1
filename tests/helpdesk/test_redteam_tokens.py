"""Ticket API tokens (issue 10 §3.9): scoped to an organization or an app, stored
hashed, revocable; an unscoped (legacy) token only where the operator allows it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from helpdesk.db import db_factory, make_engine
from helpdesk.models import ApiToken
from helpdesk.services import api_tokens
from helpdesk.settings import Settings
from tests.helpdesk.server_process import Server


@pytest.fixture
def make_token(server: Server) -> Iterator[Any]:
    engine = make_engine(server.db_url)
    factory = db_factory(engine)

    def make(organization: str = "", app_id: str = "", *, revoke: bool = False) -> str:
        with factory() as db:
            settings = Settings(secret=b"unused")
            row, token = api_tokens.create(db, settings, "test", organization, app_id)
            if revoke:
                api_tokens.revoke(db, settings, row.id)
        return token

    yield make
    engine.dispose()


def get(server: Server, path: str, token: str, **params: Any) -> httpx.Response:
    with httpx.Client(base_url=server.http_url, timeout=10) as http:
        return http.get(path, params={"token": token, **params})


def test_an_organization_token_sees_only_its_organization(server: Server, make_token: Any) -> None:
    token = make_token(organization="Acme Ltda")
    found = get(server, "/public/v1/tickets", token, **{"$top": 1000}).json()
    assert found, "the demo's Acme ticket"
    for ticket in found:
        people = [*ticket["clients"], ticket["createdBy"]]  # a client or the requester
        orgs = {(p["organization"] or {}).get("businessName") for p in people if p}
        assert "Acme Ltda" in orgs
    globex = get(server, "/public/v1/tickets", "", id=2)  # no token at all
    assert globex.status_code == 401
    assert get(server, "/public/v1/tickets", token, id=2).status_code == 404  # Globex's
    persons = get(server, "/public/v1/persons", token, **{"$top": 1000}).json()
    assert {p["businessName"] for p in persons} >= {"Ana Souza", "Bruno Lima"}
    assert "Carla Dias" not in {p["businessName"] for p in persons}
    assert all(p["email"] is None for p in persons if p["profileType"] == 1)
    with httpx.Client(base_url=server.http_url, timeout=10) as http:
        # a ticket for Globex's client (Carla, person 5) is out of this token's reach
        made = http.post(
            "/public/v1/tickets",
            params={"token": token},
            json={"subject": "x", "createdBy": {"id": "5"}, "actions": [{"description": "a"}]},
        )
        assert (made.status_code, made.json()["code"]) == (400, "unknown-person-ref")


def test_an_app_token_sees_its_staffs_tickets_not_other_staff(
    server: Server, make_token: Any, tickets: Any
) -> None:
    mine = tickets.create_ticket(  # the demo token: scoped to the demo app
        {
            "subject": "Owned by the demo agent",
            "createdBy": {"id": "3"},
            "owner": {"id": "2"},
            "actions": [{"description": "hello"}],
        }
    )
    strict = make_token(app_id="strict")
    assert get(server, "/public/v1/tickets", strict, id=mine).status_code == 404
    emails = {p["email"] for p in get(server, "/public/v1/persons", strict).json()}
    assert "agent@example.com" not in emails and "stranger@example.com" not in emails
    demo = server.credentials["token"]
    emails = {p["email"] for p in get(server, "/public/v1/persons", demo, **{"$top": 1000}).json()}
    assert "agent@example.com" in emails
    assert "stranger@example.com" not in emails  # a user of no app: not the demo's


def test_tokens_are_stored_hashed_and_revocable(server: Server, make_token: Any) -> None:
    token = make_token(organization="Acme Ltda")
    assert get(server, "/public/v1/tickets", token).status_code == 200
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            hashes = set(db.scalars(select(ApiToken.token_hash)))
    finally:
        engine.dispose()
    assert api_tokens.hash_token(token) in hashes and token not in hashes
    revoked = make_token(organization="Acme Ltda", revoke=True)
    assert get(server, "/public/v1/tickets", revoked).status_code == 401


def test_an_unscoped_legacy_token_is_refused_unless_allowed(server: Server) -> None:
    legacy = secrets.token_hex(16)
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            api_tokens.add_token(db, legacy, "legacy")
            db.commit()
    finally:
        engine.dispose()
    answer = get(server, "/public/v1/tickets", legacy)
    assert (answer.status_code, answer.json()["code"]) == (401, "bad-api-token")
