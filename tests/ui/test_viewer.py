"""The viewer window, for real: on the agent's X display it shows exactly the pixels of
the customer's display, and a click and typing in it reach the customer's text field."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from remoteapp.capture import ScreenGrabber
from remoteapp.codec import DecodedUpdate, Rect
from remoteapp.net.session import PointerMove
from remoteapp.session import AgentSession
from remoteapp.ui.qt import QtCore, QtGui
from remoteapp.ui.screen_view import ScreenView, key_name
from remoteapp.ui.viewer import ViewerWindow
from tests import pointer
from tests.conftest import client_env, shared_screen
from tests.secure.peer import direct_pair


def region_on_screen(display: str, x: int, y: int, w: int, h: int) -> np.ndarray:
    with ScreenGrabber(display=display) as grabber:
        return grabber.grab(0).pixels[y : y + h, x : x + w, :3].copy()


@pytest.mark.display
def test_viewer_shows_and_controls_the_customer_screen(
    qtbot: QtBot, xvfb_display: str, agent_display: str
) -> None:
    with shared_screen(xvfb_display) as shared:
        session = AgentSession(shared.sock, "Ana", secure=shared.secure)
        window = ViewerWindow(session, "Maria")
        qtbot.addWidget(window)
        window.fit_action.trigger()  # 1:1, the remote screen is 1280x800
        window.resize(1500, 1000)
        window.move(0, 0)
        window.show()
        qtbot.waitExposed(window)
        session.start()
        shared.customer.wait_for("share event=agent agent='Ana'", timeout=30)
        with ScreenGrabber(display=xvfb_display) as customer_screen:
            expected = customer_screen.grab(1).pixels[..., :3]

        def shows_customer_screen() -> None:
            origin = window.view.mapToGlobal(QtCore.QPoint(0, 0))
            seen = region_on_screen(agent_display, origin.x(), origin.y(), 1280, 800)
            assert seen.shape == expected.shape and np.array_equal(seen, expected)

        qtbot.waitUntil(shows_customer_screen, timeout=20_000)

        qtbot.waitUntil(lambda: window.view.size() == QtCore.QSize(1280, 800))  # 1:1 laid out
        target = window.view.mapToGlobal(QtCore.QPoint(150, 120))  # the field's (50, 20)
        pointer.click(agent_display, target.x(), target.y())
        env = client_env(agent_display)
        qtbot.waitUntil(lambda: shared.field.saw("press") is not None, timeout=10_000)
        assert shared.field.seen[-1].split()[1:3] == ["50", "20"]
        subprocess.run(["xdotool", "type", "--delay", "30", "Ok"], env=env, check=True, timeout=10)
        qtbot.waitUntil(lambda: shared.field.saw("text 'Ok'") is not None, timeout=10_000)

        qtbot.waitUntil(lambda: "ms" in window.badge.text() and "fps" in window.badge.text())
        with qtbot.waitSignal(window.session_ended, timeout=10_000):
            window.end_action.trigger()
        assert "agent ended the session" in shared.customer.wait_for("share event=ended", 10)
        qtbot.waitUntil(lambda: window.badge.text() == "The agent ended the session.")
        assert not window.end_action.isEnabled()


def test_fit_mode_maps_clicks_to_remote_pixels(qtbot: QtBot) -> None:
    view = ScreenView()
    qtbot.addWidget(view)
    fb = np.zeros((800, 1280, 4), np.uint8)
    view.take_frame(fb, DecodedUpdate(0, True, [Rect(0, 0, 1280, 800)], None))
    view.resize(640, 600)  # scale 0.5, picture 640x400 centred: 100 px above and below
    view.show()
    qtbot.waitExposed(view)
    assert view.to_remote(QtCore.QPointF(0, 100)) == (0, 0)
    assert view.to_remote(QtCore.QPointF(320, 300)) == (640, 400)
    assert view.to_remote(QtCore.QPointF(639.9, 499.9)) == (1279, 799)
    assert view.to_remote(QtCore.QPointF(-50, 5)) == (0, 0)  # clamped, never outside
    moves: list[object] = []
    view.input_event.connect(moves.append)
    qtbot.mouseMove(view, QtCore.QPoint(320, 300))
    qtbot.waitUntil(lambda: PointerMove(640, 400) in moves)


@pytest.mark.parametrize(
    ("key", "text", "name"),
    [
        (QtCore.Qt.Key.Key_A, "a", "a"),
        (QtCore.Qt.Key.Key_A, "A", "a"),
        (QtCore.Qt.Key.Key_A, "\x01", "a"),
        (QtCore.Qt.Key.Key_Return, "\r", "enter"),
        (QtCore.Qt.Key.Key_F5, "", "f5"),
        (QtCore.Qt.Key.Key_Control, "", "ctrl"),
        (QtCore.Qt.Key.Key_Question, "?", "?"),
        (QtCore.Qt.Key.Key_Ccedilla, "ç", "ç"),
    ],
)
def test_qt_keys_map_to_session_names(
    qapp: object, key: QtCore.Qt.Key, text: str, name: str
) -> None:
    event = QtGui.QKeyEvent(
        QtCore.QEvent.Type.KeyPress, key, QtCore.Qt.KeyboardModifier.NoModifier, text
    )
    assert key_name(event) == name


def test_one_to_one_chosen_before_the_first_frame_still_sizes_the_view(qtbot: QtBot) -> None:
    """Regression: 1:1 picked while the remote size was unknown left a 1x1 view."""
    import socket

    ours, _theirs = socket.socketpair()
    with ours, _theirs:
        window = ViewerWindow(AgentSession(ours, "Ana", secure=direct_pair()[0]), "Maria")
        qtbot.addWidget(window)
        window.show()
        window.fit_action.trigger()  # 1:1 with nothing received yet
        fb = np.zeros((300, 500, 4), np.uint8)
        update = DecodedUpdate(0, True, [Rect(0, 0, 500, 300)], None)
        window.on_frame(fb, update)  # as the network thread would
        qtbot.waitUntil(lambda: window.view.size() == QtCore.QSize(500, 300))
        window.fit_action.trigger()  # back to fit: the view follows the window again
        qtbot.waitUntil(lambda: window.view.size() != QtCore.QSize(500, 300))


@pytest.mark.display
def test_viewer_switches_between_the_customers_monitors(
    qtbot: QtBot, dual_monitor_display: str
) -> None:
    with shared_screen(dual_monitor_display) as shared:
        session = AgentSession(shared.sock, "Ana", secure=shared.secure)
        window = ViewerWindow(session, "Maria")
        qtbot.addWidget(window)
        window.show()
        session.start()
        qtbot.waitUntil(lambda: window.monitor_box.count() == 3, timeout=20_000)
        assert window.monitor_action.isVisible()
        assert window.monitor_box.currentData() == 1
        qtbot.waitUntil(lambda: window.view.remote_size == (800, 600), timeout=10_000)

        window.monitor_box.setCurrentIndex(window.monitor_box.findData(2))
        window.monitor_box.activated.emit(window.monitor_box.currentIndex())
        with ScreenGrabber(display=dual_monitor_display) as grabber:
            second = grabber.grab(2).pixels[..., :3]

        def shows_the_second_monitor() -> None:
            assert window.view.remote_size == (640, 480)
            assert np.array_equal(window.view.picture()[..., :3], second)

        qtbot.waitUntil(shows_the_second_monitor, timeout=20_000)
        assert window.monitor_box.currentData() == 2
        window.end_action.trigger()
