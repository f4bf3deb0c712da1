"""A session's end, as the agent sees it, with a real customer app and a real session: the
viewer stays open saying why it ended until the agent closes it (it vanished at once),
and the agent window's status says which session ended, in the same words.  A session
that ended on a wrong password learnt no name from the customer: its ticket action names
the customer as the server knows them, not by ID only."""

from __future__ import annotations

import re
import secrets
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.ui.end_reasons import end_reason_text
from remoteapp.ui.qt import is_alive
from remoteapp.ui.viewer import ViewerWindow, wrong_password_text
from remotewire.passwords import ALPHABET, LOCAL_PART
from tests.conftest import LineReader
from tests.helpdesk.server_process import Server, start_server
from tests.ui.product import (
    agent_window,
    customer_password,
    look_up_ticket,
    pick_in_queue,
    start_without_ticket,
)


@pytest.fixture(scope="module")
def product_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("session-end"), {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32)}
    )
    yield server
    server.process.stop()


def shown(viewer: weakref.ref[ViewerWindow]) -> ViewerWindow:
    """The viewer, still there and on screen (not collected with its session's end)."""
    window = viewer()
    assert window is not None and is_alive(window) and window.isVisible()
    return window


def wrong_local_part(password: str) -> str:
    """The server's part right, the customer app's own part wrong: the server grants the
    session and the key exchange finds the mismatch."""
    local = password[-LOCAL_PART:]
    other = "".join(ALPHABET[(ALPHABET.index(ch) + 1) % len(ALPHABET)] for ch in local)
    return password[:-LOCAL_PART] + other


@pytest.mark.display
@pytest.mark.parametrize("customer_name", ["Rita Senha"])
def test_a_wrong_password_session_stays_shown_and_its_action_names_the_customer(
    qtbot: QtBot,
    product_server: Server,
    customer: tuple[LineReader, LineReader],
    customer_name: str,
    xvfb_display: str,
    tmp_path: Path,
) -> None:
    app_out, _ = customer
    found = re.search(r"partner=(\d+)", app_out.wait_for("customer event=registered", 30))
    assert found is not None
    partner = found.group(1)
    window, tickets = agent_window(product_server, tmp_path, qtbot)
    before = len(tickets.get_ticket(2)["actions"])
    dialog = look_up_ticket(window, qtbot, partner, 2)
    dialog.start.click()
    qtbot.waitUntil(lambda: getattr(window, "password_dialog", None) is not None)
    window.password_dialog.setTextValue(wrong_local_part(customer_password(app_out, xvfb_display)))
    window.password_dialog.accept()

    qtbot.waitUntil(lambda: bool(window.viewers), timeout=20_000)
    viewer = weakref.ref(next(iter(window.viewers.values())))  # only the app holds it
    qtbot.waitUntil(lambda: not window.viewers, timeout=20_000)  # the session is over
    said = f"The session with {partner} has ended. {wrong_password_text()}"
    qtbot.waitUntil(lambda: window.status.text() == said, timeout=10_000)
    qtbot.waitUntil(lambda: shown(viewer) and shown(viewer).badge.text() == wrong_password_text())

    def action_names_the_customer() -> None:
        actions = tickets.get_ticket(2)["actions"]
        assert len(actions) == before + 1
        assert customer_name in actions[-1]["description"]

    qtbot.waitUntil(action_names_the_customer, timeout=20_000)


@pytest.mark.display
@pytest.mark.parametrize("customer_name", ["Vera Fim"])
def test_an_ended_session_stays_shown_until_the_agent_closes_it(
    qtbot: QtBot,
    product_server: Server,
    customer: tuple[LineReader, LineReader],
    customer_name: str,
    tmp_path: Path,
) -> None:
    app_out, _ = customer
    app_out.wait_for("customer event=registered", 30)
    window, _ = agent_window(product_server, tmp_path, qtbot)
    pick_in_queue(window, qtbot, customer_name)
    start_without_ticket(window, qtbot)
    viewer = weakref.ref(next(iter(window.viewers.values())))  # only the app holds it
    app_out.wait_for("customer event=agent-joined agent='Demo Agent'", 30)

    window.viewers[next(iter(window.viewers))].end_action.trigger()
    said = end_reason_text("agent ended the session")
    qtbot.waitUntil(
        lambda: window.status.text() == f"The session with {customer_name} has ended. {said}",
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: shown(viewer) and shown(viewer).badge.text() == said)
    assert not window.viewers and window.session_ends.viewers == [viewer()]

    shown(viewer).close()  # the agent closes it: then it goes
    qtbot.waitUntil(lambda: window.session_ends.viewers == [])
    qtbot.waitUntil(lambda: viewer() is None or not is_alive(viewer()))
