"""The key lane (``remoteapp.session.key_lane``) in a live customer and agent on Xvfb: small
changes are served by it and reach the viewer exactly; what it does not take (a key frame
request, which wakes it; large damage, which it hands back) is served by the general
loop, and the lane takes over again after each.  The viewer's framebuffer is compared
with a full grab of the display, pixel for pixel."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from remoteapp.codec.decoder import DecodedUpdate
from remoteapp.net.session import KeyFrameRequest
from remoteapp.session.key_lane import Pace
from tests.session.live_ends import WAIT_S, Live, live_session, until_exact

WIN_X, WIN_Y = 100, 100  #: the test window's place on the screen


@pytest.fixture(scope="module")
def window(xvfb_display: str) -> Iterator[Callable[[int, int, int, int, int], None]]:
    """A window of the tests' own on the shared display, and a call that fills a part of
    it with a colour (x, y, w, h, colour); one for the module."""
    from Xlib import X
    from Xlib import display as xdisplay

    d = xdisplay.Display(xvfb_display)
    screen = d.screen()
    win = screen.root.create_window(
        WIN_X, WIN_Y, 1100, 400, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        override_redirect=True, background_pixel=screen.black_pixel,
    )  # fmt: skip
    win.map()
    d.sync()

    def fill(x: int, y: int, w: int, h: int, colour: int) -> None:
        gc = win.create_gc(foreground=colour)
        win.fill_rectangle(gc, x, y, w, h)
        gc.free()
        d.sync()

    try:
        yield fill
    finally:
        win.destroy()
        d.close()


@pytest.fixture
def live(xvfb_display: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setenv("DISPLAY", xvfb_display)  # (the injector's display)
    with live_session(xvfb_display) as live:
        yield live


def _until_update(live: Live, found: Callable[[DecodedUpdate], bool], since: int = 0) -> None:
    """Bounded: an update from ``since`` on that ``found`` accepts arrives."""
    deadline = time.monotonic() + WAIT_S
    while not any(found(u) for u in live.updates[since:]):
        assert live.arrived.acquire(timeout=max(0.0, deadline - time.monotonic()))


def _change(
    live: Live, fill: Callable[[int, int, int, int, int], None], x: int, y: int, w: int, h: int,
    colour: int,
) -> DecodedUpdate:  # fmt: skip
    """Fill a part of the window, and the last update once the viewer shows it."""
    fill(x, y, w, h, colour)
    want = np.array([colour & 0xFF, (colour >> 8) & 0xFF, colour >> 16], np.uint8)
    deadline = time.monotonic() + WAIT_S
    while True:
        fb = live.agent.decoder.framebuffer
        if fb is not None and np.array_equal(fb[WIN_Y + y, WIN_X + x, :3], want):
            return live.updates[-1]
        assert live.arrived.acquire(timeout=max(0.0, deadline - time.monotonic())), (
            "the change never came"
        )


@pytest.mark.display
def test_small_changes_are_served_by_the_lane_exactly(
    live: Live, xvfb_display: str, window: Callable[[int, int, int, int, int], None]
) -> None:
    until_exact(live, xvfb_display)  # (the window's mapping shown: only our changes to come)
    before = live.customer.lane_updates
    for i, colour in enumerate((0xFF0000, 0x00FF00, 0x0000FF, 0xFFFF00, 0x00FFFF, 0xFF00FF)):
        assert not _change(live, window, 8 * i, 0, 8, 16, colour).key
    # (the first change may find the general loop still at its pace: the rest are the lane's)
    assert live.customer.lane_updates - before >= 5
    until_exact(live, xvfb_display)


@pytest.mark.display
def test_what_the_lane_does_not_take_goes_the_general_way_and_it_takes_over_again(
    live: Live, xvfb_display: str, window: Callable[[int, int, int, int, int], None]
) -> None:
    until_exact(live, xvfb_display)
    _change(live, window, 0, 0, 8, 16, 0xFF0000)
    # a key frame request wakes the capture thread: the general loop serves it
    before = live.customer.lane_updates
    seen = len(live.updates)
    assert live.agent.send(KeyFrameRequest())
    _until_update(live, lambda u: u.key, seen)
    assert live.customer.lane_updates == before
    # a wide box (3/4 of the screen's width): the lane hands it back, the general loop
    # reads and sends it
    before = live.customer.lane_updates
    assert not _change(live, window, 0, 0, 1100, 400, 0x336699).key
    assert live.customer.lane_updates == before
    until_exact(live, xvfb_display)
    # and small changes are the lane's again
    before = live.customer.lane_updates
    for i, colour in enumerate((0x112233, 0x445566, 0x778899)):
        _change(live, window, 8 * i, 32, 8, 16, colour)
    assert live.customer.lane_updates - before >= 2
    until_exact(live, xvfb_display)


@pytest.mark.display
def test_a_pointer_move_hands_the_lane_back_and_keys_then_carry_the_new_cursor(
    live: Live, xvfb_display: str, window: Callable[[int, int, int, int, int], None]
) -> None:
    from Xlib import X
    from Xlib import display as xdisplay
    from Xlib.ext import xtest

    until_exact(live, xvfb_display)
    _change(live, window, 0, 0, 8, 16, 0xFF0000)
    before = live.customer.lane_updates
    d = xdisplay.Display(xvfb_display)
    try:  # (XInput 2's raw motion ends the lane's wait: the general loop reads the pointer)
        xtest.fake_input(d, X.MotionNotify, x=321, y=123)
        d.sync()
    finally:
        d.close()
    _until_update(live, lambda u: u.cursor is not None and (u.cursor.x, u.cursor.y) == (321, 123))
    assert live.customer.lane_updates == before
    for i, colour in enumerate((0x00FF00, 0x0000FF, 0xFFFF00)):
        update = _change(live, window, 8 * i, 48, 8, 16, colour)
        assert update.cursor is not None and (update.cursor.x, update.cursor.y) == (321, 123)
    assert live.customer.lane_updates - before >= 2
    until_exact(live, xvfb_display)


@pytest.mark.display
def test_while_the_agent_types_the_lane_still_serves_the_screens_changes(
    live: Live, xvfb_display: str, window: Callable[[int, int, int, int, int], None]
) -> None:
    """The agent's input makes the session active (grabs up to 60 a second): damage and
    pointer moves wake the capture thread, so it does not tick then either, and the
    lane serves what changes between the agent's keys."""
    from remoteapp.net.session import Key

    until_exact(live, xvfb_display)
    typing = threading.Event()

    def type_shift() -> None:  # (a key that draws nothing: the session is kept active)
        while True:
            live.agent.send(Key("shift", True))
            live.agent.send(Key("shift", False))
            if typing.wait(0.05):
                return

    typist = threading.Thread(target=type_shift, daemon=True)
    typist.start()
    try:
        deadline = time.monotonic() + WAIT_S
        while live.customer.inputs_applied < 2:  # (the agent is active from here on)
            assert time.monotonic() < deadline, "the agent's keys never came"
            live.arrived.acquire(timeout=0.01)
        before = live.customer.lane_updates
        for i, colour in enumerate((0xFF0000, 0x00FF00, 0x0000FF, 0xFFFF00, 0x00FFFF, 0xFF00FF)):
            _change(live, window, 8 * i, 64, 8, 16, colour)
        # (the first may find the general loop at its pace: the rest are the lane's)
        assert live.customer.lane_updates - before >= 5
    finally:
        typing.set()
        typist.join(WAIT_S)
    until_exact(live, xvfb_display)


@pytest.mark.display
def test_pointer_events_that_move_nothing_are_grabbed_at_most_once_a_gap(
    live: Live, xvfb_display: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local pointer pushed against the screen's edge raises raw motion without a
    move, up to a thousand a second: each wakes the capture thread, and its grab finds
    nothing.  Only right after the agent's input does such an empty grab leave the next
    one unpaced (the click's answer then comes at once); otherwise they come at most
    once a gap (1/30 s here), not once an event."""
    from Xlib import X
    from Xlib import display as xdisplay
    from Xlib.ext import xtest

    until_exact(live, xvfb_display)
    d = xdisplay.Display(xvfb_display)
    try:
        xtest.fake_input(d, X.MotionNotify, x=3, y=3)
        d.sync()
        _until_update(live, lambda u: u.cursor is not None and (u.cursor.x, u.cursor.y) == (3, 3))
        grabber = live.customer._grabber
        assert grabber is not None
        grabs = 0
        real = grabber.grab

        def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal grabs
            grabs += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(grabber, "grab", counted)
        started = time.monotonic()
        for _ in range(150):  # (the workload: motion where the pointer is, ~1 ms apart)
            xtest.fake_input(d, X.MotionNotify, x=3, y=3)
            d.sync()
            time.sleep(0.001)
        spent = time.monotonic() - started
    finally:
        d.close()
    assert grabs <= spent * 30 + 3, f"{grabs} grabs in {spent:.3f} s"


@pytest.mark.display
def test_a_lost_damage_source_leaves_the_customer_polling(
    live: Live, xvfb_display: str, window: Callable[[int, int, int, int, int], None]
) -> None:
    """The damage source's X connection breaks: nothing is reported any more, and the
    capture loop polls from then on (a change comes at its next tick, not at the next
    safety check, seconds later)."""
    from remoteapp.capture.x11_damage import XDamageSource

    until_exact(live, xvfb_display)
    grabber = live.customer._grabber
    assert grabber is not None
    source = grabber._source  # type: ignore[attr-defined]
    assert isinstance(source, XDamageSource)
    source._sock.shutdown(socket.SHUT_RDWR)  # (the capture thread's wait sees it close)
    _change(live, window, 0, 96, 8, 16, 0x0C0C0C)
    assert not source.reporting
    assert not grabber.damage_driven and not grabber.pointer_driven
    for i, colour in enumerate((0x102030, 0x203040, 0x304050)):
        due = grabber.due()
        assert due is not None
        _change(live, window, 8 * i, 112, 8, 16, colour)
        assert time.monotonic() < due, "the change waited for the safety check"
    until_exact(live, xvfb_display)


def test_the_lanes_gap_follows_the_general_loops_active_rule() -> None:
    """``Pace.gap`` tests ``active``'s rule inline (one call less a key): the two agree,
    at the edge of the active time too."""
    pace = Pace(active_gap=0.004, calm_gap=0.033, active_for=0.5, last_input=10.0)
    for now in (9.0, 10.0, 10.25, 10.5 - 1e-9, 10.5, 11.0):
        assert pace.gap(now) == (pace.active_gap if pace.active(now) else pace.calm_gap)
    assert pace.gap(10.25) == 0.004 and pace.gap(10.5) == 0.033
