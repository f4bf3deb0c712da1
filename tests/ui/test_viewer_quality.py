"""The viewer's picture toggle (issue 12): choosing Best quality / Best speed / Automatic
sends the customer a SetQuality with that mode over the real session."""

from __future__ import annotations

import socket

from pytestqt.qtbot import QtBot

from remoteapp.net.session import Hello, SetQuality
from remoteapp.session import AgentSession
from remoteapp.ui.viewer import ViewerWindow
from tests.secure.peer import HandPeer, direct_pair


def test_the_quality_toggle_tells_the_customer(qtbot: QtBot) -> None:
    ours, theirs = socket.socketpair()
    agent_params, customer_params = direct_pair()
    with ours, theirs:
        session = AgentSession(ours, "Ana", secure=agent_params)
        peer = HandPeer(theirs, customer_params)
        window = ViewerWindow(session, "Maria")
        qtbot.addWidget(window)
        window.show()
        session.start()
        box = window.quality_box
        assert [box.itemText(i) for i in range(box.count())] == [
            "Automatic",
            "Best quality",
            "Best speed",
        ]
        for row in (1, 2, 0):
            box.setCurrentIndex(row)
            box.activated.emit(row)
        got = peer.read_until(SetQuality("auto"))
        assert isinstance(got[0], Hello) and {"vp8", "jpeg"} <= set(got[0].capabilities)
        modes = [e.mode for e in got if isinstance(e, SetQuality)]
        assert modes == ["quality", "speed", "auto"]
        with qtbot.waitSignal(window.session_ended, timeout=10_000):
            window.end_action.trigger()
