"""A live session end to end: the real customer process shares an Xvfb display over TCP,
the agent side decodes it; the viewer's pixels equal the screen's, and the agent's click
and typing reach a text field on the customer's display."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from remoteapp.capture import ScreenGrabber
from remoteapp.net.session import Key, PointerButton, ScreenInfo, Text
from remoteapp.secure import SecureParams
from remoteapp.session import AgentSession
from tests.conftest import LineReader, shared_screen
from tests.displays import x_server


class Viewer:
    """The agent side, collecting what the callbacks deliver."""

    def __init__(self, sock: socket.socket, secure: SecureParams) -> None:
        self.changed = threading.Event()
        self.ended = threading.Event()
        self.info: ScreenInfo | None = None
        self.end_reason = ""
        self.session = AgentSession(
            sock,
            "Ana",
            secure=secure,
            on_frame=lambda fb, update: self.changed.set(),
            on_screen_info=lambda info: setattr(self, "info", info),
            on_end=self._end,
        )

    def _end(self, reason: str) -> None:
        self.end_reason = reason
        self.ended.set()


@pytest.fixture
def live(xvfb_display: str) -> Iterator[tuple[Viewer, LineReader, LineReader]]:
    with shared_screen(xvfb_display) as shared:
        viewer = Viewer(shared.sock, shared.secure)
        viewer.session.start()
        try:
            shared.customer.wait_for("share event=agent agent='Ana'", timeout=30)
            yield viewer, shared.customer, shared.field
        finally:
            viewer.session.end("test over")


def wait_until_equal(
    viewer: Viewer, display: str, timeout: float = 20, monitor: int = 1
) -> np.ndarray:
    """Bounded wait until the viewer's framebuffer equals a fresh grab of the display."""
    deadline = time.monotonic() + timeout
    with ScreenGrabber(display=display) as grabber:
        while time.monotonic() < deadline:
            viewer.changed.wait(0.5)
            viewer.changed.clear()
            fb = viewer.session.decoder.framebuffer
            screen = grabber.grab(monitor).pixels
            if fb is not None and np.array_equal(fb, screen):
                return fb
    raise AssertionError("the viewer never showed exactly what is on the customer's screen")


@pytest.mark.display
def test_viewer_shows_the_screen_and_controls_it(
    live: tuple[Viewer, LineReader, LineReader], xvfb_display: str
) -> None:
    viewer, customer_out, field_out = live
    fb = wait_until_equal(viewer, xvfb_display)
    assert fb.shape == (800, 1280, 4)
    assert viewer.info is not None and viewer.info.monitors[viewer.info.active].width == 1280
    assert viewer.session.customer_name == "Maria"

    send = viewer.session.send
    send(PointerButton(150, 120, "left", True))
    send(PointerButton(150, 120, "left", False))
    assert field_out.wait_for("press", timeout=10).split()[1:3] == ["50", "20"]
    for key in "ok":
        send(Key(key, True))
        send(Key(key, False))
    send(Text(" ótimo"))
    field_out.wait_for("text 'ok ótimo'", timeout=10)
    wait_until_equal(viewer, xvfb_display)  # the typed text reached the viewer's pixels too

    deadline = time.monotonic() + 10
    while viewer.session.latency_ms is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert viewer.session.latency_ms is not None and viewer.session.latency_ms < 1000

    viewer.session.end("agent ended the session")
    assert "agent ended the session" in customer_out.wait_for("share event=ended", timeout=10)
    assert customer_out.proc.wait(10) == 0


@pytest.mark.display
def test_customer_going_away_ends_the_viewer(
    live: tuple[Viewer, LineReader, LineReader], xvfb_display: str
) -> None:
    viewer, customer_out, _ = live
    wait_until_equal(viewer, xvfb_display)
    customer_out.proc.kill()
    assert viewer.ended.wait(15)
    assert "connection lost" in viewer.end_reason


@pytest.mark.display
def test_a_display_without_randr_is_shared_as_its_one_screen() -> None:
    """Without RandR the screen is the monitors' union alone (index 0): the customer
    shares it, where the first monitor's index (1) used to end every session."""
    argv = ["Xvfb", "-screen", "0", "640x480x24", "-nolisten", "tcp", "-extension", "RANDR"]
    with x_server(argv) as display:
        with ScreenGrabber(display=display) as grabber:
            assert len(grabber.monitors()) == 1, "this Xvfb has RandR monitors after all"
        with shared_screen(display) as shared:
            viewer = Viewer(shared.sock, shared.secure)
            viewer.session.start()
            try:
                fb = wait_until_equal(viewer, display, monitor=0)
                assert fb.shape == (480, 640, 4)
                assert viewer.info is not None and viewer.info.active == 0
            finally:
                viewer.session.end("test over")
