"""The copy-following capture on a real Xvfb: frames exact after every step (drawn, copied,
scrolled, dragged), a terminal's scroll read a line at a time, a change the X server
never reported caught by the safety check, and reads the stream never shows ending the
following for plain whole reads (bounded)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from remoteapp.capture import DamageGrabber, ScreenGrabber, open_capture
from remoteapp.capture.copy_capture import CopyCapture
from remoteapp.capture.copy_grabber import MAX_HOLD_S, PARK_S, SWITCH_BACK_S, CopyGrabber
from remoteapp.codec.pixels import Pixels
from remoteapp.errors import CaptureError
from tests import displays
from tests.capture.copy_rig import NOBODY, copy_grabber
from tests.capture.damage_rig import (
    Clock,
    FbdirXvfb,
    Painter,
    Pipe,
    follow,
    painter_steps,
    until_exact,
)

pytestmark = pytest.mark.display

Truth = Callable[[], Pixels]


@pytest.fixture
def grabber(fbdir_xvfb: FbdirXvfb) -> Iterator[tuple[CopyGrabber, Clock]]:
    clock = Clock()
    g = copy_grabber(fbdir_xvfb.display, clock)
    try:
        yield g, clock
    finally:
        g.close()


def test_every_step_is_exact_and_none_reads_the_whole_screen(
    fbdir_xvfb: FbdirXvfb, painter: Painter, grabber: tuple[CopyGrabber, Clock]
) -> None:
    g, _ = grabber
    with ScreenGrabber(display=fbdir_xvfb.display) as poll:
        _, pipe, truth = follow(g, poll)
        assert g.full_grabs == 1 and g.following
        steps = painter_steps(painter)
        for step in steps:
            step()
            painter.d.sync()
            seen = until_exact(g, pipe, truth)
            assert all(damage is not None for damage in seen)  # hints, not whole reads
        assert g.full_grabs == 1 and g.following


def test_a_terminals_scroll_reads_its_new_line_not_its_window(
    fbdir_xvfb: FbdirXvfb, grabber: tuple[CopyGrabber, Clock]
) -> None:
    g, _ = grabber
    term = Painter(fbdir_xvfb.display, x=40, y=30, w=300, h=200)
    try:
        with ScreenGrabber(display=fbdir_xvfb.display) as poll:
            _, pipe, truth = follow(g, poll)
            for line in range(3):  # (the first copy asks for the window's probe)
                term.scroll(f"line {line} ".encode() * 8)
                until_exact(g, pipe, truth)
            before = g.read_pixels
            for line in range(3, 15):
                term.scroll(f"line {line} ".encode() * 8)
                until_exact(g, pipe, truth)
                # (sent as the capture's own exact copy, the window not compared)
                assert pipe.enc.last_stats is not None and pipe.enc.last_stats.copies == 1
            assert g.following and g.full_grabs == 1
            # (each scroll reads its new line and the text drawn above it, not the window)
            assert g.read_pixels - before <= 12 * 300 * 26
    finally:
        term.close()


def test_a_change_the_x_server_never_reported_is_caught_by_the_check(
    fbdir_xvfb: FbdirXvfb, painter: Painter, grabber: tuple[CopyGrabber, Clock]
) -> None:
    g, clock = grabber
    with ScreenGrabber(display=fbdir_xvfb.display) as poll:
        _, pipe, truth = follow(g, poll)
        fbdir_xvfb.poke(500, 400, b"\x11\x22\x33\x00")  # (no damage, no request)
        until_exact(g, pipe, lambda: np.asarray(pipe.dec.framebuffer).copy())  # not seen
        assert g.safety.misses == 0
        clock.now = g.safety.due
        until_exact(g, pipe, truth)  # the check reads it
        assert g.safety.misses == 1 and g.full_grabs == 2 and g.following


def test_reads_the_stream_never_shows_end_the_following_within_the_bound(
    fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    g = copy_grabber(fbdir_xvfb.display, Clock(), reader=lambda _: NOBODY, settle_s=0.2)
    try:
        with ScreenGrabber(display=fbdir_xvfb.display) as poll:
            _, pipe, truth = follow(g, poll)  # (the first grab's reads never show)
            assert not g.following and not g.follows  # (the damage grabber's from now on)
            painter.fill(10, 10, 5, 7, 0x00FF00)
            painter.d.sync()
            assert until_exact(g, pipe, truth) != [None]  # (its damage)
    finally:
        g.close()


def test_open_capture_follows_copies_where_it_can_and_falls_back_where_not(
    fbdir_xvfb: FbdirXvfb,
) -> None:
    with open_capture("copy", display=fbdir_xvfb.display) as g:
        assert isinstance(g, CopyGrabber) and g.following
    argv = ["Xvfb", "-screen", "0", "320x240x24", "-nolisten", "tcp", "-extension", "RECORD"]
    with displays.x_server(argv) as display, open_capture("copy", display=display) as g:
        assert isinstance(g, DamageGrabber)  # (no RECORD: the damage grabber)


def test_it_follows_while_a_window_scrolls_and_only_then(
    fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    """Draws alone are the damage grabber's; a trusted copy switches to following, and a
    second without one switches back; every frame exact, each switch one whole read."""
    clock = Clock()
    g = copy_grabber(fbdir_xvfb.display, clock, always=False)
    term = Painter(fbdir_xvfb.display, x=300, y=200, w=300, h=200)
    try:
        with ScreenGrabber(display=fbdir_xvfb.display) as poll:
            _, pipe, truth = follow(g, poll)
            painter.fill(10, 10, 5, 7, 0xFF0000)
            painter.d.sync()
            until_exact(g, pipe, truth)
            assert not g.follows and g.switches == 0
            for line in range(6):  # (the first copies ask for the window's probe)
                term.scroll(f"line {line} ".encode() * 8)
                until_exact(g, pipe, truth)
                clock.now += 0.1
            assert g.follows and g.switches == 1 and g.full_grabs == 1
            before = g.read_pixels
            for line in range(6, 10):
                term.scroll(f"line {line} ".encode() * 8)
                until_exact(g, pipe, truth)
                clock.now += 0.1
            assert g.read_pixels - before <= 4 * 300 * 26  # (the new lines alone)
            clock.now += SWITCH_BACK_S
            painter.fill(20, 20, 5, 7, 0x00FF00)
            painter.d.sync()
            until_exact(g, pipe, truth)  # (the damage grabber's whole read: anew)
            assert not g.follows and g.switches == 2
            painter.fill(30, 30, 5, 7, 0x0000FF)
            painter.d.sync()
            assert until_exact(g, pipe, truth) != [None]  # (its damage again)
    finally:
        term.close()
        g.close()


@dataclass
class Parked:
    """A copy grabber followed exactly whose stream is parked, a 400x300 terminal (a
    scroll's damage: 120,000 px), the clock, the pipe and the truth."""

    g: CopyGrabber
    clock: Clock
    term: Painter
    pipe: Pipe
    truth: Truth

    def scrolled_until_open(self) -> None:
        """Scroll the terminal (a grab a line, each exact) until the stream is being
        opened again, then wait for its thread."""
        for line in range(5):
            self.scroll(f"wake {line} ".encode() * 8)
            if self.g._opening is not None:
                self.g._opening.thread.join(10)
                return
        raise AssertionError("a scroll did not open the stream again")

    def scroll(self, text: bytes) -> None:
        self.term.scroll(text)
        until_exact(self.g, self.pipe, self.truth)
        self.clock.now += 0.1


@pytest.fixture
def parked(fbdir_xvfb: FbdirXvfb, painter: Painter) -> Iterator[Parked]:
    """Past PARK_S without a trusted copy, a small draw's grab parks the stream."""
    clock = Clock()
    g = copy_grabber(fbdir_xvfb.display, clock, always=False)
    term = Painter(fbdir_xvfb.display, x=220, y=170, w=400, h=300)
    try:
        with ScreenGrabber(display=fbdir_xvfb.display) as poll:
            _, pipe, truth = follow(g, poll)
            clock.now += PARK_S
            painter.fill(40, 40, 9, 15, 0x102030)
            painter.d.sync()
            until_exact(g, pipe, truth)
            assert g.parks == 1 and g._copy is None and g.following and not g.follows
            yield Parked(g, clock, term, pipe, truth)
    finally:
        term.close()
        g.close()


def test_the_stream_parks_without_copies_and_a_scroll_opens_it_again(
    parked: Parked, painter: Painter
) -> None:
    """Draws alone for PARK_S park the stream (a key's grabs then pay nothing for it);
    small draws leave it parked; a scroll opens it again, off the capture thread, and is
    then followed; every frame exact."""
    g = parked.g
    for i in range(10):  # (a typed line: never a scroll's damage)
        painter.fill(50 + 9 * i, 40, 9, 15, 0x405060)
        painter.d.sync()
        until_exact(g, parked.pipe, parked.truth)
        parked.clock.now += 0.05
    assert g._opening is None and g.reopens == 0
    parked.scrolled_until_open()
    for line in range(8):  # (its first copies ask for the probes again)
        parked.scroll(f"line {line} ".encode() * 8)
    assert g.reopens == 1 and g.follows and g.following and g.safety.misses == 0


def test_a_stream_that_cannot_open_again_leaves_the_damage_grabber(parked: Parked) -> None:
    def refused(reader: int) -> CopyCapture:
        raise CaptureError("RECORD went away")

    g = parked.g
    g._copy_factory = refused
    parked.scrolled_until_open()
    parked.scroll(b"after")
    assert not g.following and g._opening is None and g.reopens == 0
    for line in range(5):  # (no second try: the damage grabber's for good)
        parked.scroll(f"line {line} ".encode() * 8)
    assert g._opening is None and not g.follows


def test_closed_while_the_stream_opens_again_the_stream_is_closed(parked: Parked) -> None:
    g = parked.g
    made: list[CopyCapture] = []
    factory = g._copy_factory
    closed = threading.Event()

    def slow(reader: int) -> CopyCapture:
        closed.wait(10)  # (the grabber closes first)
        made.append(factory(reader))
        return made[-1]

    g._copy_factory = slow
    for line in range(5):
        parked.scroll(f"wake {line} ".encode() * 8)
    opening = g._opening
    assert opening is not None
    g.close()
    closed.set()
    opening.thread.join(10)
    assert len(made) == 1 and not made[0].following  # (closed by the opening's thread)
    assert opening.take() is None


def test_a_stream_opened_while_the_loop_only_waits_is_read_by_the_wait(parked: Parked) -> None:
    """No grab after the opening (no credit): the wait takes the stream and reads it, so
    the X server does not keep it (helper-70's review)."""
    g = parked.g
    parked.scrolled_until_open()
    g.wait(0)
    copy = g._copy
    assert copy is not None and g.reopens == 1
    seen = copy.follower.trusted + copy.follower.untrusted
    for line in range(5):
        parked.term.scroll(f"waited {line} ".encode() * 8)
        assert g.sync(5)
        g.wait(0)
    assert copy.follower.trusted + copy.follower.untrusted >= seen + 5


def test_big_redraws_that_are_no_copies_hold_the_wakes_off(parked: Parked) -> None:
    """A video's frames look like a scroll's damage but bring no copy: each opening that
    saw no trusted copy holds the next off twice as long (helper-70's review: it had
    opened again every 5 s); a scroll afterwards is followed and ends the hold."""
    g, term = parked.g, parked.term
    for frame in range(600):  # (a minute of a video, ten frames a second)
        term.fill(0, 0, 400, 300, 0x010203 * (frame % 80))
        term.d.sync()
        until_exact(g, parked.pipe, parked.truth)
        if g._opening is not None:
            g._opening.thread.join(10)
        parked.clock.now += 0.1
    assert 2 <= g.reopens <= 4 and g._hold >= 20, (g.reopens, g._hold)
    parked.clock.now += MAX_HOLD_S
    parked.scrolled_until_open()
    for line in range(8):
        parked.scroll(f"line {line} ".encode() * 8)
    assert g.follows
    parked.clock.now += SWITCH_BACK_S + PARK_S
    parked.scroll(b"switched back and parked: no hold after a copy")
    assert g._copy is None and g._hold == 0
    parked.scrolled_until_open()
