"""The safety check's verdicts on a real Xvfb (``remoteapp.capture.safety``): checks that
find nothing the damage did not report back off to the longest period; a change the X
server never reported is still caught, and pins the shortest period; a draw that raced
the check's read cannot be told from a miss and only brings the shortest period back; a
lost damage source pins it too.  And two kept frames without MIT-SHM stay exact.

Changes behind the X server's back are written into Xvfb's ``-fbdir`` framebuffer file,
as a driver that under-reports would leave them (``damage_rig``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np
import pytest

from remoteapp.capture import DamageGrabber, ScreenGrabber
from remoteapp.capture.grabber import Monitor
from remoteapp.capture.kept_frames import KeptFrames
from remoteapp.capture.safety import SAFETY_LONGEST_S, SAFETY_PERIOD_S
from remoteapp.capture.x11_damage import XDamageSource
from remoteapp.codec.geometry import Rect
from remoteapp.codec.pixels import Pixels
from remoteapp.errors import CaptureError
from tests.capture.damage_rig import (
    Clock,
    FbdirXvfb,
    Painter,
    Pipe,
    follow,
    found_by_the_check,
    two_frames,
    until_exact,
)


def _checker(
    grabber: DamageGrabber, clock: Clock, pipe: Pipe, truth: Callable[[], Pixels]
) -> Callable[[], tuple[Rect, ...] | None]:
    """A check when it is due, exact after it; returns its damage."""

    def check() -> tuple[Rect, ...] | None:
        clock.now = grabber.due() or 0.0
        fulls = grabber.full_grabs
        damage = until_exact(grabber, pipe, truth)[0]
        assert grabber.full_grabs == fulls + 1
        return damage

    return check


class _Rig(NamedTuple):
    grabber: DamageGrabber
    clock: Clock
    poll: ScreenGrabber  #: the truth: a full grab
    mon: Monitor
    pipe: Pipe
    truth: Callable[[], Pixels]
    check: Callable[[], tuple[Rect, ...] | None]


@contextlib.contextmanager
def _checked(display: str, grabber: DamageGrabber, clock: Clock) -> Iterator[_Rig]:
    """``grabber`` on ``clock`` beside a polling grabber, exact to begin with."""
    with ScreenGrabber(display=display) as poll:
        mon, pipe, truth = follow(grabber, poll)
        yield _Rig(grabber, clock, poll, mon, pipe, truth, _checker(grabber, clock, pipe, truth))


@contextlib.contextmanager
def _two_frames_checked(display: str) -> Iterator[_Rig]:
    """Two kept frames on a fake clock beside a polling grabber, exact to begin with."""
    clock = Clock()
    with two_frames(display, clock) as grabber, _checked(display, grabber, clock) as rig:
        yield rig


def _unseen(fbdir_xvfb: FbdirXvfb, poll: ScreenGrabber, x: int, y: int) -> None:
    """Change pixel (x, y) behind the X server's back."""
    old = poll.grab(poll.monitors()[1]).pixels[y, x, :3]
    fbdir_xvfb.poke(x, y, bytes([(int(c) + 99) % 256 for c in old] + [0]))


@pytest.mark.display
def test_the_check_backs_off_while_the_damage_is_true_and_a_miss_pins_it(
    fbdir_xvfb: FbdirXvfb,
    painter: Painter,
    damage_grabber: tuple[DamageGrabber, Clock],
) -> None:
    """With two kept frames, checks that find nothing unreported (damage reported since
    the last grab included) double the period up to the longest; a change the X server
    never reported is caught by the check at the longest period, beside the reported
    box, and from then on every check is one short period on.  With one kept frame (no
    compare) every check is one short period on.  Every frame decodes exactly."""
    grabber, clock = damage_grabber
    longest = SAFETY_LONGEST_S if grabber.hands_over else SAFETY_PERIOD_S
    with _checked(fbdir_xvfb.display, grabber, clock) as (_, _, poll, mon, pipe, _, check):
        assert check() == (() if grabber.hands_over else None)  # an unchanged screen
        assert grabber.safety.period == min(2 * SAFETY_PERIOD_S, longest)
        painter.fill(20, 30, 40, 10, 0x4080C0)  # reported, and read by the check
        painter.d.sync()
        check()
        assert grabber.safety.period == longest
        check()
        assert grabber.safety.period == longest and grabber.safety.misses == 0
        painter.fill(60, 30, 40, 10, 0xC08040)  # reported ...
        painter.d.sync()
        _unseen(fbdir_xvfb, poll, 600, 300)  # ... and not
        clock.now = (grabber.due() or 0.0) - 0.1
        shot = grabber.grab(mon)  # the reported box alone: not due yet
        assert shot.damage and all(box.right <= 256 and box.bottom <= 128 for box in shot.damage)
        pipe.send(shot.pixels, shot.damage)
        assert found_by_the_check(grabber, check(), 600, 300)
        assert grabber.safety.misses == (1 if grabber.hands_over else 0)
        for _ in range(3):  # pinned: the display under-reports
            assert grabber.safety.period == SAFETY_PERIOD_S
            assert grabber.due() == clock.now + SAFETY_PERIOD_S
            check()


@pytest.mark.display
def test_a_change_beside_reported_damage_in_its_tile_is_a_miss(
    fbdir_xvfb: FbdirXvfb,
    painter: Painter,
    damage_grabber: tuple[DamageGrabber, Clock],
) -> None:
    """A grab reads its damage's bounds, not the tiles around it, so a pixel changed
    unreported 3 px beside a reported draw stays stale until the check, and the check
    calls it a miss even when the same draw comes again just before it (the check judges
    by what a grab of that damage reads, not by its tiles)."""
    grabber, clock = damage_grabber
    with _checked(fbdir_xvfb.display, grabber, clock) as (_, _, poll, mon, pipe, _, check):
        check()
        painter.fill(20, 30, 40, 10, 0x4080C0)  # reported ...
        painter.d.sync()
        _unseen(fbdir_xvfb, poll, 40 + 60 + 3, 30 + 35)  # ... and not, in the same tile
        clock.now = (grabber.due() or 0.0) - 0.1
        shot = grabber.grab(mon)  # the reported draw alone: not due yet
        assert shot.damage == (Rect(60, 60, 40, 10),)  # (the painter's window at 40, 30)
        pipe.send(shot.pixels, shot.damage)
        painter.fill(20, 30, 40, 10, 0x80C040)  # the same draw again, reported
        painter.d.sync()
        assert found_by_the_check(grabber, check(), 40 + 60 + 3, 30 + 35)
        assert grabber.safety.misses == (1 if grabber.hands_over else 0)
        assert grabber.safety.period == SAFETY_PERIOD_S


@pytest.mark.display
def test_a_draw_that_races_the_checks_read_is_no_miss(
    fbdir_xvfb: FbdirXvfb,
    painter: Painter,
    damage_grabber: tuple[DamageGrabber, Clock],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A draw between the check's take and its read is read, and reported only at the
    next take: the check cannot tell it from a change never reported, so the period
    goes back to the shortest without a miss (nothing pinned), and the next grab takes
    the draw's damage.  Every frame decodes exactly."""
    grabber, clock = damage_grabber
    longer = 2 * SAFETY_PERIOD_S if grabber.hands_over else SAFETY_PERIOD_S  # (one: no compare)
    with _checked(fbdir_xvfb.display, grabber, clock) as (_, _, poll, mon, pipe, _, check):
        check()
        assert grabber.safety.period == longer
        read_checked = KeptFrames.read_checked

        def raced(kept: KeptFrames) -> tuple[Pixels, tuple[Rect, ...] | None]:
            painter.fill(150, 100, 30, 20, 0x20A040)  # after the take, before the read
            painter.d.sync()
            return read_checked(kept)

        monkeypatch.setattr(KeptFrames, "read_checked", raced)
        clock.now = grabber.due() or 0.0
        shot = grabber.grab(mon)
        monkeypatch.setattr(KeptFrames, "read_checked", read_checked)
        assert found_by_the_check(grabber, shot.damage, 200, 140)  # (the window is at 40, 30)
        assert grabber.safety.misses == 0 and grabber.safety.period == SAFETY_PERIOD_S
        pipe.send(shot.pixels, shot.damage)
        assert grabber.pending() == grabber.hands_over  # (the check's sync read the event)
        damage = until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)[0]
        assert damage and any(b.x <= 200 < b.right and b.y <= 140 < b.bottom for b in damage)
        check()
        assert grabber.safety.period == longer  # not pinned


@pytest.mark.display
def test_a_lost_damage_source_pins_the_shortest_period(
    fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    """Another client destroys the DAMAGE object: the source reports nothing more, so
    the grabber polls: the loop grabs on its tick (no longer damage- or pointer-driven)
    and every grab compares the whole monitor, as the checks do, every SAFETY_PERIOD_S
    even on an unchanged screen.  (Before, only the checks sent changes.)"""
    source: list[XDamageSource] = []

    def keep() -> XDamageSource:
        source.append(XDamageSource(fbdir_xvfb.display))
        return source[0]

    clock = Clock()
    with (
        two_frames(fbdir_xvfb.display, clock, keep) as grabber,
        _checked(fbdir_xvfb.display, grabber, clock) as (_, _, poll, mon, pipe, _, check),
    ):
        check()
        assert grabber.safety.period == 2 * SAFETY_PERIOD_S
        painter.fill(30, 40, 60, 20, 0xFF0000)
        painter.d.sync()
        assert grabber.sync(10.0)
        painter.d.damage_query_version()  # a client must agree the version first
        painter.d.damage_destroy(source[0]._damage)
        painter.d.sync()
        shot = grabber.grab(mon)  # the fetch fails: everything, read whole
        pipe.send(shot.pixels, shot.damage)
        assert not source[0].reporting
        assert not grabber.damage_driven and not grabber.pointer_driven
        painter.fill(30, 40, 60, 20, 0x0000FF)  # (not reported, and no check is due)
        painter.d.sync()
        assert clock.now < (grabber.due() or 0.0)
        shot = grabber.grab(mon)
        assert shot.damage
        assert np.array_equal(pipe.send(shot.pixels, shot.damage), poll.grab(mon).pixels)
        for _ in range(2):
            clock.now = grabber.due() or 0.0
            shot = grabber.grab(mon)
            assert shot.damage == () and grabber.safety.period == SAFETY_PERIOD_S
        painter.fill(30, 40, 60, 20, 0x00FF00)  # (drawn, not reported: the source is lost)
        painter.d.sync()
        clock.now = grabber.due() or 0.0
        shot = grabber.grab(mon)
        assert shot.damage and grabber.safety.period == SAFETY_PERIOD_S
        assert np.array_equal(pipe.send(shot.pixels, shot.damage), poll.grab(mon).pixels)


@pytest.mark.display
def test_two_kept_frames_without_mit_shm_stay_exact(
    fbdir_xvfb: FbdirXvfb, painter: Painter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without MIT-SHM each kept frame is an array of its own (before, both kept the
    first grab's: a read into one changed the other, the encoder's reference, so a
    change was never sent and every check found the screen unchanged)."""

    def no_shm(self: ScreenGrabber, monitor: object) -> object:
        raise CaptureError("no MIT-SHM on this display")

    monkeypatch.setattr(ScreenGrabber, "shared_frame", no_shm)
    with _two_frames_checked(fbdir_xvfb.display) as rig:
        for step in range(3):
            painter.fill(10 + 50 * step, 10, 40, 30, 0x305070 + step)
            painter.d.sync()
            damage = until_exact(rig.grabber, rig.pipe, rig.truth)[0]
            assert damage
        _unseen(fbdir_xvfb, rig.poll, 500, 400)
        assert found_by_the_check(rig.grabber, rig.check(), 500, 400)
        assert rig.grabber.safety.misses == 1


@pytest.mark.display
def test_the_pointers_moves_during_a_check_do_not_hide_a_miss(
    fbdir_xvfb: FbdirXvfb,
    painter: Painter,
    damage_grabber: tuple[DamageGrabber, Clock],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The viewer moves the pointer all through a session: a move between the check's
    take and its read is no damage, so a change never reported is still a miss."""
    from Xlib import X
    from Xlib.ext import xtest

    grabber, clock = damage_grabber
    with ScreenGrabber(display=fbdir_xvfb.display) as poll:
        mon = poll.monitors()[1]
        pipe = Pipe(grabber)
        until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
        _unseen(fbdir_xvfb, poll, 550, 420)
        read_checked = KeptFrames.read_checked

        def moved(kept: KeptFrames) -> tuple[Pixels, tuple[Rect, ...] | None]:
            xtest.fake_input(painter.d, X.MotionNotify, x=123, y=234)
            painter.d.sync()
            return read_checked(kept)

        monkeypatch.setattr(KeptFrames, "read_checked", moved)
        clock.now = grabber.due() or 0.0
        shot = grabber.grab(mon)
        monkeypatch.setattr(KeptFrames, "read_checked", read_checked)
        assert found_by_the_check(grabber, shot.damage, 550, 420)
        assert grabber.safety.misses == (1 if grabber.hands_over else 0)
        assert grabber.safety.period == SAFETY_PERIOD_S
        assert np.array_equal(pipe.send(shot.pixels, shot.damage), poll.grab(mon).pixels)
        if grabber.hands_over:
            assert grabber.pending()  # the move, read by the check's sync


@pytest.mark.display
def test_a_dropped_grab_before_a_check_is_no_miss_and_a_new_monitor_starts_short(
    fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    """A grab the caller did not encode took its damage; the check after it finds that
    change outside the damage it was told of, and cannot call it a miss.  Then a new
    monitor's checks start at the shortest period again."""
    with _two_frames_checked(fbdir_xvfb.display) as rig:
        grabber, clock, mon, check = rig.grabber, rig.clock, rig.mon, rig.check
        check()
        check()
        assert grabber.safety.period == SAFETY_LONGEST_S
        painter.fill(100, 100, 30, 30, 0x884422)
        painter.d.sync()
        assert grabber.sync(10.0)
        assert grabber.grab(mon).damage  # ... dropped: not encoded, not adopted
        check()  # the change is sent, and is no miss
        assert grabber.safety.misses == 0 and grabber.safety.period == SAFETY_PERIOD_S
        check()
        check()
        assert grabber.safety.period == SAFETY_LONGEST_S
        whole = grabber.monitors()[0]  # (the union of the monitors: another Monitor)
        assert whole != mon
        grabber.grab(whole)
        assert grabber.safety.period == SAFETY_PERIOD_S
        assert grabber.due() == clock.now + SAFETY_PERIOD_S
