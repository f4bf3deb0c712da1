"""Two kept frames that take turns (``remoteapp.capture.kept_frames``), on a real Xvfb:
an unreported change beside a box read as whole rows does not slip into the reference,
after a grab the caller did not encode the next one reads everything, a change partly
inside the next box is brought over outside it, and the safety check of an unchanged
screen reports no damage.  (Every test of ``test_damage.py`` also runs with such a
grabber.)"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from remoteapp.capture import DamageGrabber, ScreenGrabber
from remoteapp.capture.safety import SAFETY_PERIOD_S
from remoteapp.codec.geometry import Rect
from tests.capture.damage_rig import (
    Clock,
    FbdirXvfb,
    Painter,
    Pipe,
    W,
    found_by_the_check,
    until_exact,
)
from tests.capture.damage_rig import two_frames as two_frames_on  # (a fixture has the name)


@pytest.fixture
def two_frames(fbdir_xvfb: FbdirXvfb) -> Iterator[tuple[DamageGrabber, ScreenGrabber]]:
    """A damage grabber with two kept frames (its clock still: no safety check), and a
    polling grabber for the truth."""
    with (
        two_frames_on(fbdir_xvfb.display, Clock()) as grabber,
        ScreenGrabber(display=fbdir_xvfb.display) as poll,
    ):
        yield grabber, poll


@pytest.mark.display
def test_a_change_never_reported_beside_a_box_read_as_whole_rows_waits_for_the_check(
    fbdir_xvfb: FbdirXvfb, damage_grabber: tuple[DamageGrabber, Clock]
) -> None:
    """A box nearly as wide as the screen is read as whole rows.  A change beside it
    that the X server never reported is read with them, but must not count as sent:
    handed over, the frame becomes the reference, so the reference's pixels are put
    back there.  Either way the safety check sends it."""
    grabber, clock = damage_grabber
    wide = Painter(fbdir_xvfb.display, x=0, y=300, w=W - 100, h=40)
    try:
        with ScreenGrabber(display=fbdir_xvfb.display) as poll:
            mon = poll.monitors()[1]
            pipe = Pipe(grabber)
            until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
            old = poll.grab(mon).pixels[320, W - 20, :3].tolist()
            colour = [(c + 77) % 256 for c in old]
            fbdir_xvfb.poke(W - 20, 320, bytes([*colour, 0]))  # beside the window, unseen
            wide.fill(0, 0, W - 100, 40, 0x4060A0 + len(grabber.monitors()))
            wide.d.sync()
            assert grabber.sync(10.0)
            shot = grabber.grab(mon)
            assert shot.damage and all(box.right <= W - 64 for box in shot.damage)
            assert grabber.in_place_grabs >= 1
            if grabber.hands_over:
                assert shot.pixels[320, W - 20, :3].tolist() == old
            decoded = pipe.send(shot.pixels, shot.damage)
            truth = poll.grab(mon).pixels
            assert decoded[320, W - 20, :3].tolist() == old  # not sent yet
            assert np.array_equal(decoded[300:340, : W - 100], truth[300:340, : W - 100])
            clock.now += SAFETY_PERIOD_S
            shot = grabber.grab(mon)
            assert found_by_the_check(grabber, shot.damage, W - 20, 320)
            assert np.array_equal(pipe.send(shot.pixels, shot.damage), truth)
    finally:
        wide.close()


@pytest.mark.display
def test_after_a_grab_the_caller_did_not_encode_the_next_reads_everything(
    two_frames: tuple[DamageGrabber, ScreenGrabber], painter: Painter
) -> None:
    """With two frames, a grab that was dropped (not encoded, not adopted) leaves the
    frame being written half done: the next grab reads everything again, exactly."""
    grabber, poll = two_frames
    mon = poll.monitors()[1]
    pipe = Pipe(grabber)
    until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
    for step in range(3):
        painter.fill(10 + 60 * step, 20, 30, 30, 0x802010 + step)
        painter.d.sync()
        assert grabber.sync(10.0)
        assert grabber.grab(mon).damage  # ... and dropped: not encoded, not adopted
        painter.fill(12 + 60 * step, 100, 20, 20, 0x108020 + step)
        painter.d.sync()
        assert until_exact(grabber, pipe, lambda: poll.grab(mon).pixels) == [None]
        painter.fill(14 + 60 * step, 140, 10, 10, 0x201080 + step)  # and on as before
        painter.d.sync()
        damage = until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)[0]
        assert damage is not None and all(box.y >= 128 for box in damage), damage


@pytest.mark.display
def test_a_change_partly_inside_the_next_box_is_brought_over_outside_it(
    two_frames: tuple[DamageGrabber, ScreenGrabber], painter: Painter
) -> None:
    """The next grab rewrites what its boxes hold, so of the last update's changes only
    the parts outside them are copied from the reference (a dragged window's last place
    is inside the next box): the frame handed over still equals the screen everywhere."""
    grabber, poll = two_frames
    mon = poll.monitors()[1]
    pipe = Pipe(grabber)
    until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
    for step in range(3):
        painter.fill(10, 20 + 60 * step, 220, 30, 0x305070 + step)  # over four tiles
        painter.d.sync()
        until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
        painter.fill(12, 22 + 60 * step, 10, 10, 0x703050 + step)  # inside the first
        painter.d.sync()
        damage = until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)[0]
        assert damage is not None and all(box.right <= 128 for box in damage), damage


@pytest.mark.display
def test_the_safety_check_of_an_unchanged_screen_reports_no_damage(
    fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    """With two frames the safety check compares its read with the reference: an
    unchanged screen reports ``()`` (even after a dropped grab whose box changed
    nothing) and hands the reference back; one pixel changed behind the X server's
    back is found by its diff, and reported as its box."""
    clock = Clock()
    with (
        two_frames_on(fbdir_xvfb.display, clock) as grabber,
        ScreenGrabber(display=fbdir_xvfb.display) as poll,
    ):
        mon = poll.monitors()[1]
        pipe = Pipe(grabber)
        painter.fill(40, 40, 20, 20, 0x123456)
        painter.d.sync()
        assert grabber.sync(10.0)
        shot = grabber.grab(mon)
        reference = shot.pixels  # adopted by the encoder just below
        assert np.array_equal(pipe.send(shot.pixels, shot.damage), poll.grab(mon).pixels)
        painter.fill(40, 40, 20, 20, 0x123456)  # damage, and no change
        painter.d.sync()
        assert grabber.sync(10.0)
        assert grabber.grab(mon).damage  # ... and dropped: not encoded, not adopted
        fulls = grabber.full_grabs
        clock.now += SAFETY_PERIOD_S
        shot = grabber.grab(mon)
        assert grabber.full_grabs == fulls + 1 and shot.damage == ()
        assert shot.pixels is reference  # nothing to adopt: the reference as it is
        assert np.array_equal(pipe.send(shot.pixels, shot.damage), poll.grab(mon).pixels)
        old = poll.grab(mon).pixels[400, 300, :3].tolist()
        fbdir_xvfb.poke(300, 400, bytes([(c + 55) % 256 for c in old] + [0]))
        assert grabber.grab(mon).damage == ()  # unreported, and not due yet
        clock.now += SAFETY_PERIOD_S  # (the check found nothing: twice as long to the next)
        assert grabber.grab(mon).damage == ()
        clock.now += SAFETY_PERIOD_S
        shot = grabber.grab(mon)
        assert found_by_the_check(grabber, shot.damage, 300, 400) and shot.pixels is not reference
        assert np.array_equal(pipe.send(shot.pixels, shot.damage), poll.grab(mon).pixels)
        assert grabber.safety.misses == 1  # ... and the next check is one period on
        assert grabber.due() == clock.now + SAFETY_PERIOD_S


@pytest.mark.display
def test_a_narrow_box_before_a_wide_one_in_the_same_rows_keeps_its_pixels(
    two_frames: tuple[DamageGrabber, ScreenGrabber], fbdir_xvfb: FbdirXvfb
) -> None:
    """A wide box is read as whole rows and the reference put back beside it; a narrow
    box in the same rows, listed first, must not be overwritten by that (the narrow
    boxes are read after the wide ones; before 53284c5 this lost the narrow box's
    change until the safety check)."""
    grabber, poll = two_frames
    mon = poll.monitors()[1]
    pipe = Pipe(grabber)
    until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
    narrow = Painter(fbdir_xvfb.display, x=W - 60, y=270, w=40, h=20)
    wide = Painter(fbdir_xvfb.display, x=0, y=260, w=W - 128, h=40)
    try:
        for p, size, colour in ((narrow, (40, 20), 0x11AA33), (wide, (W - 128, 40), 0x3311AA)):
            p.fill(0, 0, *size, colour)
            p.d.sync()
        truth = poll.grab(mon).pixels
        kept = grabber._kept
        assert kept is not None
        before = kept.in_place_grabs
        frame, damage = kept.read([Rect(W - 64, 256, 64, 64), Rect(0, 256, W - 128, 64)])
        assert damage is not None and kept.in_place_grabs == before + 1
        assert frame is not kept.front  # (the back frame: the reference is put back)
        assert np.array_equal(frame[256:320], truth[256:320])
    finally:
        narrow.close()
        wide.close()
