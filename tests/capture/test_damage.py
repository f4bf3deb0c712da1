"""Damage-driven capture on a real Xvfb: the frames it sends decode to exactly what a full
grab shows, a change the X server never reported is caught by the safety check, a
thousand tiny draws come out as a few boxes, and a moved window is a move hint.

The X server is Xvfb with ``-fbdir``: its framebuffer is a memory-mapped file, so the
test can change pixels behind the X server's back (no damage at all), as a driver that
under-reports does.  The drawing client is python-xlib on its own connection.
"""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest

from remoteapp.capture import DamageGrabber, ScreenGrabber
from remoteapp.capture.damage import EVERYTHING
from remoteapp.capture.x11_damage import XDamageSource
from remoteapp.codec.geometry import Rect
from remoteapp.codec.pixels import Pixels
from tests.capture.damage_rig import (
    Clock,
    FbdirXvfb,
    H,
    Painter,
    Pipe,
    W,
    followed,
    found_by_the_check,
    painter_steps,
    until_exact,
    wait_pending,
)


@pytest.mark.display
def test_damage_path_is_bit_exact_with_the_poll_path(
    fbdir_xvfb: FbdirXvfb,
    painter: Painter,
    damage_grabber: tuple[DamageGrabber, Clock],
) -> None:
    grabber, _ = damage_grabber
    with ScreenGrabber(display=fbdir_xvfb.display) as poll:
        mon = poll.monitors()[1]
        damage_pipe, poll_pipe = Pipe(grabber), Pipe()

        def truth() -> Pixels:
            return poll.grab(mon).pixels

        until_exact(grabber, damage_pipe, truth)
        assert grabber.full_grabs == 1  # the first grab; all the rest follow damage
        steps = painter_steps(painter)
        for step in steps:
            step()
            painter.d.sync()
            seen = until_exact(grabber, damage_pipe, truth)
            assert all(damage is not None for damage in seen)  # hints, not full grabs
            exact = poll_pipe.send(truth())
            decoded = damage_pipe.dec.framebuffer
            assert decoded is not None and np.array_equal(decoded, exact)
        assert grabber.full_grabs == 1


@pytest.mark.display
def test_whole_width_damage_is_read_in_place_and_stays_exact(
    fbdir_xvfb: FbdirXvfb, damage_grabber: tuple[DamageGrabber, Clock]
) -> None:
    """A scroll of a window as wide as the screen: the X server writes the damaged rows
    straight into the kept frame (no copy), and the frames still decode exactly."""
    grabber, _ = damage_grabber
    wide = Painter(fbdir_xvfb.display, x=0, y=100, w=W, h=300)
    try:
        with followed(grabber, fbdir_xvfb.display) as (_, pipe, truth):
            for line in range(12):
                wide.scroll(f"line {line} ".encode() * 20)
                damage = until_exact(grabber, pipe, truth)[0]
                assert damage is not None and any(box.w == W for box in damage)
            assert grabber.in_place_grabs >= 12
    finally:
        wide.close()


@pytest.mark.display
def test_a_wide_box_is_read_only_in_the_rows_its_damage_touches(
    fbdir_xvfb: FbdirXvfb, damage_grabber: tuple[DamageGrabber, Clock]
) -> None:
    """A full-screen terminal 20 px inside the screen's edges scrolls: its damage box is
    the whole screen's tiles, but the X server is asked for its 440 rows alone (counted
    by RECORD), and the frames still decode exactly."""
    from bench.x_reads import Reads, XReads

    grabber, _ = damage_grabber
    term = Painter(fbdir_xvfb.display, x=20, y=20, w=W - 40, h=H - 40)
    try:
        with (
            followed(grabber, fbdir_xvfb.display) as (mon, pipe, truth),
            XReads(fbdir_xvfb.display) as reads,
        ):
            for line in range(6):
                term.scroll(f"line {line} ".encode() * 20)
                assert grabber.sync(10.0)  # the DamageNotify is in
                before = reads.settle()
                shot = grabber.grab(mon)
                assert shot.damage == (Rect(0, 20, W, H - 40),)
                assert reads.settle() - before == Reads(requests=1, pixels=W * (H - 40))
                exact = truth()
                if grabber.hands_over:  # (the frame becomes the reference as it is)
                    assert np.array_equal(shot.pixels, exact)
                assert np.array_equal(pipe.send(shot.pixels, shot.damage), exact)
    finally:
        term.close()


@pytest.mark.display
def test_a_moved_window_is_read_in_its_damage_not_its_tiles(
    fbdir_xvfb: FbdirXvfb, damage_grabber: tuple[DamageGrabber, Clock]
) -> None:
    """A window dragged by (8, 4) a step: its new place and the strips it left are one
    box of whole tiles, but the X server is asked for the 208x104 they cover alone (one
    request, counted by RECORD), and the frames still decode exactly."""
    from bench.x_reads import Reads, XReads

    grabber, _ = damage_grabber
    win = Painter(fbdir_xvfb.display, x=100, y=100, w=200, h=100)
    try:
        win.fill(0, 0, 200, 100, 0x336699)
        win.fill(20, 30, 150, 12, 0xFFEEDD)
        with (
            followed(grabber, fbdir_xvfb.display) as (mon, pipe, truth),
            XReads(fbdir_xvfb.display) as reads,
        ):
            for step in range(1, 5):
                x, y = 100 + 8 * step, 100 + 4 * step
                win.win.configure(x=x, y=y)
                win.fill(0, 0, 200, 100, 0x336699)
                win.fill(20, 30, 150, 12, 0xFFEEDD - step)
                win.d.sync()
                assert grabber.sync(10.0)  # the DamageNotify is in
                before = reads.settle()
                shot = grabber.grab(mon)
                assert shot.damage == (Rect(x - 8, y - 4, 208, 104),), shot.damage
                assert reads.settle() - before == Reads(requests=1, pixels=208 * 104)
                exact = truth()
                if grabber.hands_over:
                    assert np.array_equal(shot.pixels, exact)
                assert np.array_equal(pipe.send(shot.pixels, shot.damage), exact)
    finally:
        win.close()


@pytest.mark.display
def test_an_x_error_for_the_fetch_makes_a_full_grab_and_stops_the_damage(
    fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    """Another client destroys the DAMAGE object (X resources are shared): the next fetch
    gets the server's error packet, the grab reads the whole screen and stays exact, and
    the source reports nothing more (the grabber polls from then on)."""
    source: list[XDamageSource] = []

    def keep() -> XDamageSource:
        source.append(XDamageSource(fbdir_xvfb.display))
        return source[0]

    with (
        DamageGrabber(ScreenGrabber(display=fbdir_xvfb.display), keep) as grabber,
        ScreenGrabber(display=fbdir_xvfb.display) as poll,
    ):
        mon = poll.monitors()[1]
        pipe = Pipe(grabber)
        until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
        painter.fill(30, 40, 60, 20, 0xFF0000)
        painter.d.sync()
        assert grabber.sync(10.0) and source[0].pending  # the DamageNotify is in
        painter.d.damage_query_version()  # a client must agree the version first
        painter.d.damage_destroy(source[0]._damage)
        painter.d.sync()
        full = grabber.full_grabs
        shot = grabber.grab(mon)  # (a whole read, compared: from now on every grab is)
        assert grabber.full_grabs == full + 1  # (one kept frame: damage None, all of it)
        assert np.array_equal(pipe.send(shot.pixels, shot.damage), poll.grab(mon).pixels)
        assert not grabber.damage_driven  # (the loop polls it now)
        assert not grabber.sync(1.0)  # dead: no damage comes any more
        started = time.monotonic()
        grabber.wait(0.05)  # and a wait is for wake() alone (no spin on the connection)
        assert time.monotonic() - started >= 0.05


@pytest.mark.display
def test_a_source_lost_with_damage_not_yet_fetched_is_pending_no_more(
    fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    """The event connection breaks between a DamageNotify and its fetch: the take reports
    everything once, and the source is pending no more (it stayed pending, and the loop
    grabbed at its top rate for the rest of the session)."""
    source = XDamageSource(fbdir_xvfb.display)
    try:
        assert source.sync(10.0)
        source.take()
        painter.fill(10, 10, 20, 20, 0x00FF00)
        painter.d.sync()
        source.wait(10)
        assert source.pending, "the DamageNotify did not come"
        source.wake()
        source.wait(10)  # (ends on the wake: the connection is not read again)
        source._sock.shutdown(socket.SHUT_RDWR)  # the X connection breaks
        rects, _ = source.take()
        assert rects == [EVERYTHING] and not source.reporting
        assert not source.pending
        assert source.take()[0] == []
    finally:
        source.close()


@pytest.mark.display
def test_an_event_every_client_gets_does_not_break_the_fetch(
    fbdir_xvfb: FbdirXvfb,
    painter: Painter,
    damage_grabber: tuple[DamageGrabber, Clock],
) -> None:
    """A keymap change (an injector or xdotool typing a character the keyboard lacks)
    sends MappingNotify to every client, the fetch connection too: it is skipped, and
    damage goes on working (no full grab)."""
    grabber, _ = damage_grabber
    with ScreenGrabber(display=fbdir_xvfb.display) as poll:
        mon = poll.monitors()[1]
        pipe = Pipe(grabber)
        until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
        for colour in (0x3050A0, 0xA05030):
            keycode = painter.d.display.info.max_keycode
            painter.d.change_keyboard_mapping(keycode, painter.d.get_keyboard_mapping(keycode, 1))
            painter.fill(10, 10, 50, 30, colour)
            painter.d.sync()
            damage = until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)[0]
            assert damage is not None and damage != (Rect(0, 0, W, H),)
        source = grabber._source
        assert isinstance(source, XDamageSource)
        assert source.foreign_events >= 2 and grabber.full_grabs == 1


@pytest.mark.display
def test_a_change_damage_never_reported_is_caught_by_the_safety_check(
    fbdir_xvfb: FbdirXvfb,
    painter: Painter,
    damage_grabber: tuple[DamageGrabber, Clock],
) -> None:
    grabber, clock = damage_grabber
    with ScreenGrabber(display=fbdir_xvfb.display) as poll:
        mon = poll.monitors()[1]
        pipe = Pipe(grabber)
        until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
        before = grabber.full_grabs
        # behind the X server's back; a colour this pixel does not have yet (the X server
        # lives for the module: the other grabber's run poked it before)
        colour = [(int(c) + 101) % 256 for c in poll.grab(mon).pixels[400, 500, :3]]
        fbdir_xvfb.poke(500, 400, bytes([*colour, 0]))
        truth = poll.grab(mon).pixels
        assert truth[400, 500, :3].tolist() == colour
        shot = grabber.grab(mon)
        assert shot.damage == () and not grabber.pending()  # nothing was reported
        assert not np.array_equal(pipe.send(shot.pixels, shot.damage), truth)
        clock.now += 1.9
        assert grabber.grab(mon).damage == ()  # not yet due
        clock.now += 0.1  # SAFETY_PERIOD_S after the last full grab
        shot = grabber.grab(mon)
        assert found_by_the_check(grabber, shot.damage, 500, 400)
        assert grabber.full_grabs == before + 1
        assert np.array_equal(pipe.send(shot.pixels, shot.damage), truth)


@pytest.mark.display
def test_a_thousand_tiny_draws_in_one_frame_coalesce(
    fbdir_xvfb: FbdirXvfb,
    painter: Painter,
    damage_grabber: tuple[DamageGrabber, Clock],
) -> None:
    grabber, _ = damage_grabber
    with ScreenGrabber(display=fbdir_xvfb.display) as poll:
        mon = poll.monitors()[1]
        pipe = Pipe(grabber)
        until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
        rng = np.random.default_rng(3)
        for x, y in rng.integers(0, 180, size=(1000, 2)):
            painter.fill(int(x) + 60, int(y) + 10, 1, 1, int(rng.integers(0, 1 << 24)))
        painter.d.sync()
        assert wait_pending(grabber, 10), "no damage reported"
        seen = until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
        for damage in seen:
            assert damage is not None and len(damage) <= 4, damage
            # the window's drawn area is 180x180 at (100, 40): four 64-px tiles wide
            assert sum(box.area for box in damage) <= 4 * 64 * 4 * 64


@pytest.mark.display
def test_a_moved_window_is_a_move_hint(
    fbdir_xvfb: FbdirXvfb,
    painter: Painter,
    damage_grabber: tuple[DamageGrabber, Clock],
) -> None:
    grabber, _ = damage_grabber
    with ScreenGrabber(display=fbdir_xvfb.display) as poll:
        mon = poll.monitors()[1]
        pipe = Pipe(grabber)
        until_exact(grabber, pipe, lambda: poll.grab(mon).pixels)
        painter.win.configure(x=54, y=36)  # from (40, 30)
        painter.d.sync()
        assert wait_pending(grabber, 10)
        deadline = time.monotonic() + 10
        moves = grabber.grab(mon).moves
        while not moves and time.monotonic() < deadline:
            moves = grabber.grab(mon).moves
        assert [(m.dx, m.dy, m.dst) for m in moves] == [(14, 6, Rect(54, 36, 300, 200))]


@pytest.mark.display
def test_open_capture_picks_damage_on_x11_and_poll_when_asked(fbdir_xvfb: FbdirXvfb) -> None:
    from remoteapp.capture import open_capture

    with open_capture("damage", display=fbdir_xvfb.display) as grabber:
        assert isinstance(grabber, DamageGrabber) and grabber.damage_driven
    with open_capture("poll", display=fbdir_xvfb.display) as grabber:
        assert isinstance(grabber, ScreenGrabber) and not grabber.damage_driven
