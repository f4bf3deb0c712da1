"""``auto``: the copy capture where no compositing manager runs, the damage capture where
one does, on a real Xvfb; the compositor as EWMH's selection owner (a fake compositor of
the test's own takes and gives back ``_NET_WM_CM_S0``, as xfwm4 or picom do); a display
that cannot be asked, or a server gone during the check, is ``damage``, said in the log
(python-xlib's display faked there: the boundary is not ours), the connection closed."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from Xlib import X
from Xlib.error import BadAtom, ConnectionClosedError

from remoteapp.capture import DamageGrabber, open_capture, x11_compositor
from remoteapp.capture.copy_grabber import CopyGrabber
from remoteapp.capture.x11_compositor import auto_mode, compositor
from remoteapp.errors import CaptureError
from tests.capture.damage_rig import FbdirXvfb


class FakeCompositor:
    """A client that owns the screen's compositing-manager selection while it runs."""

    def __init__(self, display: str) -> None:
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


@pytest.mark.display
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


@pytest.mark.display
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


class FakeDisplay:
    """python-xlib's Display, as far as the check uses it (helper-74's review)."""

    def __init__(
        self, screen: int = 0, atom: int = 0, owner: Any = X.NONE,
        fail: Exception | None = None, fail_close: Exception | None = None,
    ) -> None:  # fmt: skip
        self.screen, self.atom, self.owner = screen, atom, owner
        self.fail, self.fail_close = fail, fail_close
        self.asked: list[tuple[str, bool]] = []
        self.closed = False

    def get_default_screen(self) -> int:
        return self.screen

    def intern_atom(self, name: str, only_if_exists: bool = False) -> int:
        self.asked.append((name, bool(only_if_exists)))
        if self.fail is not None:
            raise self.fail
        return self.atom

    def get_selection_owner(self, atom: int) -> Any:
        return self.owner

    def close(self) -> None:
        self.closed = True
        if self.fail_close is not None:
            raise self.fail_close


class Window:
    id = 0x400001


@pytest.mark.parametrize(
    ("fake", "expected"),
    [
        (FakeDisplay(screen=1), None),
        (FakeDisplay(screen=1, atom=300), None),
        (FakeDisplay(screen=1, atom=300, owner=Window()), 0x400001),
        (FakeDisplay(screen=1, atom=300, owner=0x500002), 0x500002),
    ],
    ids=["never-interned", "no-owner", "owned", "owned-as-an-id"],
)
def test_the_check_asks_for_the_default_screen_and_closes(
    monkeypatch: pytest.MonkeyPatch, fake: FakeDisplay, expected: int | None
) -> None:
    monkeypatch.setattr(x11_compositor, "open_display", lambda display, what: fake)
    assert compositor(":0.1") == expected
    assert fake.asked == [("_NET_WM_CM_S1", True)] and fake.closed


@pytest.mark.parametrize(
    "fake",
    [
        FakeDisplay(fail=BadAtom(None, b"\0" * 32)),
        FakeDisplay(fail=ConnectionClosedError("server")),
        FakeDisplay(fail=OSError(32, "Broken pipe"), fail_close=ConnectionClosedError("server")),
    ],
    ids=["x-error", "closed-in-request", "closed-at-close"],
)
def test_a_server_that_errs_or_goes_mid_check_is_damage_and_said(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fake: FakeDisplay
) -> None:
    monkeypatch.setattr(x11_compositor, "open_display", lambda display, what: fake)
    with pytest.raises(CaptureError, match="cannot ask"):
        compositor(":0")
    with caplog.at_level(logging.INFO, "remoteapp.capture"):
        assert auto_mode(":0") == "damage"
    assert "event=auto chose=damage reason=" in caplog.text and "cannot ask" in caplog.text
    assert fake.closed
