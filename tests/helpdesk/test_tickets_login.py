"""The ticket API with the agent app's login instead of a token: a deployed app's profile
carries no ticket token (its public profile must not), so its agents' ticket look-ups and
session records authenticate with their login, scoped to the apps they serve."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from helpdesk.admin import add_user
from helpdesk.db import db_factory, make_engine
from helpdesk.models import User
from remoteapp.net.agent_tickets import LoginTicketClient, agent_tickets
from remoteapp.net.helpdesk import HelpdeskClient, NotAuthenticated, NotFound, TicketClient
from tests.helpdesk.server_process import Server

DEMO_AGENT_PERSON, ANA = "2", "3"  # the demo data's person ids


@pytest.fixture
def new_login(server: Server) -> Iterator[Any]:
    """A fresh user with the given roles, logged in: its own, so that logging it out
    ends no other test's login."""
    engine = make_engine(server.db_url)
    factory = db_factory(engine)
    clients: list[HelpdeskClient] = []

    def make(agent_of: tuple[str, ...] = (), admin_of: tuple[str, ...] = ()) -> HelpdeskClient:
        email = f"login-{secrets.token_hex(4)}@example.com"
        add_user(factory, email, "Login User", "login-pass", agent_of=agent_of, admin_of=admin_of)
        client = HelpdeskClient(server.http_url, timeout_s=10)
        client.login(email, "login-pass")
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    engine.dispose()


def person_of(server: Server, email: str) -> str:
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            person = db.scalar(select(User.person_id).where(User.email == email))
    finally:
        engine.dispose()
    return str(person)


def call(
    server: Server,
    method: str,
    bearer: str | None,
    *,
    json: Any = None,
    path: str = "/public/v1/tickets",
    **params: Any,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    with httpx.Client(base_url=server.http_url, timeout=10) as http:
        return http.request(method, path, params=params, headers=headers, json=json)


def test_an_agents_login_reads_creates_and_appends_on_its_apps_tickets(
    server: Server, agent: HelpdeskClient, tickets: TicketClient
) -> None:
    """The reviewer's case: the demo agent, no token anywhere, ticket 1 of the demo app."""
    found = call(server, "GET", agent.bearer, id=1)
    assert found.status_code == 200, found.text
    assert found.json()["owner"]["businessName"] == "Demo Agent"
    assert found.json()["owner"]["email"] is None  # no colleague's address for every agent
    persons = call(server, "GET", agent.bearer, path="/public/v1/persons")
    assert persons.status_code == 200, persons.text
    staff = [p for p in persons.json() if p["profileType"] == 1]
    assert staff and all(p["email"] is None for p in staff)
    made = call(
        server,
        "POST",
        agent.bearer,
        json={
            "subject": "Made with a login",
            "createdBy": {"id": ANA},
            "owner": {"id": DEMO_AGENT_PERSON},
            "clients": [{"id": ANA}],
            "actions": [{"description": "opened"}],
        },
    )
    assert made.status_code == 200, made.text
    ticket_id = made.json()["id"]
    appended = call(
        server, "PATCH", agent.bearer, id=ticket_id, json={"actions": [{"description": "more"}]}
    )
    assert appended.json() == {"id": ticket_id, "actionsAdded": 1}
    # the app's token sees the same ticket: the login wrote into the app's scope
    assert [a["description"] for a in tickets.get_ticket(ticket_id)["actions"]] == [
        "opened",
        "more",
    ]
    listed = call(server, "GET", agent.bearer, **{"$select": "id", "$top": 1000}).json()
    assert {"id": 1} in listed and {"id": ticket_id} in listed


def test_the_desktops_ticket_client_goes_as_the_agent(
    server: Server, agent: HelpdeskClient
) -> None:
    """What the agent app builds with no ticket token: its look-ups and session records
    work, and logging out ends them (nothing is sent then)."""
    profile = agent.app_profile("demo")  # public: it must never carry a token
    assert not profile.get("ticket_api_token") and server.credentials["token"] not in str(profile)
    client = agent_tickets(agent, None, None, timeout_s=10)
    assert isinstance(client, LoginTicketClient)
    try:
        assert client.get_ticket(1)["subject"] == "Printer does not print"
        assert client.get_person(ANA)["businessName"] == "Ana Souza"
        session_id = "login" + secrets.token_hex(6)
        kwargs: dict[str, Any] = {
            "created_by": DEMO_AGENT_PERSON,
            "start": datetime(2026, 1, 2, 10, 0, 0),
            "end": datetime(2026, 1, 2, 10, 5, 0),
            "description": "Remote access",
        }
        assert client.add_session_action(1, session_id, **kwargs) is True
        assert client.add_session_action(1, session_id, **kwargs) is False
        agent.bearer = None  # as after HelpdeskClient.logout
        with pytest.raises(NotAuthenticated):
            client.get_ticket(1)
    finally:
        client.close()


@pytest.fixture
def movidesk() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A stand-in for a real Movidesk on another port: it records each request's
    headers and answers 401, as Movidesk does without a token."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": self.path})
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_a_configured_token_or_a_foreign_ticket_api_never_gets_the_login(
    agent: HelpdeskClient, movidesk: tuple[str, list[dict[str, str]]]
) -> None:
    """A token keeps going where it is configured; a real Movidesk gets no login even
    without one (the same host on another port, or path, is another server)."""
    url, seen = movidesk
    for token in ("", "movidesk-token"):
        client = agent_tickets(agent, url, token)
        try:
            with pytest.raises(NotAuthenticated):
                client.get_ticket(1)
        finally:
            client.close()
        assert "authorization" not in seen[-1]
        assert f"token={token}&" in seen[-1]["path"]
    own = agent.base_url
    assert not isinstance(agent_tickets(agent, None, "tok"), LoginTicketClient)
    assert isinstance(agent_tickets(agent, own + "/", None), LoginTicketClient)
    for foreign in (
        "https://api.movidesk.com",
        own.replace("127.0.0.1", "localhost"),
        own + "/movidesk",
        own.rsplit(":", 1)[0] + ":1",
    ):
        assert not isinstance(agent_tickets(agent, foreign, None), LoginTicketClient), foreign


def test_a_user_of_no_app_sees_nothing_and_other_apps_agents_not_these(
    server: Server, new_login: Any
) -> None:
    """A login sees its own apps' tickets only, like an app token of each."""
    stranger = new_login()
    assert call(server, "GET", stranger.bearer, id=1).status_code == 404
    assert call(server, "GET", stranger.bearer).json() == []
    with httpx.Client(base_url=server.http_url, timeout=10) as http:
        persons = http.get(
            "/public/v1/persons", headers={"Authorization": f"Bearer {stranger.bearer}"}
        )
    assert persons.json() == []
    made = call(
        server,
        "POST",
        stranger.bearer,
        json={"subject": "x", "createdBy": {"id": ANA}, "actions": [{"description": "a"}]},
    )
    assert (made.status_code, made.json()["code"]) == (400, "unknown-person-ref")
    strict = new_login(agent_of=("strict",))
    assert call(server, "GET", strict.bearer, id=1).status_code == 404


def test_a_login_of_several_apps_sees_each_apps_tickets(server: Server, new_login: Any) -> None:
    """Agent of one app, administrator of another: both apps' tickets, not a third's."""
    both = new_login(agent_of=("strict",), admin_of=("demo",))
    assert call(server, "GET", both.bearer, id=1).status_code == 200
    strict_agent = person_of(server, "strictagent@example.com")
    made = call(
        server,
        "POST",
        both.bearer,
        json={
            "subject": "A strict ticket",
            "createdBy": {"id": strict_agent},
            "owner": {"id": strict_agent},
            "actions": [{"description": "a"}],
        },
    )
    assert made.status_code == 200, made.text
    ticket_id = made.json()["id"]
    assert call(server, "GET", both.bearer, id=ticket_id).status_code == 200
    demo_only = new_login(agent_of=("demo",))
    assert call(server, "GET", demo_only.bearer, id=ticket_id).status_code == 404


def test_a_bogus_or_logged_out_login_is_refused(server: Server, new_login: Any) -> None:
    gone = new_login(agent_of=("demo",))
    bearer = gone.bearer
    assert call(server, "GET", bearer, id=1).status_code == 200
    assert gone.logout()
    for wrong in (bearer, "u2.1.0.9999999999.forged", "nonsense"):
        refused = call(server, "GET", wrong, id=1)
        assert (refused.status_code, refused.json()["code"]) == (401, "invalid-bearer-token")
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}):  # no login: the token's
        with httpx.Client(base_url=server.http_url, timeout=10) as http:
            refused = http.get("/public/v1/tickets", params={"id": 1}, headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (401, "bad-api-token")


def test_a_token_when_given_decides_alone(
    server: Server, agent: HelpdeskClient, new_login: Any
) -> None:
    """``?token=`` as before: a wrong one is refused even beside a valid login, a right
    one reads its scope whoever's login comes with it."""
    wrong = call(server, "GET", agent.bearer, id=1, token="wrong")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "bad-api-token")
    stranger = new_login()
    token = server.credentials["token"]
    assert call(server, "GET", stranger.bearer, id=1, token=token).status_code == 200
    client = LoginTicketClient(stranger, timeout_s=10)
    try:
        with pytest.raises(NotFound):
            client.get_ticket(1)
    finally:
        client.close()
