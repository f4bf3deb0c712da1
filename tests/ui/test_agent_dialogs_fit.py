"""The agent's dialogs keep their text in view: a ticket number beyond the server's range
is said in the app's words (it got the server's raw 422); a long message wraps within a
bounded width (it widened the ticket dialog past the screen, its buttons cut off); the
login dialog grows for the keyring's notice filled in after it is shown, and its server
field shows the whole address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.ui import credentials, i18n
from remoteapp.ui.agent_dialogs import MAX_TICKET_ID, LoginDialog, TicketDialog
from remoteapp.ui.qt import QtCore, QtWidgets


class Tickets:
    """A ticket service that records what it was asked; ``failure`` raised if set."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.asked: list[int] = []
        self.failure = failure

    def get_ticket(self, number: int) -> dict[str, Any]:
        self.asked.append(number)
        if self.failure is not None:
            raise self.failure
        return {"id": number, "subject": "Printer", "clients": [], "owner": {}}


@pytest.fixture
def portuguese(qapp: QtWidgets.QApplication) -> Iterator[None]:
    _, translators = i18n.install(qapp, "pt_BR")
    yield
    i18n.uninstall(qapp, translators)


def shown_within(widget: QtWidgets.QWidget, dialog: QtWidgets.QDialog) -> None:
    """``widget`` lies inside ``dialog``, whole (a wrapped label: all its lines)."""
    box = QtCore.QRect(widget.mapTo(dialog, QtCore.QPoint(0, 0)), widget.size())
    assert dialog.rect().contains(box), (box, dialog.rect())
    if isinstance(widget, QtWidgets.QLabel) and widget.wordWrap():
        assert widget.height() >= widget.heightForWidth(widget.width()), widget.text()
    elif isinstance(widget, QtWidgets.QLabel):  # one line: all of it
        assert widget.width() >= widget.sizeHint().width(), widget.text()


def ticket_dialog(qtbot: QtBot, tickets: Tickets) -> TicketDialog:
    dialog = TicketDialog(tickets, "599749790", None)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


@pytest.mark.display
def test_a_ticket_number_out_of_range_is_said_without_asking(
    qtbot: QtBot, portuguese: None
) -> None:
    tickets = Tickets()
    dialog = ticket_dialog(qtbot, tickets)
    for number in ("12345678901234567890123", "0", str(MAX_TICKET_ID + 1)):
        dialog.number.setText(number)
        dialog.lookup.click()
        assert dialog.message.text() == (
            f"Um número de chamado vai de 1 a {MAX_TICKET_ID}: confira o número."
        )
    assert tickets.asked == []
    dialog.number.setText(str(MAX_TICKET_ID))
    dialog.lookup.click()
    qtbot.waitUntil(dialog.start.isEnabled)
    assert tickets.asked == [MAX_TICKET_ID]


@pytest.mark.display
def test_a_long_message_wraps_within_the_screen(qtbot: QtBot) -> None:
    words = " ".join(["the server said something rather long about this ticket"] * 12)
    dialog = ticket_dialog(qtbot, Tickets(RuntimeError(words)))
    dialog.number.setText("42")
    dialog.lookup.click()
    qtbot.waitUntil(lambda: words in dialog.message.text())
    qtbot.waitUntil(lambda: shown_within(dialog.message, dialog))
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= min(screen.width(), 640), dialog.width()
    for button in (dialog.start, dialog.no_ticket, dialog.lookup):
        shown_within(button, dialog)
    unbreakable = "https://helpdesk.example.com/" + "x" * 200  # no space to wrap at
    dialog._say(unbreakable)
    assert dialog.width() <= min(screen.width(), 640), dialog.width()
    for button in (dialog.start, dialog.no_ticket, dialog.lookup):
        shown_within(button, dialog)


@pytest.mark.display
def test_the_login_dialog_grows_for_the_keyring_notice(
    qtbot: QtBot, portuguese: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    why = "este sistema não tem um chaveiro (secret service) para guardar a senha"
    monkeypatch.setattr(credentials, "saved_login", lambda: (why, None))
    server = "http://127.0.0.1:18380"
    dialog = LoginDialog(server)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.keyring_checked)
    assert dialog.message.text().startswith("O login não será lembrado")
    qtbot.waitUntil(lambda: shown_within(dialog.message, dialog))
    field = dialog.server
    text_room = field.width() - 2 * field.style().pixelMetric(
        QtWidgets.QStyle.PixelMetric.PM_DefaultFrameWidth
    )
    assert field.fontMetrics().horizontalAdvance(server) < text_room
    dialog.message.setText("")
    dialog._say(" ".join(["Não foi possível entrar: o servidor recusou."] * 6))
    qtbot.waitUntil(lambda: shown_within(dialog.message, dialog))
    assert dialog.width() <= dialog.screen().availableGeometry().width()
