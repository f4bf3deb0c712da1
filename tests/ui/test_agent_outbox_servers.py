"""Session records against the helpdesk servers they belong to (helper-102's review of
"never lost"), with the program and two real server processes:

- an agent of two companies on one machine: a record left by server X's session (the
  app killed mid-session) was completed and filed by the login to server Y, on Y's
  ticket of the same number, and lost from X: each pair of servers now has its outbox;
- a login ended elsewhere (logout on another device, a password change) left the agent
  window saying only "1 session record(s) waiting for the server": it says the login
  ended, and that the records go with the next login;
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from keyring.backends import fail
from pytestqt.qtbot import QtBot

from remoteapp.branding.profile import load_profile
from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from remoteapp.session.device import data_dir
from remoteapp.tickets import SessionRecord, TicketOutbox
from remoteapp.tickets.record import Session, end_record, open_record
from remoteapp.ui.agent_polls import login_ended_text
from remoteapp.ui.agent_records import record_texts, refused_text, server_outbox
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.app import RemoteApp
from remoteapp.ui.qt import is_alive
from remotewire.constants import SESSION_MARKER
from tests.helpdesk.server_process import Server, start_server
from tests.ui.test_login import keyring_backend, open_login, presence_threads
from tests.ui.test_login import log_in as login_dialog_ok


def _server(factory: pytest.TempPathFactory, name: str) -> Iterator[Server]:
    server = start_server(factory.mktemp(name), {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32)})
    yield server
    server.process.stop()


@pytest.fixture(scope="module")
def company_x(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _server(tmp_path_factory, "company-x")


@pytest.fixture(scope="module")
def company_y(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _server(tmp_path_factory, "company-y")


@pytest.fixture
def programs(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[RemoteApp]]:
    """Programs as a deployed build starts them (the agent's login speaks to the ticket
    API), on one machine's user data; closed afterwards, presence threads ended."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    started: list[RemoteApp] = []
    with keyring_backend(fail.Keyring()):
        yield started
    for app in started:
        for window in (app.agent, app.customer):
            if window is not None and is_alive(window):
                window.close()
    qtbot.waitUntil(lambda: not presence_threads(), timeout=15_000)


def log_in(programs: list[RemoteApp], server: Server, qtbot: QtBot) -> AgentWindow:
    profile = load_profile().with_overrides(server_url=server.http_url, app_id="demo")
    app = RemoteApp(dataclasses.replace(profile, ticket_api_url=None, ticket_api_token=None), None)
    programs.append(app)
    app.customer.show()
    dialog = open_login(app, qtbot)
    dialog.email.setText(server.credentials["agent"]["email"])
    dialog.password.setText(server.credentials["agent"]["password"])
    return login_dialog_ok(app, dialog, qtbot)


def left_open(outbox: TicketOutbox, person: str, session_id: str = "") -> SessionRecord:
    """A record as an agent app killed mid-session leaves it: open, on ticket 2."""
    opened = open_record(
        Session(
            session_id or "killed" + secrets.token_hex(6),
            2,
            person,
            None,
            "599 749 790",
            agent="Demo Agent",
        ),
        record_texts(),
        start=datetime.now(UTC) - timedelta(minutes=5),
        writer="a-window-gone",
    )
    outbox.put(opened)
    return opened


def completed(record: SessionRecord) -> SessionRecord:
    return end_record(
        record,
        record_texts(),
        agent="Demo Agent",
        customer="Ana",
        partner="599 749 790",
        end=datetime.now(UTC),
        reason="agent ended the session",
    )


def actions_with(server: Server, session_id: str) -> list[dict[str, object]]:
    check = TicketClient(server.http_url, server.credentials["token"], timeout_s=10)
    try:
        actions = check.get_ticket(2)["actions"]
    finally:
        check.close()
    marker = SESSION_MARKER.format(session_id)
    return [a for a in actions if marker in str(a["description"])]


@pytest.mark.display
def test_a_record_of_one_helpdesk_is_never_filed_by_another(
    qtbot: QtBot, company_x: Server, company_y: Server, programs: list[RemoteApp]
) -> None:
    agent_x = log_in(programs, company_x, qtbot)
    person = agent_x.records.agent_ref
    x_outbox = agent_x.outbox
    assert x_outbox.directory == server_outbox(company_x.http_url, company_x.http_url).directory
    agent_x.close()
    session_id = left_open(x_outbox, person).session_id
    # the same machine, the same person id, another company's server: its window flushes
    # its own outbox as it opens (a record of Y's own shows when that pass is done), and
    # never sees X's record
    y_outbox = server_outbox(company_y.http_url, company_y.http_url)
    y_outbox.put(completed(left_open(y_outbox, person)))
    agent_y = log_in(programs, company_y, qtbot)
    assert agent_y.outbox.directory == y_outbox.directory
    qtbot.waitUntil(lambda: not y_outbox.pending(), timeout=20_000)
    assert actions_with(company_y, session_id) == []
    assert [r.session_id for r in x_outbox.pending()] == [session_id]
    agent_y.close()
    # X's next login completes it from X's own state and files it on X's ticket 2
    agent_x = log_in(programs, company_x, qtbot)
    qtbot.waitUntil(lambda: not x_outbox.pending(), timeout=20_000)
    assert len(actions_with(company_x, session_id)) == 1


@pytest.mark.display
def test_a_login_ended_elsewhere_is_said(
    qtbot: QtBot, company_x: Server, programs: list[RemoteApp]
) -> None:
    agent = log_in(programs, company_x, qtbot)
    elsewhere = HelpdeskClient(company_x.http_url, timeout_s=10)
    elsewhere.bearer = agent.client.bearer
    elsewhere.logout()  # every bearer token of the user ends (another device's logout)
    qtbot.waitUntil(lambda: agent.status.text() == login_ended_text(), timeout=10_000)
    agent.outbox.put(completed(left_open(agent.outbox, agent.records.agent_ref)))
    agent.flush_outbox()
    qtbot.waitUntil(
        lambda: agent.status.text() == "1 session record(s) will be sent when you log in again.",
        timeout=10_000,
    )


@pytest.mark.display
def test_a_record_refused_for_good_is_said_and_kept(
    qtbot: QtBot, company_x: Server, programs: list[RemoteApp]
) -> None:
    """A record the ticket API will never take (here an action larger than any request
    it takes) is set aside on disk, not retried blindly nor lost, and the agent is told."""
    agent = log_in(programs, company_x, qtbot)
    record = dataclasses.replace(
        completed(left_open(agent.outbox, agent.records.agent_ref)), description="x" * 70_000
    )
    agent.outbox.put(record)
    agent.flush_outbox()
    qtbot.waitUntil(lambda: agent.status.text() == refused_text(1), timeout=20_000)
    assert [r.session_id for r in agent.outbox.parked()] == [record.session_id]
    assert agent.outbox.pending() == []
    agent.close()  # the next start tries it once more (what was refused may be put right)
    again = log_in(programs, company_x, qtbot)
    qtbot.waitUntil(lambda: again.status.text() == refused_text(1), timeout=20_000)
    assert [r.session_id for r in again.outbox.parked()] == [record.session_id]


@pytest.mark.display
def test_the_old_shared_outbox_gives_a_server_only_its_own_sessions(
    qtbot: QtBot, company_x: Server, company_y: Server, programs: list[RemoteApp]
) -> None:
    """Records of earlier builds name no server: each goes only where its session is
    known, never onto another helpdesk's ticket of the same number (helper-109)."""
    agent = log_in(programs, company_x, qtbot)
    person = agent.records.agent_ref
    agent.close()
    customer = HelpdeskClient(company_x.http_url, timeout_s=10)
    staff = HelpdeskClient(company_x.http_url, timeout_s=10)
    creds = company_x.credentials["agent"]
    staff.login(creds["email"], creds["password"])
    try:
        reg = customer.register(
            "demo", "dev-" + secrets.token_hex(8), {"name": "Ana", "email": "a@example.com"}
        )
        known = staff.connect(reg.partner_id, reg.password).session_id  # a session of X's
    finally:
        customer.close()
        staff.close()
    legacy = TicketOutbox(data_dir() / "outbox")
    ours = completed(left_open(legacy, person, known))
    legacy.put(ours)
    theirs = left_open(legacy, person)  # left open by a killed app, on a server not X
    log_in(programs, company_x, qtbot)
    qtbot.waitUntil(
        lambda: [r.session_id for r in legacy.pending()] == [theirs.session_id], timeout=20_000
    )
    assert len(actions_with(company_x, known)) == 1
    [kept] = legacy.pending()  # not closed as "forgotten" by X, which never knew it
    assert kept.end is None and actions_with(company_x, theirs.session_id) == []
