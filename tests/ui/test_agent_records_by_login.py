"""The agent window's flushes of the machine's outbox, which every login on the machine
shares: a window whose ticket client speaks as its agent's login (no ticket token) sends
that agent's records only, and its ``waiting`` count is theirs only; another agent's
records stay as they are, for that agent's next login or an app with a ticket token,
which sends them all. Against a real server process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.net.helpdesk import TicketClient
from remoteapp.tickets import TicketOutbox
from remoteapp.tickets.sink import new_ticket
from remoteapp.ui.agent_records import AgentRecords
from remoteapp.ui.qt import QtCore
from tests.helpdesk.server_process import Server
from tests.tickets import test_outbox
from tests.tickets.servers import server
from tests.tickets.test_outbox import Agent, marked, record, ticket_count

agent_of = test_outbox.agent_of
__all__ = ["server"]  # (a fixture: a server of this module's own)

WAIT_MS = 20_000


def flushed(qtbot: QtBot, records: AgentRecords) -> tuple[list[str], list[int]]:
    """One flush of ``records``: the sessions it sent and the ``waiting`` counts."""
    sent: list[str] = []
    waiting: list[int] = []
    done: list[bool] = []
    records.sent.connect(sent.append)
    records.waiting.connect(waiting.append)
    original = records._flushed

    def spy(result: object) -> None:
        original(result)  # type: ignore[arg-type]
        done.append(True)

    records._flushed = spy  # type: ignore[method-assign]
    records.flush()
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    return sent, waiting


@pytest.mark.display
def test_a_logins_window_sends_its_agents_records_and_leaves_another_agents(
    qtbot: QtBot, server: Server, agent_of: Callable[[str], Agent], tmp_path: Path
) -> None:
    x, y = agent_of("demo"), agent_of("other")
    ticket_n = x.tickets.create_ticket(new_ticket(record(None, agent_ref=x.person)))
    outbox = TicketOutbox(tmp_path)  # the machine's: each window below opens its own
    xs = record(ticket_n, agent_ref=x.person)  # left by X, who logged out
    outbox.put(xs)
    ys = record(None, agent_ref=y.person)
    outbox.put(ys)
    before = ticket_count(server)
    parent = QtCore.QObject()
    try:
        as_y = AgentRecords(
            parent, TicketOutbox(tmp_path), y.client, y.tickets, {"id": y.person, "name": "Y"}
        )
        assert flushed(qtbot, as_y) == ([ys.session_id], [])  # nothing of Y's waits
        assert outbox.pending() == [xs]  # untouched: X's ticket, no attempt, no error
        assert ticket_count(server) == before + 1  # Y's session's new ticket only

        token = TicketClient(server.http_url, server.credentials["token"], timeout_s=10)
        try:  # an app with a ticket token (the demo app's) delivers every record
            with_token = AgentRecords(
                parent, TicketOutbox(tmp_path), y.client, token, {"id": y.person}
            )
            assert flushed(qtbot, with_token) == ([xs.session_id], [])
        finally:
            token.close()
        assert outbox.pending() == []
        assert len(marked(x.tickets, ticket_n, xs.session_id)) == 1
        assert ticket_count(server) == before + 1
    finally:
        windows = parent.findChildren(AgentRecords)
        for child in windows:
            child.release()
        qtbot.waitUntil(lambda: all(w.outbox._claim is None for w in windows), timeout=WAIT_MS)
        parent.deleteLater()


@pytest.mark.display
def test_records_name_the_agent_by_its_person_not_its_user_id(
    qtbot: QtBot, server: Server, agent_of: Callable[[str], Agent], tmp_path: Path
) -> None:
    """The ticket API's createdBy and owner are persons; the login's user ``id`` is
    another number (equal in the demo data only, where the users came first): a record
    named some other person, or was refused. The login gives ``person_id``."""
    x = agent_of("demo")
    user = x.client.me()
    assert str(user["person_id"]) == x.person and str(user["id"]) != x.person
    parent = QtCore.QObject()
    try:
        records = AgentRecords(parent, TicketOutbox(tmp_path), x.client, x.tickets, user)
        assert records.agent_ref == x.person
        opened = records.store_open("s-person", None, None, "123456789", "123456789")
        assert opened.agent_ref == x.person
    finally:
        parent.deleteLater()
