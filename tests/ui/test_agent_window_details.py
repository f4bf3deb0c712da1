"""Smaller things of the agent window: a partner ID typed in full-width digits is that ID
(it was taken as is: boxes on screen, a refusal that spent a password attempt); the
queue shows how long each customer has waited, and no columns an agent who is not the
app's administrator always sees empty; the viewer fits a 1024x768 screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.net.helpdesk import HelpdeskClient, QueueEntry, SessionInProgress, TicketClient
from remoteapp.session import AgentSession
from remoteapp.ui.agent_dialogs import PasswordDialog, TicketDialog
from remoteapp.ui.agent_tabs import QueueTab, SessionsTab, typed_partner_id, waited
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets
from remoteapp.ui.viewer import ViewerWindow, fitted
from tests.ui.test_agent_hung_server import HungServer, hung, open_window, windows

__all__ = ["hung", "windows"]  # (fixtures, shared)


@pytest.mark.parametrize(
    ("typed", "partner"),
    [
        ("599749790", "599749790"),
        (" 599 749 790 ", "599749790"),
        ("５９９７４９７９０", "599749790"),  # full-width, as an IME types them
        ("５９９　７４９　７９０", "599749790"),  # ... with full-width spaces
        ("٥٩٩٧٤٩٧٩٠", None),  # digits (isdigit) no partner ID has
        ("59974979", None),
        ("5997497900", None),
        ("59974979x", None),
    ],
)
def test_the_partner_id_in_what_was_typed(typed: str, partner: str | None) -> None:
    assert typed_partner_id(typed) == partner


@pytest.mark.display
def test_full_width_digits_connect_to_that_partner_id(
    qtbot: QtBot, hung: HungServer, tmp_path: Path, windows: list[AgentWindow]
) -> None:
    client = HelpdeskClient(hung.url)
    client.bearer = "logged-in"
    window = open_window(client, TicketClient(hung.url, "t"), {"id": "7", "name": "Ana"}, tmp_path)
    windows.append(window)
    window.partner.setText("٥٩٩٧٤٩٧٩٠")
    window.connect_button.click()
    assert window.status.text() == "A partner ID has 9 digits."
    assert getattr(window, "ticket_dialog", None) is None
    window.partner.setText("５９９ ７４９ ７９０")
    window.connect_button.click()
    qtbot.waitUntil(lambda: getattr(window, "ticket_dialog", None) is not None)
    assert window.ticket_dialog.windowTitle() == "Ticket for the session with 599749790"
    window.ticket_dialog.reject()


def test_waiting_time_is_a_duration() -> None:
    now = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)

    def ago(**delta: float) -> str:
        return (now - timedelta(**delta)).isoformat()

    assert waited(ago(seconds=41), now) == "0:41"
    assert waited(ago(minutes=12), now) == "12:00"
    assert waited(ago(hours=1, minutes=2, seconds=5), now) == "1:02:05"
    assert waited("2026-05-01T11:59:00", now) == "1:00"  # the server's UTC, no zone
    assert waited(ago(seconds=-30), now) == "0:00"  # a server clock ahead of ours
    assert waited("", now) == "" and waited("soon", now) == ""


def entry(name: str, since: str, partner_id: str | None, password: str | None) -> QueueEntry:
    return QueueEntry(name.lower(), name, "Acme", None, since, partner_id, password)


def test_the_queue_shows_waiting_time_and_no_columns_an_agent_never_fills(
    qtbot: QtBot,
) -> None:
    tab = QueueTab()
    qtbot.addWidget(tab)
    header = tab.table.horizontalHeaderItem(3)
    assert header is not None and header.text() == "Waiting time"
    since = (datetime.now(UTC) - timedelta(seconds=90)).isoformat()
    tab.show_entries([entry("Maria", since, None, None), entry("Joana", since, None, None)])
    assert [tab.table.isColumnHidden(c) for c in range(6)] == [False] * 4 + [True] * 2
    item = tab.table.item(0, 3)
    assert item is not None and item.text() in ("1:30", "1:31", "1:32")
    # an administrator gets IDs and passwords: then the columns are shown
    tab.show_entries([entry("Maria", since, "599749790", "abcdef")])
    assert not any(tab.table.isColumnHidden(c) for c in range(6))


def test_the_viewer_size_fits_the_screen() -> None:
    small = QtCore.QRect(0, 0, 1024, 768)
    rect = fitted(QtCore.QSize(1100, 720), small)
    assert small.contains(rect) and rect.width() < 1024 and rect.height() == 720
    big = QtCore.QRect(1920, 0, 1920, 1080)  # a second monitor, right of the first
    rect = fitted(QtCore.QSize(1100, 720), big)
    assert big.contains(rect) and rect.size() == QtCore.QSize(1100, 720)


def test_the_viewer_opens_inside_a_small_screen(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = QtCore.QRect(0, 0, 1024, 768)
    monkeypatch.setattr(QtGui.QScreen, "availableGeometry", lambda screen: small)
    session = SimpleNamespace(latency_ms=None, failure=None, end=lambda reason: None)
    viewer = ViewerWindow(cast(AgentSession, session), "Maria")
    qtbot.addWidget(viewer)
    assert small.contains(viewer.geometry())


def test_an_offer_not_yet_joined_is_said_connecting(qtbot: QtBot) -> None:
    """The server lists offered sessions (``connecting``): the customer has left the
    queue, so they were in neither list; the duration column says what they are."""
    tab = SessionsTab()
    qtbot.addWidget(tab)
    rows = [
        SessionInProgress("s1", "Ana", False, "Maria", None, "2026-05-01T12:00:00", 3720),
        SessionInProgress("s2", "Ana", True, "Joana", None, None, 4, connecting=True),
    ]
    tab.show_in_progress(rows)
    cells = [[tab.in_progress.item(r, c).text() for c in range(4)] for r in range(2)]  # type: ignore[union-attr]
    assert cells == [["Ana", "Maria", "", "01:02"], ["Ana (you)", "Joana", "", "Connecting..."]]


@pytest.mark.display
def test_finished_dialogs_are_deleted(
    qtbot: QtBot, hung: HungServer, tmp_path: Path, windows: list[AgentWindow]
) -> None:
    """Each session's ticket and password dialogs stayed, children of the window, with the
    ticket they had looked up (about 365 KB a session, in an app open all week)."""
    client = HelpdeskClient(hung.url)
    client.bearer = "logged-in"
    window = open_window(client, TicketClient(hung.url, "t"), {"id": "7", "name": "Ana"}, tmp_path)
    windows.append(window)
    window.partner.setText("599 749 790")
    for _ in range(3):
        window.connect_button.click()
        qtbot.waitUntil(lambda: getattr(window, "ticket_dialog", None) is not None)
        dialog = window.ticket_dialog
        dialog.no_ticket.click()  # a new ticket: confirmed, then the password is asked
        dialog.confirm_box.button(QtWidgets.QMessageBox.StandardButton.Yes).click()
        qtbot.waitUntil(lambda: getattr(window, "password_dialog", None) is not None)
        assert window.ticket_dialog is None
        window.password_dialog.reject()
        assert window.password_dialog is None
    qtbot.waitUntil(
        lambda: not window.findChildren(TicketDialog) and not window.findChildren(PasswordDialog)
    )
