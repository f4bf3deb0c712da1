"""The damage grab in one C call (``_xwire.take_boxes``: the fetch, the coalescing and the
box read with the bring-over), on a real Xvfb: it gives the same boxes and pixels as the
Python lane grab for grab, hands many rectangles and wide boxes to the Python rule, and
loses nothing when its read or its fetch fails.  (Every test of ``test_damage.py`` runs
through it too, with the hand-over grabber.)"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from remoteapp.capture import DamageGrabber, ScreenGrabber, x11_link
from remoteapp.capture.damage import FEW_RECTS, NATIVE_RULES
from remoteapp.capture.x11_damage import XDamageSource
from remoteapp.codec.geometry import Rect
from tests.capture.damage_rig import Clock, FbdirXvfb, Painter, Pipe, W, until_exact

pytestmark = pytest.mark.skipif(x11_link.native is None, reason="the C extension is not built")


def _grabber(display: str) -> DamageGrabber:
    return DamageGrabber(
        ScreenGrabber(display=display), lambda: XDamageSource(display), clock=Clock(),
        hand_over=True,
    )  # fmt: skip


@pytest.fixture
def lanes(fbdir_xvfb: FbdirXvfb) -> Iterator[tuple[DamageGrabber, DamageGrabber, ScreenGrabber]]:
    """Two hand-over grabbers of one display, the first with the C lane and the second
    without it (its screen offers none), and a polling grabber for the truth."""
    with (
        _grabber(fbdir_xvfb.display) as c_lane,
        _grabber(fbdir_xvfb.display) as py_lane,
        ScreenGrabber(display=fbdir_xvfb.display) as poll,
    ):
        py_lane._screen.box_lane = lambda: None  # type: ignore[method-assign]
        yield c_lane, py_lane, poll


def _settle(*grabbers: DamageGrabber) -> None:
    for grabber in grabbers:
        pipe = Pipe(grabber)
        mon = grabber.monitors()[1]
        pipe.send(grabber.grab(mon).pixels)  # (the first grab: a full one)
        assert grabber.sync(10.0)
        shot = grabber.grab(mon)
        pipe.send(shot.pixels, shot.damage)


@pytest.mark.display
def test_the_c_lane_gives_the_python_lanes_boxes_and_pixels(
    lanes: tuple[DamageGrabber, DamageGrabber, ScreenGrabber], painter: Painter
) -> None:
    """Random small draws (a few at a time, as typing and a caret make), grab after grab,
    each grabber with the pipe that adopts its frames: the same damage boxes, frames
    equal to the screen, and the C lane took every grab that had damage."""
    c_lane, py_lane, poll = lanes
    mon = poll.monitors()[1]
    _settle(c_lane, py_lane)
    pipes = {c_lane: Pipe(c_lane), py_lane: Pipe(py_lane)}
    rng = random.Random(11)
    before = c_lane.lane_grabs
    for step in range(40):
        for _ in range(rng.randint(1, 4)):
            x, y = rng.randrange(0, 290), rng.randrange(0, 190)
            painter.fill(x, y, rng.randint(1, 12), rng.randint(1, 12), rng.getrandbits(24))
        painter.d.sync()
        shots = []
        for grabber in (c_lane, py_lane):
            assert grabber.sync(10.0)
            shot = grabber.grab(mon)
            pipes[grabber].send(shot.pixels, shot.damage)
            shots.append(shot)
        truth = poll.grab(mon).pixels
        assert shots[0].damage == shots[1].damage, f"step {step}"
        assert shots[0].damage and all(type(box) is Rect for box in shots[0].damage)
        assert {hash(box) for box in shots[0].damage} == {hash(tuple(b)) for b in shots[1].damage}
        for shot in shots:
            assert np.array_equal(shot.pixels, truth), f"step {step}: {shot.damage}"
    assert c_lane.lane_grabs - before == 40
    assert py_lane.lane_grabs == 0


@pytest.mark.display
def test_many_rectangles_and_a_wide_box_go_to_the_python_rule(
    fbdir_xvfb: FbdirXvfb, lanes: tuple[DamageGrabber, DamageGrabber, ScreenGrabber]
) -> None:
    """More rectangles than FEW_RECTS (the numpy rule's), and a box at least 3/4 of the
    screen wide (read as whole rows into the shared frame): fetched by the C call, read
    by the Python, and exact."""
    c_lane, _, poll = lanes
    wide = Painter(fbdir_xvfb.display, x=0, y=300, w=W - 40, h=40)
    try:
        _settle(c_lane)
        pipe = Pipe(c_lane)
        mon = poll.monitors()[1]
        before = c_lane.lane_grabs
        for i in range(FEW_RECTS + 4):  # (apart: the X server keeps them apart)
            wide.fill(8 + 28 * i, 4 + (i % 2) * 20, 3, 3, 0x203040 + i)
        wide.d.sync()
        until_exact(c_lane, pipe, lambda: poll.grab(mon).pixels)
        wide.fill(0, 0, W - 40, 40, 0x406080)
        wide.d.sync()
        in_place = c_lane.in_place_grabs
        until_exact(c_lane, pipe, lambda: poll.grab(mon).pixels)
        assert c_lane.in_place_grabs > in_place
        assert c_lane.lane_grabs == before
    finally:
        wide.close()


@pytest.mark.display
def test_a_failed_read_is_read_again_by_the_python_and_the_lane_stays_off(
    lanes: tuple[DamageGrabber, DamageGrabber, ScreenGrabber], painter: Painter
) -> None:
    """The read's link breaks under the C call: the damage it fetched is read by mss's
    bindings instead, the frame is exact, and later grabs keep going without the lane."""
    c_lane, _, poll = lanes
    mon = poll.monitors()[1]
    _settle(c_lane)
    pipe = Pipe(c_lane)
    painter.fill(10, 10, 5, 5, 0x00FF00)
    painter.d.sync()
    until_exact(c_lane, pipe, lambda: poll.grab(mon).pixels)
    link = c_lane._screen._link
    assert link is not None and c_lane._screen.box_lane() is not None
    link._sock.shutdown(socket.SHUT_RDWR)  # the X server hangs up on the read
    before = c_lane.lane_grabs
    for colour in (0xFF0000, 0x0000FF):
        painter.fill(100, 50, 9, 9, colour)
        painter.d.sync()
        until_exact(c_lane, pipe, lambda: poll.grab(mon).pixels)
    assert c_lane.lane_grabs == before
    assert c_lane._screen.box_lane() is None


@pytest.mark.display
def test_a_failed_fetch_reports_everything(
    lanes: tuple[DamageGrabber, DamageGrabber, ScreenGrabber], painter: Painter
) -> None:
    """The fetch's link breaks under the C call: damage reporting stops, and from then on
    every grab compares the whole monitor (polling), which finds the change: the frame
    is exact."""
    c_lane, _, poll = lanes
    mon = poll.monitors()[1]
    _settle(c_lane)
    pipe = Pipe(c_lane)
    source = c_lane._source
    assert isinstance(source, XDamageSource)
    source._q._sock.shutdown(socket.SHUT_RDWR)
    painter.fill(20, 20, 6, 6, 0xABCDEF)
    painter.d.sync()
    damage = until_exact(c_lane, pipe, lambda: poll.grab(mon).pixels)
    assert not source.reporting and not c_lane.damage_driven
    assert len(damage) == 1 and any(r.x <= 20 < r.right and r.y <= 20 < r.bottom for r in damage[0])


@pytest.mark.display
def test_a_read_the_c_call_refuses_leaves_the_damage_to_the_python(
    lanes: tuple[DamageGrabber, DamageGrabber, ScreenGrabber], painter: Painter
) -> None:
    """More stale boxes than the C read takes: refused before the fetch, so the Python
    fetches and reads the damage (its own C read refuses them too, and is off from then
    on, as for any failure of it), and damage reporting goes on."""
    c_lane, _, poll = lanes
    mon = poll.monitors()[1]
    _settle(c_lane)
    pipe = Pipe(c_lane)
    kept = c_lane._kept
    assert kept is not None
    kept._stale = kept._stale + [Rect(0, 0, 1, 1)] * 5000  # (an update's: about 50)
    before = c_lane.lane_grabs
    painter.fill(30, 40, 7, 7, 0x123456)
    painter.d.sync()
    damage = until_exact(c_lane, pipe, lambda: poll.grab(mon).pixels)
    assert damage[0] and damage[0] != (Rect(0, 0, mon.width, mon.height),)
    assert c_lane.lane_grabs == before
    source = c_lane._source
    assert isinstance(source, XDamageSource) and not source._dead
    painter.fill(60, 40, 7, 7, 0x654321)
    painter.d.sync()
    damage = until_exact(c_lane, pipe, lambda: poll.grab(mon).pixels)
    assert damage[0] and damage[0] != (Rect(0, 0, mon.width, mon.height),)


@pytest.mark.display
def test_bad_arguments_are_refused_before_the_fetch(fbdir_xvfb: FbdirXvfb) -> None:
    """A frame of another size, a front that overlaps it, a box type that is not a named
    tuple: refused before anything is sent (the damage stays with the X server)."""
    native = x11_link.native
    assert native is not None
    with _grabber(fbdir_xvfb.display) as grabber:
        mon = grabber.monitors()[1]
        grabber.grab(mon)
        lane = grabber._screen.box_lane()
        assert lane is not None
        source = grabber._source
        assert isinstance(source, XDamageSource)
        fd, request = source._q._sock.fileno(), source._fetch_bytes
        frame = np.zeros((mon.height, mon.width, 4), np.uint8)
        front = np.zeros_like(frame)
        tile, max_boxes, dense, few, _ = NATIVE_RULES

        def take(*, rules: Any = NATIVE_RULES, frame: object = frame, front: object = front,
                 width: int = mon.width) -> object:  # fmt: skip
            return native.take_boxes(
                fd, request, 1000, 0, 0, width, mon.height, W, rules, lane, frame, front, []
            )

        with pytest.raises(ValueError, match="width x height"):
            take(width=mon.width - 1)
        with pytest.raises(ValueError, match="another frame"):
            take(front=frame)
        for not_named in (list, tuple, os.stat_result):  # (stat_result: fields of its own)
            with pytest.raises(TypeError, match="named tuple"):
                take(rules=(tile, max_boxes, dense, few, not_named))
        with pytest.raises(ValueError, match="bad tile"):
            take(rules=(0, max_boxes, dense, few, Rect))
        sent_nothing = source._q.round_trip(request)  # the link is still in step
        assert sent_nothing[0] == 1
