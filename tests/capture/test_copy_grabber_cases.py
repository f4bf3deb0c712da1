"""The copy grabber's cases that held up in a review (helper-69): copies between the
grab's reads, the safety check with copies in flight, frames not adopted, monitors made
anew, XOR and off-window copies, many copies in one grab, windows moved between copies,
idle grabs, the key frame, the capture's connections killed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from remoteapp.capture.copy_grabber import CopyGrabber
from remoteapp.codec.geometry import Rect
from tests.capture.copy_rig import Rig, exact_or_pending, kill_client
from tests.capture.damage_rig import Painter, until_exact

pytestmark = pytest.mark.display


def test_the_readers_connection_dying_ends_the_following_within_the_bound(
    rig: Rig, other: Painter
) -> None:
    """The capture's own read connection killed: its reads fail, mss reads instead (the
    stream cannot place those), ``settle`` gives up after its bound, and every grab is
    a whole read from then on, exact."""
    g, _, term, _mon, pipe, truth = rig
    link = getattr(g, "_link", None) or g._screen.shm_link()  # (the reads' connection)
    assert link is not None
    held = link._d.screen().root.create_gc()  # (no reply: the link's bytes stay in step)
    link._d.flush()
    kill_client(other.d, held.id)
    for line in range(2):
        term.scroll(f"after the reader {line} ".encode() * 4)
        until_exact(g, pipe, truth)
    assert not g.following


def test_the_raw_damage_connection_dying_ends_the_following(rig: Rig, other: Painter) -> None:
    g, _, term, _mon, pipe, truth = rig
    assert g._copy is not None and g._copy._raw is not None
    kill_client(other.d, g._copy._raw.id)
    for line in range(2):
        term.scroll(f"after the damage {line} ".encode() * 4)
        until_exact(g, pipe, truth)
    assert not g.following


def reads_with(g: CopyGrabber, between: Callable[[int], None]) -> list[list[Rect]]:
    """Make ``g``'s reads one box at a time, ``between(i)`` run before box i and after
    the last (i = the number of boxes): another client's requests fall between the
    grab's reads in the stream, deterministically.  Returns the boxes each grab read.
    (The grabber reads through its ScreenGrabber's ``grab_boxes_into``, or
    ``read_boxes_on`` where it has one: both are wrapped.)"""
    screen = g._screen
    seen: list[list[Rect]] = []

    def one_by_one(read: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any) -> Any:
            *head, monitor, boxes, frame = args
            seen.append(list(boxes))
            result: Any = True
            for i, box in enumerate(boxes):
                between(i)
                result = read(*head, monitor, [box], frame)
            between(len(boxes))
            return result if boxes else read(*head, monitor, boxes, frame)

        return wrapped

    for name in ("grab_boxes_into", "read_boxes_on"):
        if hasattr(screen, name):
            setattr(screen, name, one_by_one(getattr(screen, name)))
    return seen


def test_copies_between_the_reads_of_one_grab(rig: Rig, other: Painter) -> None:
    """Two unknown boxes (a line in the terminal, a box outside it) read one at a time,
    the terminal's copy between them and after them: the first read's pixels move with
    the copy (a piece from the reads), the second is read after it."""
    g, _, term, mon, pipe, truth = rig
    term.fill(0, 150, 300, 10, 0x00FF80)
    other.fill(100, 100, 30, 20, 0x808000)
    term.d.sync()
    other.d.sync()

    def copy(i: int) -> None:
        if i in (1, 2):
            term.win.copy_area(term.gc, term.win, 0, 13, 300, 187, 0, 0)
            term.d.sync()

    seen = reads_with(g, copy)
    exact_or_pending(g, mon, pipe, truth)
    assert len(seen[0]) >= 2 and g.following
    seen.clear()
    until_exact(g, pipe, truth)
    until_exact(g, pipe, truth)


def test_the_safety_check_with_copies_before_and_after_its_read(rig: Rig) -> None:
    """The check's whole read with a trusted copy before it (in the prediction) and one
    after it (applied from the read): the frame is exact and the check finds no miss."""
    g, clock, term, _mon, pipe, truth = rig

    def copy(i: int) -> None:
        term.win.copy_area(term.gc, term.win, 0, 13, 300, 187, 0, 0)
        term.d.sync()

    reads_with(g, copy)
    full = g.full_grabs
    clock.now = g.safety.due
    until_exact(g, pipe, truth)
    assert g.full_grabs == full + 1 and g.safety.misses == 0 and g.following


def test_a_frame_not_adopted_then_another_grab(rig: Rig, other: Painter) -> None:
    """A grab whose frame the caller drops (no encode, no ``adopted``), a scroll, then
    the next grab: the encoder still holds the frame before, and decodes exactly."""
    g, _, term, mon, pipe, truth = rig
    term.scroll(b"dropped")
    assert g.sync(5)
    g.grab(mon)  # (dropped)
    term.scroll(b"after the dropped one")
    until_exact(g, pipe, truth)
    other.fill(10, 100, 20, 20, 0x123456)
    other.d.sync()
    assert g.sync(5)
    g.grab(mon)
    g.grab(mon)  # (two in a row, neither adopted)
    until_exact(g, pipe, truth)
    assert g.following and g.safety.misses == 0


def test_a_monitor_made_anew_each_call_and_the_union_monitor(rig: Rig) -> None:
    g, _, term, mon, pipe, truth = rig
    for line in range(3):
        term.scroll(f"monitor {line} ".encode() * 4)
        again = dataclasses.replace(mon)  # (equal, another object)
        assert g.sync(5)
        shot = g.grab(again)
        assert np.array_equal(shot.pixels, truth())
        pipe.send(shot.pixels, shot.damage)
    union = g.monitors()[0]
    assert (union.width, union.height) == (mon.width, mon.height)
    term.scroll(b"union")
    assert g.sync(5)
    shot = g.grab(union)  # (another monitor of the same place: begun anew, exact)
    assert np.array_equal(shot.pixels, truth())
    pipe.send(shot.pixels, shot.damage)
    until_exact(g, pipe, truth)
    assert g.following and g.safety.misses == 0


def test_xor_copies_and_copies_off_the_window_are_read(rig: Rig, other: Painter) -> None:
    """Copies not to trust in a proven window (an XOR GC, a GC on some planes, negative
    offsets, partly outside the window, onto another window): read as damage, exact."""
    g, _, term, _mon, pipe, truth = rig
    from Xlib import X

    xor = term.win.create_gc(function=X.GXxor, graphics_exposures=False)
    planes = term.win.create_gc(plane_mask=0x00FF00, graphics_exposures=False)
    steps: list[Callable[[], None]] = [
        lambda: term.win.copy_area(xor, term.win, 0, 13, 300, 187, 0, 0),
        lambda: term.win.copy_area(planes, term.win, 0, 0, 300, 187, 0, 13),
        lambda: term.win.copy_area(term.gc, term.win, -20, -10, 200, 100, 30, 40),
        lambda: term.win.copy_area(term.gc, term.win, 200, 150, 200, 100, 10, 10),
        lambda: term.win.copy_area(term.gc, term.win, 10, 10, 100, 50, 250, 180),
        lambda: term.win.copy_area(term.gc, other.win, 0, 0, 100, 100, 5, 5),
    ]
    for step in steps:
        step()
        term.d.sync()
        until_exact(g, pipe, truth)
    assert g.following and g.safety.misses == 0


def test_trusted_copies_every_way_and_many_in_one_grab(rig: Rig) -> None:
    """Trusted copies up, down, left, right, diagonal and overlapping, one per grab and
    then all in one grab; then more copies in one grab than ``compose`` keeps pieces
    for (the frame is made op by op, no hints): exact, all trusted."""
    g, _, term, _mon, pipe, truth = rig
    assert g._copy is not None
    trusted = g._copy.follower.trusted
    moves = [(0, 13, 0, 0), (0, 0, 0, 7), (9, 0, 0, 0), (0, 0, 5, 0), (3, 4, 20, 30),
             (40, 50, 10, 20), (100, 0, 90, 5)]  # fmt: skip
    for sx, sy, dx, dy in moves:
        term.win.copy_area(term.gc, term.win, sx, sy, 150, 100, dx, dy)
        term.d.sync()
        until_exact(g, pipe, truth)
    for sx, sy, dx, dy in moves:
        term.win.copy_area(term.gc, term.win, sx, sy, 150, 100, dx, dy)
    term.d.sync()
    until_exact(g, pipe, truth)
    for i in range(400):  # (small blocks to scattered places: hundreds of pieces)
        x, y = (i * 37) % 280, (i * 53) % 180
        term.win.copy_area(term.gc, term.win, x, y, 7, 5, (x * 7 + 11) % 290, (y * 3 + 5) % 190)
    term.d.sync()
    assert until_exact(g, pipe, truth) == [None]
    assert g._copy.follower.trusted == trusted + 2 * len(moves) + 400
    assert g.following and g.safety.misses == 0


def test_windows_moved_and_unmapped_between_copies(rig: Rig) -> None:
    g, _, term, _mon, pipe, truth = rig
    for place in ((60, 50), (10, 200), (300, 250)):
        term.win.copy_area(term.gc, term.win, 0, 13, 300, 187, 0, 0)
        term.win.configure(x=place[0], y=place[1])
        term.win.copy_area(term.gc, term.win, 0, 0, 300, 187, 0, 13)
        term.d.sync()
        until_exact(g, pipe, truth)
        term.scroll(b"moved")
        until_exact(g, pipe, truth)
    term.win.copy_area(term.gc, term.win, 0, 13, 300, 187, 0, 0)
    term.win.unmap()
    term.win.copy_area(term.gc, term.win, 0, 13, 300, 187, 0, 0)
    term.win.map()
    term.d.sync()
    until_exact(g, pipe, truth)
    assert g.following and g.safety.misses == 0


def test_idle_grabs_read_nothing_and_hand_back_the_same_frame(rig: Rig) -> None:
    g, _, _, mon, _pipe, truth = rig
    before = g.read_pixels
    frames = []
    for _ in range(20):
        shot = g.grab(mon)
        assert shot.damage == () and not g.pending()
        frames.append(shot.pixels)
    assert all(f is frames[0] for f in frames) and g.read_pixels == before
    assert np.array_equal(frames[0], truth())


def test_the_key_frame_path_reads_the_whole_screen_exactly(rig: Rig) -> None:
    g, _, term, _mon, pipe, truth = rig
    full = g.full_grabs
    for line in range(2):
        term.scroll(f"key {line} ".encode() * 4)
        g.force_full()
        assert until_exact(g, pipe, truth) == [None]
    assert g.full_grabs == full + 2 and g.following and g.safety.misses == 0


def test_the_pointer_while_following_moves_seen_and_a_warp_by_the_check(rig: Rig) -> None:
    """The follow mode reports the pointer as the damage grabber does (one rule,
    ``PointerReads``): a move shows at the next grab, a grab with the pointer still asks
    the X server nothing, and a warp (no motion event) shows at the next whole read."""
    from Xlib.ext import xtest

    g, clock, term, mon, pipe, truth = rig
    assert g.follows
    xtest.fake_input(term.d, term.X.MotionNotify, x=123, y=45)
    term.d.sync()
    assert g.sync(5)
    assert g.grab(mon).cursor == (123, 45)
    asked = []
    ask = g._screen.cursor
    g._screen.cursor = lambda m: asked.append(m) or ask(m)  # type: ignore[method-assign]
    term.scroll(b"the pointer still")
    assert until_exact(g, pipe, truth) and not asked
    term.d.screen().root.warp_pointer(77, 66)
    term.d.sync()
    clock.now = g.safety.due
    assert g.sync(5)
    shot = g.grab(mon)
    assert shot.damage is None and shot.cursor == (77, 66) and len(asked) == 1
