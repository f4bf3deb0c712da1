"""The key lane's grabs (``capture.key_grabs.KeyGrabs``) on a real Xvfb, where they hand the
connection back: a read that fails gives its boxes back where they are on the screen (a
monitor away from the root's origin included), so the general grab reads and sends them;
a quiet wait goes on waiting instead of ending the lane.  (helper-48's review of the lane
found both.)"""

from __future__ import annotations

import math
import select
import socket
import time
from collections.abc import Iterator

import numpy as np
import pytest

from remoteapp.capture import DamageGrabber, ScreenGrabber, key_grabs, x11_link
from remoteapp.capture.grabber import Monitor
from remoteapp.capture.x11_damage import XDamageSource
from remoteapp.session.key_lane import Pace
from tests.capture.damage_rig import Clock, FbdirXvfb, Painter, Pipe

pytestmark = pytest.mark.skipif(x11_link.native is None, reason="the C extension is not built")

#: a root point inside the painter's window (at 40, 30) and inside both monitors below
FILL_X, FILL_Y = 220, 140


@pytest.fixture(params=["monotonic", "injected"])
def grabber(fbdir_xvfb: FbdirXvfb, request: pytest.FixtureRequest) -> Iterator[DamageGrabber]:
    """A hand-over damage grabber on the real clock or on an injected one (the lane keeps
    the safety check's time on the grabber's clock)."""
    display = fbdir_xvfb.display
    clock = Clock() if request.param == "injected" else time.monotonic
    with DamageGrabber(
        ScreenGrabber(display=display), lambda: XDamageSource(display), clock=clock,
        hand_over=True,
    ) as grabber:  # fmt: skip
        yield grabber


def _started(grabber: DamageGrabber, monitor: Monitor) -> tuple[Pipe, key_grabs.KeyGrabs]:
    """The first (full) grab of ``monitor`` sent, and the lane's grabs after it."""
    pipe = Pipe(grabber)
    pipe.send(grabber.grab(monitor).pixels)
    grabs = grabber.key_grabs(monitor)
    assert grabs is not None, "no key lane here"
    return pipe, grabs


@pytest.mark.display
@pytest.mark.parametrize("origin", [(0, 0), (200, 100)], ids=["at-origin", "away"])
def test_a_failed_read_hands_its_boxes_back_where_they_are(
    fbdir_xvfb: FbdirXvfb, grabber: DamageGrabber, painter: Painter, origin: tuple[int, int]
) -> None:
    monitor = Monitor(2, origin[0], origin[1], 320, 240)
    pipe, grabs = _started(grabber, monitor)
    link = grabber._screen._link
    assert link is not None
    link._sock.shutdown(socket.SHUT_RDWR)  # the X server hangs up on the box read
    painter.fill(FILL_X - 40, FILL_Y - 30, 8, 16, 0x00FF00)
    painter.d.sync()
    assert grabs.take(0.0, _pace(), lambda: False) is None  # handed back: the fetch took the damage
    assert grabber._source.pending  # (given back to the source, not left to the server)
    shot = grabber.grab(monitor)  # the general loop's grab (mss reads from now on)
    fb = pipe.send(shot.pixels, shot.damage)
    with ScreenGrabber(display=fbdir_xvfb.display) as poll:
        screen = poll.grab(monitor).pixels
    y, x = FILL_Y - origin[1], FILL_X - origin[0]
    assert (screen[y, x, :3] == (0x00, 0xFF, 0x00)).all()
    assert np.array_equal(fb, screen), "the change never reached the viewer"


@pytest.mark.display
def test_a_quiet_wait_does_not_end_the_lane(
    grabber: DamageGrabber, painter: Painter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lane's wait is bounded so that it looks at the safety check's clock again; a
    bound reached with nothing seen goes on waiting (it used to hand the lane back, and the
    first key after each quiet second went the general way)."""
    monkeypatch.setattr(key_grabs, "WAIT_BOUND_S", 0.01)  # (many bounds reached, quickly)
    monitor = grabber.monitors()[1]
    _, grabs = _started(grabber, monitor)
    waits = 0
    assert x11_link.native is not None
    real = x11_link.native.take_key

    def counted(*args: object) -> tuple[object, ...]:
        nonlocal waits
        waits += 1
        if waits == 20:  # a key after twenty quiet bounds
            painter.fill(FILL_X - 40, FILL_Y - 30, 8, 16, 0xFF00FF)
            painter.d.sync()
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(x11_link.native, "take_key", counted)
    got = grabs.take(0.0, _pace(), lambda: False)
    assert got is not None, "the lane ended on a quiet wait"
    assert waits >= 20


@pytest.mark.display
@pytest.mark.parametrize("kept_on", [True, False], ids=["input", "other-change"])
def test_a_wake_ends_the_take_unless_the_caller_keeps_on(
    grabber: DamageGrabber, painter: Painter, monkeypatch: pytest.MonkeyPatch, kept_on: bool
) -> None:
    """The agent's input wakes the capture thread and the lane keeps on through it (the
    damage it causes comes as any other); any other change hands the lane back, with
    nothing lost."""
    monitor = grabber.monitors()[1]
    _, grabs = _started(grabber, monitor)
    asked = 0
    assert x11_link.native is not None
    real = x11_link.native.take_key

    def woken_first(*args: object) -> tuple[object, ...]:
        if asked == 0:
            grabber.wake()  # (written before the wait: it returns woken at once)
        return real(*args)  # type: ignore[arg-type]

    def keep_on() -> bool:
        nonlocal asked
        asked += 1
        if kept_on:  # the change comes after the wake
            painter.fill(FILL_X - 40, FILL_Y - 30, 8, 16, 0x123456)
            painter.d.sync()
        return kept_on

    monkeypatch.setattr(x11_link.native, "take_key", woken_first)
    got = grabs.take(0.0, _pace(), keep_on)
    assert asked == 1
    assert (got is not None) == kept_on
    if got is not None:
        frame, boxes, _ = got
        assert boxes and (frame[FILL_Y, FILL_X, :3] == (0x56, 0x34, 0x12)).all()
    else:
        assert not grabber._source.pending  # (nothing was seen: nothing to give back)


@pytest.mark.display
def test_a_wake_kept_on_through_in_the_gap_still_waits_the_gap_out(
    grabber: DamageGrabber, painter: Painter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monitor = grabber.monitors()[1]
    _, grabs = _started(grabber, monitor)
    kinds = _woken_in_the_gap(grabber, painter, grabs, monkeypatch, 0x0A0B0C)
    started, gap = time.monotonic(), 0.2
    got = grabs.take(started, _pace(gap), lambda: True)
    assert kinds == [key_grabs.WAITED, key_grabs.GAP_WOKEN, key_grabs.TOOK]
    assert got is not None
    assert got[2] >= started + gap  # (the grab began once the gap was over)


@pytest.mark.display
def test_a_wake_that_comes_with_a_pointer_move_is_not_kept_on_through(
    fbdir_xvfb: FbdirXvfb, grabber: DamageGrabber
) -> None:
    """The pointer moved too: the general loop reads the cursor and answers the input
    (the lane does not take it first)."""
    from Xlib import X
    from Xlib import display as xdisplay
    from Xlib.ext import xtest

    monitor = grabber.monitors()[1]
    _, grabs = _started(grabber, monitor)
    asked = []
    d = xdisplay.Display(fbdir_xvfb.display)
    try:
        grabber.wake()
        xtest.fake_input(d, X.MotionNotify, x=77, y=66)
        d.sync()
    finally:
        d.close()
    assert grabs.take(0.0, _pace(), lambda: bool(asked.append(1)) or True) is None
    assert asked == []


@pytest.mark.display
def test_the_gap_is_asked_again_after_a_wake_kept_on_through(
    grabber: DamageGrabber, painter: Painter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An input taken in the gap's wait makes the session active: its shorter gap holds
    from then on (a calm gap of 10 s here, none once the input came)."""
    monitor = grabber.monitors()[1]
    _, grabs = _started(grabber, monitor)
    kinds = _woken_in_the_gap(grabber, painter, grabs, monkeypatch, 0x0F0F0F)
    pace = Pace(active_gap=0.0, calm_gap=10.0, active_for=60.0, last_input=-math.inf)

    def keep_on() -> bool:
        if kinds[-1] == key_grabs.GAP_WOKEN:  # the input that woke the gap's wait
            pace.last_input = time.monotonic()  # (as the lane does with its time)
        return True

    started = time.monotonic()
    got = grabs.take(started, pace, keep_on)
    assert kinds == [key_grabs.WAITED, key_grabs.GAP_WOKEN, key_grabs.TOOK]
    assert got is not None and got[2] < started + 10.0


def _woken_in_the_gap(
    grabber: DamageGrabber, painter: Painter, grabs: key_grabs.KeyGrabs,
    monkeypatch: pytest.MonkeyPatch, colour: int,
) -> list[int]:  # fmt: skip
    """A change and a wake both there before the take (its wait answers both: the caller
    keeps on through the wake), then a wake in the pacing gap's wait; the kinds of
    ``take_key``'s answers, as they come."""
    assert x11_link.native is not None
    real = x11_link.native.take_key
    kinds: list[int] = []

    def woken_in_the_gap(*args: object) -> tuple[object, ...]:
        if args[2] and kinds == [key_grabs.WAITED]:  # (pending: only the gap is waited)
            grabber.wake()  # (the gap's wait returns woken at once)
        got = real(*args)  # type: ignore[arg-type]
        kinds.append(got[0])
        return got

    monkeypatch.setattr(x11_link.native, "take_key", woken_in_the_gap)
    painter.fill(FILL_X - 40, FILL_Y - 30, 8, 16, colour)
    painter.d.sync()
    ready, _, _ = select.select([grabs._waits[0]], [], [], 10.0)  # the damage event is there
    assert ready, "no damage event came"
    grabber.wake()
    return kinds


def _pace(gap: float = 0.0) -> Pace:
    """The lane's pacing with ``gap`` s between grabs, active or not."""
    return Pace(active_gap=gap, calm_gap=gap, active_for=0.0, last_input=-math.inf)
