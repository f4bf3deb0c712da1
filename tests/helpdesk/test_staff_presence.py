"""An agent's own presence is no waiting customer.

The agent app registers a presence so that the agent has an ID and password (colleagues
connect to the agent by them). It used to be listed as a waiting customer in every
agent's queue, on the console's monitoring page and in the waiting indicator. Now the
agent app registers with the agent's login (``Authorization: Bearer``): the presence is
the agent's, left out of every listing of waiting customers, and still reachable by ID
and password. A bearer that is not valid is refused, never taken for a customer.

Each test has an app of its own (so its queue holds only the test's presences), on the
package's real server (SQLite and PostgreSQL), over real HTTP.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from helpdesk.admin import add_app, add_user
from helpdesk.db import db_factory, make_engine
from helpdesk.models import Presence, User
from remoteapp.net.helpdesk import (
    HelpdeskClient,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    Registration,
)
from remoteapp.session.presence import CustomerPresence, PresenceCallbacks
from tests.helpdesk.conftest import device, wait_until
from tests.helpdesk.server_process import Server
from tests.helpdesk.test_auth_keys import form_token


@dataclass
class Team:
    """A fresh app: ``lead`` administers it and is an agent, ``staff`` is an agent whose
    agent app registers the agent's own presence."""

    app_id: str
    lead: HelpdeskClient
    staff: HelpdeskClient
    staff_name: str
    lead_email: str
    password: str


def db_row(server: Server, device_id: str) -> Presence | None:
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            return db.scalar(select(Presence).where(Presence.device_id == device_id))
    finally:
        engine.dispose()


def user_id(server: Server, email: str) -> int:
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            found = db.scalar(select(User.id).where(User.email == email))
    finally:
        engine.dispose()
    assert found is not None
    return found


@pytest.fixture
def team(server: Server) -> Iterator[Team]:
    tag = secrets.token_hex(4)
    app_id, password = f"staff-{tag}", "team-long-password-1"
    engine = make_engine(server.db_url)
    try:
        factory = db_factory(engine)
        add_app(factory, app_id, f"Staff {tag}")
        lead_email, staff_email = f"lead-{tag}@example.com", f"staff-{tag}@example.com"
        add_user(factory, lead_email, "Lead", password, agent_of=[app_id], admin_of=[app_id])
        add_user(factory, staff_email, f"Agent Ana {tag}", password, agent_of=[app_id])
    finally:
        engine.dispose()
    lead = HelpdeskClient(server.http_url, timeout_s=10)
    staff = HelpdeskClient(server.http_url, timeout_s=10)
    lead.login(lead_email, password)
    staff.login(staff_email, password)
    yield Team(app_id, lead, staff, f"Agent Ana {tag}", lead_email, password)
    lead.close()
    staff.close()


def fields(name: str) -> dict[str, str]:
    return {"name": name, "email": f"{secrets.token_hex(4)}@example.com"}


@contextmanager
def console(server: Server, team: Team) -> Iterator[httpx.Client]:
    """The lead logged in to the web console through its login form."""
    with httpx.Client(base_url=server.http_url, timeout=30) as http:
        form = form_token(http.get("/console/login").text)
        answer = http.post(
            "/console/login",
            data={"email": team.lead_email, "password": team.password, "csrf": form},
        )
        assert answer.status_code == 303, answer.text
        yield http


def first_stream_update(http: httpx.Client, path: str) -> str:
    """The HTML of the live stream's first ``update`` event (sent at once)."""
    data: list[str] = []
    with http.stream("GET", path) as answer:
        assert answer.status_code == 200
        for line in answer.iter_lines():
            if line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
            elif not line and data:
                break
    return "\n".join(data)


def count(html: str, element_id: str) -> int:
    found = re.search(rf'id="{element_id}">\s*(\d+)\s*<', html)
    assert found is not None, f"no #{element_id}"
    return int(found.group(1))


def test_the_agents_own_presence_is_in_no_listing_of_waiting_customers(
    server: Server, team: Team, customer: HelpdeskClient
) -> None:
    own = team.staff.register(team.app_id, device(), fields(team.staff_name))
    waiting = customer.register(team.app_id, device(), fields("Customer Carla"))

    # the API's queue, for the administrator (IDs shown) and for the agents
    queue = team.lead.queue(team.app_id)
    assert [(w.name, w.partner_id) for w in queue] == [("Customer Carla", waiting.partner_id)]
    assert [w.name for w in team.staff.queue(team.app_id)] == ["Customer Carla"]
    assert team.lead.indicators(team.app_id)["customers_waiting"] == 1

    # the console's monitoring page, its polled fragment and its live stream
    with console(server, team) as http:
        base = f"/console/monitoring/{team.app_id}"
        for html in (
            http.get(base).text,
            http.get(f"{base}/live").text,
            first_stream_update(http, f"{base}/stream"),
        ):
            assert "Customer Carla" in html and waiting.partner_id in html
            assert team.staff_name not in html and own.partner_id not in html
            assert count(html, "waiting-count") == 1
            assert count(html, "ind-waiting") == 1


def test_colleagues_still_connect_to_the_agent_by_id_and_password(
    server: Server, team: Team
) -> None:
    own = team.staff.register(team.app_id, device(), fields(team.staff_name))
    grant = team.lead.connect(own.partner_id, own.password)
    assert (grant.partner_id, grant.via) == (own.partner_id, "password")
    offers = team.staff.poll(own.partner_id, own.presence_key, wait_s=0).offers
    assert [o.session_id for o in offers] == [grant.session_id]
    team.lead.end_session(grant.session_id, "test over")


def test_no_queue_reference_reaches_the_agents_own_presence(server: Server, team: Team) -> None:
    """The queue lists no agent, so a reference to one ("q<row id>", sequential, easily
    guessed) is refused everywhere a queue reference connects without the password: the
    API's connect, the console's copy icon and its Connect link."""
    dev = device()
    team.staff.register(team.app_id, dev, fields(team.staff_name))
    row = db_row(server, dev)
    assert row is not None
    ref = f"q{row.id}"
    with pytest.raises(NotAllowed):
        team.lead.connect_from_queue(ref)
    with console(server, team) as http:
        token = form_token(http.get("/console/tickets").text)
        copied = http.post(
            f"/console/monitoring/{team.app_id}/connect-code/{ref}",
            headers={"X-CSRF-Token": token},
        )
        assert copied.status_code == 404, copied.text
        assert http.get(f"/console/connect/{ref}").status_code == 404


def test_the_presence_records_whose_it_is_and_a_customer_registration_clears_it(
    server: Server, team: Team, customer: HelpdeskClient
) -> None:
    dev, client_email = device(), "ana@acme.example"  # a demo client's email
    team.staff.register(team.app_id, dev, {"name": team.staff_name, "email": client_email})
    row = db_row(server, dev)
    assert row is not None and row.staff_user_id == team.staff.me()["id"]
    assert row.person_id is None  # an agent is not shown as that client being online
    assert team.lead.queue(team.app_id) == []

    # the same device registering without a login is a customer's again, as before
    again = customer.register(team.app_id, dev, {"name": "Customer Again", "email": client_email})
    row = db_row(server, dev)
    assert row is not None and row.staff_user_id is None and row.person_id is not None
    assert [w.partner_id for w in team.lead.queue(team.app_id)] == [again.partner_id]


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        ("Bearer not-a-login", "invalid-bearer-token"),
        (f"Bearer u.1.4102444800.{'A' * 43}", "invalid-bearer-token"),
        ("Basic c3RhZmY6cGFzcw==", "missing-bearer-token"),
    ],
)
def test_a_registration_with_a_bearer_that_is_not_valid_is_refused(
    server: Server, team: Team, authorization: str, code: str
) -> None:
    dev = device()
    body = {"app_id": team.app_id, "device_id": dev, "fields": fields("Forger Fred")}
    with httpx.Client(base_url=server.http_url, timeout=10) as http:
        answer = http.post("/api/presence", json=body, headers={"Authorization": authorization})
    assert (answer.status_code, answer.json()["code"]) == (401, code)
    assert db_row(server, dev) is None  # nothing registered, nothing listed
    assert team.lead.queue(team.app_id) == []


def test_a_revoked_login_registers_nothing(server: Server, team: Team) -> None:
    """After logout (every login of the agent ends) the old bearer is refused: an agent
    app still holding it is not listed as a customer."""
    revoked = HelpdeskClient(server.http_url, timeout_s=10)
    try:
        revoked.bearer = team.staff.bearer
        assert team.staff.logout()
        dev = device()
        with pytest.raises(NotAuthenticated) as refused:
            revoked.register(team.app_id, dev, fields(team.staff_name))
        assert refused.value.code == "invalid-bearer-token"
        assert db_row(server, dev) is None
    finally:
        revoked.close()


def test_the_agent_apps_presence_registers_with_the_agents_login(
    server: Server, team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    """``CustomerPresence(..., staff=client)``, as the agent window runs it: the agent
    gets an ID and password, and is not in the queue; logged out, it registers nothing."""
    registered: list[Registration] = []
    done = threading.Event()

    def on_registered(reg: Registration) -> None:
        registered.append(reg)
        done.set()

    dev = device()
    presence = CustomerPresence(
        HelpdeskClient(server.http_url, timeout_s=10),
        team.app_id,
        dev,
        fields(team.staff_name),
        PresenceCallbacks(registered=on_registered),
        staff=team.staff,
    )
    presence.start()
    try:
        assert done.wait(15)
        row = db_row(server, dev)
        assert row is not None and row.partner_id == registered[0].partner_id
        assert row.staff_user_id == user_id(server, team.staff.me()["email"])
        assert team.lead.queue(team.app_id) == []
    finally:
        presence.stop()

    logged_out = HelpdeskClient(server.http_url, timeout_s=10)  # never logged in
    other = device()
    presence = CustomerPresence(
        HelpdeskClient(server.http_url, timeout_s=10),
        team.app_id,
        other,
        fields(team.staff_name),
        PresenceCallbacks(),
        staff=logged_out,
    )
    with caplog.at_level(logging.WARNING, logger="remoteapp.presence"):
        presence.start()
        try:
            wait_until(lambda: "event=login-refused" in caplog.text)
        finally:
            presence.stop()
            logged_out.close()
    assert db_row(server, other) is None


def test_an_agent_of_an_app_with_required_fields_still_gets_an_id(
    server: Server, customer: HelpdeskClient
) -> None:
    """The customers' form (a phone and a custom field required) is not the agent's: the
    agent's app registers with a name and an email only, and got "missing required
    field(s)", final, the agent window never showing an ID."""
    tag = secrets.token_hex(4)
    app_id, password, email = f"strict-{tag}", "strict-long-password-1", f"ag-{tag}@example.com"
    engine = make_engine(server.db_url)
    try:
        factory = db_factory(engine)
        add_app(
            factory,
            app_id,
            f"Strict {tag}",
            fields={"name": "required", "email": "required", "phone": "required"},
            custom=[("contract", "Contract", True)],
        )
        add_user(factory, email, f"Agent {tag}", password, agent_of=[app_id])
    finally:
        engine.dispose()
    staff = HelpdeskClient(server.http_url, timeout_s=10)
    try:
        staff.login(email, password)
        own = staff.register(app_id, device(), fields(f"Agent {tag}"))
        assert own.partner_id.isdigit()
    finally:
        staff.close()
    with pytest.raises(InvalidInput) as refused:  # a customer still fills the form in
        customer.register(app_id, device(), fields("Customer Without Phone"))
    assert refused.value.code == "missing-fields"
