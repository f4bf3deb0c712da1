"""``auto``: the copy capture where no compositing manager runs, the damage capture where
one does, on a real Xvfb; the compositor as EWMH's selection owner (a fake compositor of
the test's own takes and gives back ``_NET_WM_CM_S0``, as xfwm4 or picom do); a display
that cannot be asked is ``damage``, said in the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from remoteapp.capture import DamageGrabber, open_capture
from remoteapp.capture.copy_grabber import CopyGrabber
from remoteapp.capture.x11_compositor import auto_mode, compositor
from remoteapp.errors import CaptureError
from tests.capture.damage_rig import FbdirXvfb

pytestmark = pytest.mark.display


class FakeCompositor:
    """A client that owns the screen's compositing-manager selection while it runs."""

    def __init__(self, display: str) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self.d = xdisplay.Display(display)
        self.atom = self.d.intern_atom("_NET_WM_CM_S0")
        self.window = self.d.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
        self.window.set_selection_owner(self.atom, X.CurrentTime)
        self.d.sync()

    def give_up(self) -> None:
        """The owner's window destroyed: the selection has no owner (X's rule)."""
        self.window.destroy()
        self.d.sync()

    def close(self) -> None:
        self.d.close()


@pytest.fixture
def fake_compositor(fbdir_xvfb: FbdirXvfb) -> Iterator[FakeCompositor]:
    fake = FakeCompositor(fbdir_xvfb.display)
    try:
        yield fake
    finally:
        fake.close()


def test_with_no_compositor_auto_follows_the_copies(
    fbdir_xvfb: FbdirXvfb, caplog: pytest.LogCaptureFixture
) -> None:
    assert compositor(fbdir_xvfb.display) is None
    with (
        caplog.at_level(logging.INFO, "remoteapp.capture"),
        open_capture("auto", display=fbdir_xvfb.display) as g,
    ):
        assert isinstance(g, CopyGrabber) and g.following
    assert "event=auto chose=copy reason=no-compositor" in caplog.text


def test_under_a_compositor_auto_captures_by_damage_and_follows_again_once_it_goes(
    fbdir_xvfb: FbdirXvfb, fake_compositor: FakeCompositor, caplog: pytest.LogCaptureFixture
) -> None:
    assert compositor(fbdir_xvfb.display) == fake_compositor.window.id
    with (
        caplog.at_level(logging.INFO, "remoteapp.capture"),
        open_capture("auto", display=fbdir_xvfb.display) as g,
    ):
        assert type(g) is DamageGrabber
    assert f"chose=damage reason=compositor owner={fake_compositor.window.id:#x}" in caplog.text
    fake_compositor.give_up()
    assert compositor(fbdir_xvfb.display) is None
    assert auto_mode(fbdir_xvfb.display) == "copy"


@pytest.mark.parametrize("error", [OverflowError("port must be 0-65535"), OSError(111, "no")])
def test_a_display_that_cannot_be_opened_is_a_capture_error(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    """(python-xlib raises OverflowError for a display number past 65535 - 6000.)"""

    def fail(name: Any) -> None:
        raise error

    monkeypatch.setattr("Xlib.display.Display", fail)
    with pytest.raises(CaptureError, match="compositor check"):
        compositor(":99999")


def test_a_display_that_cannot_be_asked_is_damage_and_said(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(display: Any) -> None:
        raise CaptureError("the X server went")

    monkeypatch.setattr("remoteapp.capture.x11_compositor.compositor", refuse)
    with caplog.at_level(logging.INFO, "remoteapp.capture"):
        assert auto_mode(":0") == "damage"
    assert "event=auto chose=damage reason='the X server went'" in caplog.text
