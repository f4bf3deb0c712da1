"""The key lane's grabs (``capture.key_grabs.KeyGrabs``) on a real Xvfb, where they hand the
connection back: a read that fails gives its boxes back where they are on the screen (a
monitor away from the root's origin included), so the general grab reads and sends them;
a quiet wait goes on waiting instead of ending the lane.  (helper-48's review of the lane
found both.)"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Iterator

import pytest

from remoteapp.capture import DamageGrabber, key_grabs, x11_link
from remoteapp.capture.grabber import Monitor
from remoteapp.session.key_lane import Pace
from tests.capture import key_grabs_rig as rig
from tests.capture.damage_rig import Clock, FbdirXvfb, Painter
from tests.capture.key_grabs_rig import FILL_X, FILL_Y

pytestmark = pytest.mark.skipif(x11_link.native is None, reason="the C extension is not built")


@pytest.fixture(params=["monotonic", "injected"])
def grabber(fbdir_xvfb: FbdirXvfb, request: pytest.FixtureRequest) -> Iterator[DamageGrabber]:
    """A hand-over damage grabber on the real clock or on an injected one (the lane keeps
    the safety check's time on the grabber's clock)."""
    clock = Clock() if request.param == "injected" else time.monotonic
    with rig.new_grabber(fbdir_xvfb, clock) as g:
        yield g


@pytest.mark.display
@pytest.mark.parametrize("origin", [(0, 0), (200, 100)], ids=["at-origin", "away"])
def test_a_failed_read_hands_its_boxes_back_where_they_are(
    fbdir_xvfb: FbdirXvfb, grabber: DamageGrabber, painter: Painter, origin: tuple[int, int]
) -> None:
    monitor = Monitor(2, origin[0], origin[1], 320, 240)
    pipe, grabs = rig.started(grabber, monitor)
    link = grabber._screen._link
    assert link is not None
    link._sock.shutdown(socket.SHUT_RDWR)  # the X server hangs up on the box read
    rig.fill(painter, 0x00FF00)
    # handed back: the fetch took the damage
    assert grabs.take(0.0, rig.pace(), lambda: False) is None
    rig.reaches_the_viewer(fbdir_xvfb, grabber, pipe, monitor, 0x00FF00)  # (by mss from now on)


@pytest.mark.display
def test_a_quiet_wait_does_not_end_the_lane(
    grabber: DamageGrabber, painter: Painter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lane's wait is bounded so that it looks at the safety check's clock again; a
    bound reached with nothing seen goes on waiting (it used to hand the lane back, and the
    first key after each quiet second went the general way)."""
    monkeypatch.setattr(key_grabs, "WAIT_BOUND_S", 0.01)  # (many bounds reached, quickly)
    monitor = grabber.monitors()[1]
    _, grabs = rig.started(grabber, monitor)
    waits = 0
    assert x11_link.native is not None
    real = x11_link.native.take_key

    def counted(*args: object) -> tuple[object, ...]:
        nonlocal waits
        waits += 1
        if waits == 20:  # a key after twenty quiet bounds
            rig.fill(painter, 0xFF00FF)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(x11_link.native, "take_key", counted)
    got = grabs.take(0.0, rig.pace(), lambda: False)
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
    _, grabs = rig.started(grabber, monitor)
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
            rig.fill(painter, 0x123456)
        return kept_on

    monkeypatch.setattr(x11_link.native, "take_key", woken_first)
    got = grabs.take(0.0, rig.pace(), keep_on)
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
    _, grabs = rig.started(grabber, monitor)
    kinds = rig.woken_in_the_gap(grabber, painter, grabs, monkeypatch, 0x0A0B0C)
    started, gap = time.monotonic(), rig.STALL_PROOF_GAP_S
    got = grabs.take(started, rig.pace(gap), lambda: True)
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
    _, grabs = rig.started(grabber, monitor)
    asked: list[int] = []

    def keep_on() -> bool:
        asked.append(1)
        return True

    d = xdisplay.Display(fbdir_xvfb.display)
    try:
        grabber.wake()
        xtest.fake_input(d, X.MotionNotify, x=77, y=66)
        d.sync()
    finally:
        d.close()
    assert grabs.take(0.0, rig.pace(), keep_on) is None
    assert asked == []


@pytest.mark.display
def test_the_gap_is_asked_again_after_a_wake_kept_on_through(
    grabber: DamageGrabber, painter: Painter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An input taken in the gap's wait makes the session active: its shorter gap holds
    from then on (a calm gap of 10 s here, none once the input came)."""
    monitor = grabber.monitors()[1]
    _, grabs = rig.started(grabber, monitor)
    kinds = rig.woken_in_the_gap(grabber, painter, grabs, monkeypatch, 0x0F0F0F)
    pace = Pace(active_gap=0.0, calm_gap=10.0, active_for=60.0, last_input=-math.inf)

    def keep_on() -> bool:
        if kinds[-1] == key_grabs.GAP_WOKEN:  # the input that woke the gap's wait
            pace.last_input = time.monotonic()  # (as the lane does with its time)
        return True

    started = time.monotonic()
    got = grabs.take(started, pace, keep_on)
    assert kinds == [key_grabs.WAITED, key_grabs.GAP_WOKEN, key_grabs.TOOK]
    assert got is not None and got[2] < started + 10.0
