"""The agent's clicks as the damage source sees them: a click where the agent's last move
put the pointer moves nothing, so it raises no raw motion (each woke the capture thread
for a grab that found nothing), and a click elsewhere, or after someone at the desktop
moved the pointer, still lands where the agent clicked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from remoteapp.capture import DamageGrabber, Monitor
from remoteapp.control import InputInjector
from remoteapp.net.session import PointerButton, PointerMove, Wheel
from tests.capture.damage_rig import Clock, FbdirXvfb, Painter


@pytest.fixture
def injector(fbdir_xvfb: FbdirXvfb, monkeypatch: pytest.MonkeyPatch) -> Iterator[InputInjector]:
    monkeypatch.setenv("DISPLAY", fbdir_xvfb.display)
    with InputInjector() as injector:
        yield injector


def presses(painter: Painter) -> list[tuple[int, int]]:
    """The button presses the painter's window got so far, where each landed (root)."""
    painter.d.sync()
    got = []
    while painter.d.pending_events():
        event = painter.d.next_event()
        if event.type == painter.X.ButtonPress:
            got.append((event.root_x, event.root_y))
    return got


def settled(grabber: DamageGrabber, mon: Monitor) -> None:
    """Everything raised so far is gathered and grabbed: nothing is pending."""
    assert grabber.sync()
    grabber.grab(mon)
    assert grabber.sync()
    assert not grabber.pending()


@pytest.mark.display
def test_a_click_where_the_pointer_is_moves_nothing_and_still_lands(
    painter: Painter, damage_grabber: tuple[DamageGrabber, Clock], injector: InputInjector
) -> None:
    X = painter.X
    painter.win.change_attributes(event_mask=X.ButtonPressMask)
    painter.d.sync()
    grabber, _ = damage_grabber
    mon = grabber.monitors()[1]
    grabber.grab(mon)

    settled(grabber, mon)
    injector.apply(PointerMove(100, 80))
    assert grabber.sync() and grabber.pending()  # (a move that moves: motion)
    settled(grabber, mon)
    injector.apply(PointerButton(100, 80, "left", True))
    injector.apply(PointerButton(100, 80, "left", False))
    injector.apply(Wheel(100, 80, 0, -1))
    assert grabber.sync()
    assert not grabber.pending(), "a click where the pointer is raised motion"
    assert presses(painter) == [(100, 80), (100, 80)]  # (the left button, the wheel: 5)

    # someone at the desktop moved the pointer: the agent's click still lands at its spot
    painter.d.screen().root.warp_pointer(150, 90)
    painter.d.sync()
    settled(grabber, mon)
    injector.apply(PointerButton(100, 80, "left", True))
    injector.apply(PointerButton(100, 80, "left", False))
    assert grabber.sync() and grabber.pending()
    assert presses(painter) == [(100, 80)]
    assert grabber.grab(mon).cursor == (100 - mon.left, 80 - mon.top)

    # a click with no move before it (a viewer that coalesced the move away)
    settled(grabber, mon)
    injector.apply(PointerButton(120, 60, "left", True))
    injector.apply(PointerButton(120, 60, "left", False))
    assert presses(painter) == [(120, 60)]


@pytest.mark.display
def test_on_a_monitor_at_an_offset_the_click_is_compared_where_it_lands(
    painter: Painter, damage_grabber: tuple[DamageGrabber, Clock], injector: InputInjector
) -> None:
    """The viewer's coordinates are the shared monitor's; the last move is remembered in
    the desktop's, as the click's target is compared (a mixup would move every click,
    or skip a move that was needed)."""
    X = painter.X
    painter.win.change_attributes(event_mask=X.ButtonPressMask)
    painter.d.sync()
    grabber, _ = damage_grabber
    mon = grabber.monitors()[1]
    injector.set_monitor(40, 30, 400, 300)
    grabber.grab(mon)

    injector.apply(PointerMove(60, 50))
    settled(grabber, mon)
    injector.apply(PointerButton(60, 50, "left", True))
    injector.apply(PointerButton(60, 50, "left", False))
    assert grabber.sync()
    assert not grabber.pending(), "a click where the pointer is raised motion"
    assert presses(painter) == [(100, 80)]
    # the desktop's (60, 50) is not the monitor's: the pointer goes to (100, 80) first
    painter.d.screen().root.warp_pointer(60, 50)
    painter.d.sync()
    settled(grabber, mon)
    injector.apply(PointerButton(60, 50, "left", True))
    injector.apply(PointerButton(60, 50, "left", False))
    assert presses(painter) == [(100, 80)]
