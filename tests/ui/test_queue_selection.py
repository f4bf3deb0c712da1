"""The queue refills every few seconds; the customer the agent chose must stay the one
Connect goes to.  It kept the row index: when someone ahead left, the highlighted row
was another customer, and Connect connected to them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.net.helpdesk import HelpdeskClient, QueueEntry, TicketClient
from remoteapp.ui.agent_tabs import QueueTab
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.qt import QtCore
from tests.ui.test_agent_hung_server import HungServer, hung, open_window, windows

__all__ = ["hung", "windows"]  # (fixtures, shared)


def customer(name: str) -> QueueEntry:
    return QueueEntry(f"ref-{name}", name, "Acme", None, "2026-05-01T12:00:00+00:00", None, None)


A, B, C = customer("Ana"), customer("Bruno"), customer("Carla")


@pytest.mark.display
def test_connect_goes_to_the_chosen_customer_after_the_queue_refreshes(
    qtbot: QtBot,
    hung: HungServer,
    tmp_path: Path,
    windows: list[AgentWindow],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = HelpdeskClient(hung.url)
    client.bearer = "logged-in"  # (its own polls hang: only the refreshes below show)
    window = open_window(client, TicketClient(hung.url, "t"), {"id": "7", "name": "Ana"}, tmp_path)
    windows.append(window)
    asked: list[str] = []  # the queue_ref each Connect asked the server for
    monkeypatch.setattr(client, "connect_from_queue", lambda ref: ref)
    monkeypatch.setattr(window, "_choose_ticket", lambda partner, then, ticket=None: then(None))
    monkeypatch.setattr(window, "_grant", lambda call, name, choice: asked.append(call()))
    window.tabs.setCurrentWidget(window.queue_tab)
    window.polls.show_queue([A, B, C])
    item = window.queue.item(1, 0)
    assert item is not None
    qtbot.mouseClick(
        window.queue.viewport(),
        QtCore.Qt.MouseButton.LeftButton,
        pos=window.queue.visualItemRect(item).center(),
    )
    qtbot.waitUntil(lambda: window.queue.currentRow() == 1)

    window.polls.show_queue([B, C])  # Ana, ahead of Bruno, left
    assert window.queue.currentRow() == 0
    assert [i.row() for i in window.queue.selectionModel().selectedRows()] == [0]
    window.queue_connect.click()
    assert asked == ["ref-Bruno"]

    window.polls.show_queue([A, C])  # Bruno left: nobody else is chosen for the agent
    assert window.queue.currentRow() == -1
    assert window.queue.selectionModel().selectedRows() == []
    window.queue_connect.click()
    assert window.status.text() == "Choose a customer in the queue."
    assert asked == ["ref-Bruno"]


def test_a_refresh_keeps_the_scroll_position_and_the_chosen_customer_in_view(
    qtbot: QtBot,
) -> None:
    tab = QueueTab()
    qtbot.addWidget(tab)
    tab.resize(600, 300)
    tab.show()
    qtbot.waitExposed(tab)
    entries = [customer(f"C{n:02d}") for n in range(60)]
    tab.show_entries(entries)
    bar = tab.table.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    scrolled = bar.value()
    tab.show_entries(entries[1:])  # someone at the top left; nobody chosen
    assert bar.value() == scrolled and tab.table.currentRow() == -1

    tab.table.selectRow(30)
    chosen = tab.table.item(30, 0)
    assert chosen is not None
    tab.table.scrollToItem(chosen, tab.table.ScrollHint.PositionAtTop)
    tab.show_entries(entries[20:])  # twenty ahead left: the chosen one still in view
    assert tab.table.currentRow() == 11
    still = tab.table.item(11, 0)
    assert still is not None and still.text() == "C31"
    rect = tab.table.visualItemRect(still)
    assert tab.table.viewport().rect().contains(rect)
