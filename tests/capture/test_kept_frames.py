"""Two kept frames that take turns (``remoteapp.capture.kept_frames``), on a real Xvfb:
what is read into rows the X server rewrites whole is diffed at once, and a grab the
caller did not encode is carried into the next one.  (Every test of ``test_damage.py``
also runs with such a grabber.)"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from remoteapp.capture import DamageGrabber, ScreenGrabber
from remoteapp.capture.x11_damage import XDamageSource
from tests.capture.damage_rig import Clock, FbdirXvfb, Painter, Pipe, W, until_exact


@pytest.mark.display
def test_a_change_never_reported_in_rows_read_whole_is_sent_with_them(
    fbdir_xvfb: FbdirXvfb, damage_grabber: tuple[DamageGrabber, Clock, threading.Event]
) -> None:
    """A box nearly as wide as the screen is read as whole rows.  Handing the frame
    over makes it the reference, so those rows are diffed whole and a change there the
    X server never reported goes out now; with one frame the reference keeps the old
    pixel and the safety check finds it later (``test_damage``)."""
    grabber, _, _ = damage_grabber
    wide = Painter(fbdir_xvfb.display, x=0, y=300, w=W - 100, h=40)
    try:
        with ScreenGrabber(display=fbdir_xvfb.display) as poll:
            mon = poll.monitors()[1]
            pipe = Pipe(grabber)
            until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
            old = poll.grab(mon).pixels[320, W - 20, :3]
            colour = [(int(c) + 77) % 256 for c in old]
            fbdir_xvfb.poke(W - 20, 320, bytes([*colour, 0]))  # beside the window, unseen
            wide.fill(0, 0, W - 100, 40, 0x4060A0)
            wide.d.sync()
            assert grabber.sync(10.0)
            shot = grabber.grab(mon)
            decoded = pipe.send(shot.pixels, shot.damage)
            assert shot.pixels[320, W - 20, :3].tolist() == colour  # read with the rows
            sent = decoded[320, W - 20, :3].tolist() == colour
            assert sent is grabber.hands_over
            assert np.array_equal(decoded[:300], poll.grab(mon).pixels[:300])
    finally:
        wide.close()


@pytest.mark.display
def test_a_grab_the_caller_did_not_encode_is_carried_into_the_next(
    fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    """With two frames, a grab that was dropped (not encoded, not adopted) leaves the
    frame being written as it was: the next grab reads on into it and reports both."""
    with (
        DamageGrabber(
            ScreenGrabber(display=fbdir_xvfb.display),
            lambda notify: XDamageSource(fbdir_xvfb.display, notify),
            hand_over=True,
        ) as grabber,
        ScreenGrabber(display=fbdir_xvfb.display) as poll,
    ):
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
            damage = until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)[0]
            assert damage is not None and any(box.y <= 50 for box in damage), damage
