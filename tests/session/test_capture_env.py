"""Which capture a customer session uses: ``REMOTEAPP_CAPTURE`` (an administrator's
choice for the machine: ``copy`` on a terminal server, ``auto`` for a fleet of mixed
desktops), ``damage`` when it is unset or unknown (logged).  Live: a session on Xvfb
with ``copy``, or ``auto`` (Xvfb runs no compositor), serves through the copy grabber and
the viewer matches the screen after a terminal's scroll."""

from __future__ import annotations

import logging

import pytest

from remoteapp.capture import DamageGrabber, capture_mode
from remoteapp.capture.copy_grabber import CopyGrabber
from remoteapp.capture.session import CAPTURE_ENV
from tests.session.live_ends import live_session, until_exact

WAIT_S = 30.0
CAPTURE = "customer-capture"  #: the capture thread's name


@pytest.mark.parametrize(
    ("value", "mode"),
    [(None, "damage"), ("copy", "copy"), (" COPY\n", "copy"), ("poll", "poll"),
     ("damage", "damage"), ("", "damage"), ("Auto", "auto")],
)  # fmt: skip
def test_the_environment_chooses_the_capture(value: str | None, mode: str) -> None:
    assert capture_mode({} if value is None else {CAPTURE_ENV: value}) == mode


@pytest.mark.parametrize("value", ["vnc", "copy\udcff", "9" * 5000])
def test_an_unknown_capture_is_damage_and_said(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "remoteapp.capture"):
        assert capture_mode({CAPTURE_ENV: value}) == "damage"
    assert "unknown-mode" in caplog.text


class Terminal:
    """A 400x300 window of the test's own that scrolls as a terminal does."""

    def __init__(self, display: str) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self.d = xdisplay.Display(display)
        screen = self.d.screen()
        self.win = screen.root.create_window(
            60, 60, 400, 300, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
            override_redirect=True, background_pixel=screen.white_pixel,
        )  # fmt: skip
        self.gc = self.win.create_gc(foreground=screen.black_pixel, graphics_exposures=False)
        self.win.map()
        self.d.sync()

    def scroll(self, text: bytes) -> None:
        self.win.poly_text(self.gc, 5, 290, [text])
        self.win.copy_area(self.gc, self.win, 0, 13, 400, 287, 0, 0)
        self.win.clear_area(0, 287, 400, 13)
        self.d.sync()

    def close(self) -> None:
        self.win.destroy()
        self.d.close()


@pytest.mark.display
@pytest.mark.parametrize(
    ("value", "backend"),
    [("copy", CopyGrabber), ("nope", DamageGrabber), ("auto", CopyGrabber)],  # (no compositor)
)
def test_a_session_serves_with_the_capture_the_environment_asks_for(
    xvfb_display: str, monkeypatch: pytest.MonkeyPatch, value: str, backend: type
) -> None:
    monkeypatch.setenv("DISPLAY", xvfb_display)
    monkeypatch.setenv(CAPTURE_ENV, value)
    term = Terminal(xvfb_display)
    try:
        with live_session(xvfb_display) as live:
            assert type(live.customer._grabber) is backend
            for line in range(20):
                term.scroll(f"line {line} ".encode() * 6)
            until_exact(live, xvfb_display)
    finally:
        term.close()
