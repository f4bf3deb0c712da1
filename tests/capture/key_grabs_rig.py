"""The key lane's grabs' test rig (tests/capture/test_key_grabs*.py): a hand-over damage
grabber whose safety check never comes due unless asked, the lane started on a monitor,
a pace, a wake in the gap's wait, and the check that a change handed back reaches the
viewer by the general loop's grab."""

from __future__ import annotations

import math
import select
from collections.abc import Callable

import numpy as np
import pytest

from remoteapp.capture import DamageGrabber, ScreenGrabber, key_grabs, x11_link
from remoteapp.capture.grabber import Monitor
from remoteapp.capture.x11_damage import XDamageSource
from remoteapp.session.key_lane import Pace
from tests.capture.damage_rig import FbdirXvfb, Painter, Pipe

#: a root point inside the painter's window (at 40, 30) and inside both monitors used
FILL_X, FILL_Y = 220, 140

#: the grabbers' safety period: none comes due in a test, however long the machine stalls
NEVER_DUE_S = 3600.0

#: a pacing gap longer than a stall of a loaded machine (a test that waits it out)
STALL_PROOF_GAP_S = 2.0

#: a descriptor number nothing opens (one just closed could be another thread's by now)
NEVER_OPEN = 10**6


def new_grabber(
    fbdir_xvfb: FbdirXvfb, clock: Callable[[], float], safety_period: float = NEVER_DUE_S
) -> DamageGrabber:
    """A hand-over damage grabber (as the customer's capture loop uses it) on ``clock``."""
    display = fbdir_xvfb.display
    return DamageGrabber(
        ScreenGrabber(display=display), lambda: XDamageSource(display), clock=clock,
        hand_over=True, safety_period=safety_period, safety_longest=safety_period,
    )  # fmt: skip


def started(grabber: DamageGrabber, monitor: Monitor) -> tuple[Pipe, key_grabs.KeyGrabs]:
    """The first (full) grab of ``monitor`` sent, and the lane's grabs after it."""
    pipe = Pipe(grabber)
    pipe.send(grabber.grab(monitor).pixels)
    grabs = grabber.key_grabs(monitor)
    assert grabs is not None, "no key lane here"
    return pipe, grabs


def pace(gap: float = 0.0) -> Pace:
    """The lane's pacing with ``gap`` s between grabs, active or not."""
    return Pace(active_gap=gap, calm_gap=gap, active_for=0.0, last_input=-math.inf)


def fill(painter: Painter, colour: int, x: int = FILL_X, y: int = FILL_Y) -> None:
    """An 8×16 box of ``colour`` at root (``x``, ``y``), drawn by the time it returns."""
    painter.fill(x - 40, y - 30, 8, 16, colour)
    painter.d.sync()


def damage_there(grabs: key_grabs.KeyGrabs) -> None:
    """Wait until the damage event is on the lane's connection."""
    ready, _, _ = select.select([grabs._waits[0]], [], [], 10.0)
    assert ready, "no damage event came"


def woken_in_the_gap(
    grabber: DamageGrabber, painter: Painter, grabs: key_grabs.KeyGrabs,
    monkeypatch: pytest.MonkeyPatch, colour: int,
) -> list[int]:  # fmt: skip
    """A change and a wake both there before the take (its wait answers both: the caller
    keeps on through the wake), then a wake in the pacing gap's wait; the kinds of
    ``take_key``'s answers, as they come."""
    assert x11_link.native is not None
    real = x11_link.native.take_key
    kinds: list[int] = []

    def woken(*args: object) -> tuple[object, ...]:
        if args[2] and kinds == [key_grabs.WAITED]:  # (pending: only the gap is waited)
            grabber.wake()  # (the gap's wait returns woken at once)
        got = real(*args)  # type: ignore[arg-type]
        kinds.append(got[0])
        return got

    monkeypatch.setattr(x11_link.native, "take_key", woken)
    fill(painter, colour)
    damage_there(grabs)
    grabber.wake()
    return kinds


def reaches_the_viewer(
    fbdir_xvfb: FbdirXvfb, grabber: DamageGrabber, pipe: Pipe, monitor: Monitor, colour: int
) -> None:
    """The take handed the connection back: the general loop's grab sends what is on the
    screen, ``colour``'s box at (FILL_X, FILL_Y) with it, bit-exact."""
    assert grabber._source.pending  # (nothing left behind)
    shot = grabber.grab(monitor)
    fb = pipe.send(shot.pixels, shot.damage)
    with ScreenGrabber(display=fbdir_xvfb.display) as poll:
        screen = poll.grab(monitor).pixels
    y, x = FILL_Y - monitor.top, FILL_X - monitor.left
    rgb = ((colour >> 16) & 0xFF, (colour >> 8) & 0xFF, colour & 0xFF)
    assert (screen[y, x, :3] == rgb[::-1]).all()
    assert np.array_equal(fb, screen), "the change never reached the viewer"
