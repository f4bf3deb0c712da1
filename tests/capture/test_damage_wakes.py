"""Damage-driven capture on a real Xvfb, what ends its wait: the pointer's moves (also
while another client grabs the pointer, and a warp the X server reports no motion for, by
the next safety check), a wake from any thread, which a sync does not swallow, and an
event read between a wait and its take.

The rig is ``tests/capture/damage_rig.py``'s, as in ``test_damage.py``.
"""

from __future__ import annotations

import select
import threading
import time

import pytest

from remoteapp.capture import DamageGrabber, ScreenGrabber
from remoteapp.capture.safety import SAFETY_PERIOD_S
from remoteapp.capture.x11_damage import XDamageSource
from remoteapp.codec.geometry import Rect
from tests.capture.damage_rig import (
    Clock,
    FbdirXvfb,
    Painter,
)


@pytest.mark.display
def test_pointer_motion_wakes_the_loop_without_polling(
    fbdir_xvfb: FbdirXvfb,
    painter: Painter,
    damage_grabber: tuple[DamageGrabber, Clock],
) -> None:
    from Xlib.ext import xtest

    grabber, _ = damage_grabber
    assert grabber.pointer_driven
    mon = grabber.monitors()[1]
    grabber.grab(mon)
    assert grabber.sync()
    grabber.grab(mon)
    assert not grabber.pending()
    xtest.fake_input(painter.d, painter.X.MotionNotify, x=321, y=123)
    painter.d.sync()
    started = time.monotonic()
    grabber.wait(10)
    assert time.monotonic() - started < 5, "the pointer's move did not end the wait"
    assert grabber.pending()
    shot = grabber.grab(mon)
    assert shot.cursor == (321, 123) and shot.damage == ()
    assert not grabber.pending()


@pytest.mark.display
def test_pointer_motion_wakes_the_loop_while_another_client_grabs_the_pointer(
    fbdir_xvfb: FbdirXvfb,
    painter: Painter,
    damage_grabber: tuple[DamageGrabber, Clock],
) -> None:
    """A drag holds the pointer grabbed (the button's implicit grab), as an open menu
    does: the X server withholds raw events from an XInput 2.0 client then, so the source
    asks for 2.2, and the moves still wake the loop."""
    from Xlib.ext import xtest

    grabber, _ = damage_grabber
    X = painter.X
    mon = grabber.monitors()[1]
    grabber.grab(mon)
    assert grabber.sync()
    grabber.grab(mon)
    assert not grabber.pending()
    got = painter.win.grab_pointer(
        False, X.ButtonPressMask, X.GrabModeAsync, X.GrabModeAsync, X.NONE, X.NONE,
        X.CurrentTime,
    )  # fmt: skip
    assert got == X.GrabSuccess
    try:
        xtest.fake_input(painter.d, X.MotionNotify, x=222, y=111)
        painter.d.sync()
        started = time.monotonic()
        grabber.wait(10)
        assert time.monotonic() - started < 5, "the move under the grab did not end the wait"
        assert grabber.pending()
        assert grabber.grab(mon).cursor == (222, 111)
    finally:
        painter.d.ungrab_pointer(X.CurrentTime)
        painter.d.sync()


@pytest.mark.display
def test_a_warped_pointer_shows_by_the_next_safety_check(
    fbdir_xvfb: FbdirXvfb,
    painter: Painter,
    damage_grabber: tuple[DamageGrabber, Clock],
) -> None:
    """Grabs reuse the last pointer read while no motion event came; a warp raises none,
    so the periodic full grab must read the pointer again."""
    grabber, clock = damage_grabber
    mon = grabber.monitors()[1]
    grabber.grab(mon)
    assert grabber.sync()
    grabber.grab(mon)
    painter.d.screen().root.warp_pointer(77, 66)
    painter.d.sync()
    assert grabber.sync()
    clock.now += SAFETY_PERIOD_S
    shot = grabber.grab(mon)
    assert grabber.full_grabs == 2 and shot.cursor == (77, 66)
    assert shot.damage == (() if grabber.hands_over else None)  # the screen is unchanged


@pytest.mark.display
def test_wake_ends_the_capture_threads_wait_from_any_thread(
    fbdir_xvfb: FbdirXvfb, damage_grabber: tuple[DamageGrabber, Clock]
) -> None:
    """The capture thread sleeps in ``wait``; the session's other threads end it with
    ``wake`` (input, an ack it waits for, the end), before or during the wait."""
    grabber, _ = damage_grabber
    with ScreenGrabber(display=fbdir_xvfb.display) as poll:
        for backend in (grabber, poll):
            started = time.monotonic()
            backend.wait(0.05)  # nothing came: the whole timeout
            assert time.monotonic() - started >= 0.05
            backend.wake()  # before the wait: it returns at once
            backend.wait(10)
            waker = threading.Thread(target=backend.wake)
            waker.start()  # during (or just before) the wait
            backend.wait(10)
            waker.join()
            assert time.monotonic() - started < 5, "a wake did not end the wait"
            started = time.monotonic()
            backend.wait(0.05)  # each wake ends one wait, not the ones after it
            assert time.monotonic() - started >= 0.05


@pytest.mark.display
def test_a_wake_ends_a_sync_and_is_left_for_the_wait(fbdir_xvfb: FbdirXvfb) -> None:
    """A safety check's sync (up to half a second) is on the capture thread: a wake
    (input, a credit, the end) ends it with no answer, and the wait after it still
    returns at once."""
    source = XDamageSource(fbdir_xvfb.display)
    try:
        assert source.sync(10.0)
        source.wake()
        assert not source.sync(30.0), "the sync did not see the wake"
        started = time.monotonic()
        source.wait(30.0)  # the wake's byte is still there
        assert time.monotonic() - started < 10, "the sync ate the wake"
        assert source.sync(10.0)  # and the next sync is answered again
    finally:
        source.close()


@pytest.mark.display
def test_an_event_between_a_wait_and_its_take_ends_the_next_wait(
    fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    """``take`` does not read the connection again right after the ``wait`` that read it
    (a syscall per frame); what came in between is not lost: it ends the next wait, and
    the take after that has it."""
    source = XDamageSource(fbdir_xvfb.display)
    try:
        assert source.sync()
        source.take()
        painter.fill(10, 10, 20, 20, 0xFF0000)
        painter.d.sync()
        source.wait(10)
        assert source.pending, "the draw's DamageNotify did not end the wait"
        painter.win.configure(x=61, y=47)  # from (40, 30), after the wait read the socket
        painter.d.sync()
        readable, _, _ = select.select([source._sock], [], [], 10)
        assert readable, "the ConfigureNotify did not come"
        rects, moves = source.take()
        assert rects and moves == ()  # the take did not read it ...
        started = time.monotonic()
        source.wait(10)  # ... so it ends this wait at once
        assert time.monotonic() - started < 5
        _, moves = source.take()
        assert [(m.dx, m.dy, m.dst) for m in moves] == [(21, 17, Rect(61, 47, 300, 200))]
    finally:
        source.close()
