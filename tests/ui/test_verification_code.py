"""Both windows show the session's verification code, the same on each side, with a hint
to compare it on the phone; a password whose local part is wrong says so on both sides.

The agent window and the customer window run in this process against the real server
and relay; the customer's screen is another X display (``xvfb_display``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.branding.profile import load_profile
from remoteapp.ui.agent_session_end import ended_text
from remoteapp.ui.agent_window import AgentWindow
from remoteapp.ui.customer_window import CustomerWindow
from remoteapp.ui.qt import QtWidgets
from remoteapp.ui.viewer import ViewerWindow, spaced_code, verification_hint, wrong_password_text
from remotewire.passwords import ALPHABET, split_password
from tests.helpdesk.server_process import Server, start_server
from tests.ui.product import agent_window, look_up_ticket

ENV = {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32), "REMOTEAPP_POLL_WAIT_S": "1"}
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("verification"), ENV)
    yield server
    server.process.stop()


@pytest.fixture
def customer(
    server: Server, qtbot: QtBot, xvfb_display: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CustomerWindow:
    """The customer's window, registered; its sessions serve ``xvfb_display``. Another
    machine: its own data directory, so its own device (the agent window registers
    this process's device as the agent's own presence)."""
    profile = load_profile().with_overrides(server_url=server.http_url, app_id="demo")
    window = CustomerWindow(profile, display=xvfb_display)
    qtbot.addWidget(window)
    window.show()
    window.inputs["name"].setText("Vera Código")
    window.inputs["email"].setText("vera@example.com")
    with monkeypatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path / "customer-data"))
        with qtbot.waitSignal(window.registered, timeout=WAIT_MS):
            window.submit_button.click()
    return window


def start_with_password(
    window: AgentWindow, qtbot: QtBot, customer: CustomerWindow, password: str
) -> ViewerWindow:
    partner = customer.id_value._raw
    look_up_ticket(window, qtbot, partner, 1).start.click()
    qtbot.waitUntil(lambda: getattr(window, "password_dialog", None) is not None)
    window.password_dialog.setTextValue(password)
    before = set(viewers())
    window.password_dialog.accept()

    # (the viewer windows on screen, not window.viewers: a session that fails at once, a
    # wrong password, leaves that dict before a look could find it there)
    def viewer_open() -> None:
        assert set(viewers()) - before, window.status.text()

    qtbot.waitUntil(viewer_open, timeout=WAIT_MS)
    return next(iter(set(viewers()) - before))


def viewers() -> list[ViewerWindow]:
    return [w for w in QtWidgets.QApplication.topLevelWidgets() if isinstance(w, ViewerWindow)]


@pytest.mark.display
def test_both_windows_show_the_same_code_with_a_hint(
    server: Server, customer: CustomerWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    window, _tickets = agent_window(server, tmp_path, qtbot)
    whole = customer.password_value._raw
    assert len(whole) == 10 and customer.password_value.value.text() == whole
    with qtbot.waitSignal(customer.secured, timeout=WAIT_MS) as customer_code:
        viewer = start_with_password(window, qtbot, customer, whole)
    # not waitSignal: the network thread may emit before a wait starts (the slot that sets
    # the code runs later, on this thread), and a wait started after the emit never ends;
    # the customer window's own slot is queued too: it may run after the wait above ended
    qtbot.waitUntil(
        lambda: bool(viewer.verification_code and customer.verification_code), timeout=WAIT_MS
    )
    code = customer_code.args[0]
    assert len(code) == 6 and code.isdigit()
    assert viewer.verification_code == customer.verification_code == code
    assert spaced_code(code) in viewer.code_label.text()
    assert spaced_code(code) in customer.code_label.text()
    assert "compare" in customer.code_label.text()
    assert viewer.code_label.toolTip() == verification_hint()
    assert viewer.statusBar().currentMessage() == verification_hint()
    qtbot.waitUntil(customer.banner.isVisible, timeout=WAIT_MS)  # the agent's Hello arrived
    assert customer.code_label.isVisible()
    with qtbot.waitSignal(customer.session_ended, timeout=WAIT_MS):
        viewer.end_action.trigger()
    # (the window's own slot runs after the signal, on this thread: queued)
    qtbot.waitUntil(lambda: customer.code_label.text() == "", timeout=WAIT_MS)
    viewer.close()
    window.close()


@pytest.mark.display
def test_a_wrong_local_part_is_said_on_both_sides(
    server: Server, customer: CustomerWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    window, _tickets = agent_window(server, tmp_path, qtbot)
    whole = customer.password_value._raw
    server_part, local = split_password(whole)
    wrong = server_part + "".join(ALPHABET[(ALPHABET.index(c) + 1) % len(ALPHABET)] for c in local)
    with (
        qtbot.waitSignal(customer.wrong_password, timeout=WAIT_MS),
        qtbot.waitSignal(customer.password_changed, timeout=WAIT_MS),
    ):
        viewer = start_with_password(window, qtbot, customer, wrong)
    qtbot.waitUntil(customer.notice.isVisible, timeout=WAIT_MS)  # (its slot: queued)
    assert "does not match" in customer.notice.text()
    assert not customer.banner.isVisible() and customer.verification_code == ""
    qtbot.waitUntil(lambda: viewer.badge.text() == wrong_password_text(), timeout=WAIT_MS)
    said = ended_text(customer.id_value._raw, wrong_password_text())  # which, and why
    qtbot.waitUntil(lambda: window.status.text() == said, timeout=WAIT_MS)
    assert viewer.verification_code == ""
    qtbot.waitUntil(lambda: customer.password_value._raw != whole, timeout=WAIT_MS)
    viewer.close()
    window.close()
