"""A window the OS saw move, verified from its middle (``follow_hint``, issue 11): the
copy is found without the full search, and a hint that does not verify (a wrong shift, a
window covered in its middle) falls back to the search, exactly."""

from __future__ import annotations

import numpy as np

from remoteapp.codec import ScreenDecoder, ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion, follow_hint
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.tiles import as_words
from tests.codec.frames import noise, texty

WIN_W, WIN_H = 300, 200


def desk_with_window(x: int, y: int, cover: Rect | None = None) -> Pixels:
    """A grainy desktop (nothing matches shifted there) with a text window at (x, y),
    and optionally another window over part of it."""
    frame = noise(480, 700, 1)
    frame[y : y + WIN_H, x : x + WIN_W] = texty(WIN_H, WIN_W, 3)
    if cover is not None:
        frame[cover.y : cover.bottom, cover.x : cover.right, :3] = 90
    return frame


def moved(dx: int, dy: int, x: int = 100, y: int = 80) -> tuple[Pixels, Pixels, Motion, Rect]:
    """The frames before and after a move, its hint, and the damaged box holding both."""
    a, b = desk_with_window(x, y), desk_with_window(x + dx, y + dy)
    hint = Motion(dx, dy, Rect(x + dx, y + dy, WIN_W, WIN_H))
    box = Rect(x, y, WIN_W, WIN_H).union(hint.dst)
    return a, b, hint, box


def test_the_hinted_window_is_found() -> None:
    a, b, hint, box = moved(9, -4)
    motion = follow_hint(as_words(b), as_words(a), box, hint)
    assert motion is not None and (motion.dx, motion.dy) == (9, -4)
    assert motion.dst == hint.dst  # the grain around it matches nowhere shifted


def test_a_wrong_shift_or_a_covered_middle_does_not_verify() -> None:
    a, b, hint, box = moved(9, -4)
    cur, ref = as_words(b), as_words(a)
    assert follow_hint(cur, ref, box, Motion(8, -4, hint.dst)) is None
    assert follow_hint(cur, ref, box, Motion(9, -4, Rect(0, 0, 10, 10))) is None  # too small
    middle = Rect(hint.dst.x + 100, hint.dst.y + 60, 100, 80)
    covered = desk_with_window(hint.dst.x, hint.dst.y, cover=middle)
    assert follow_hint(as_words(covered), ref, box, hint) is None


def test_a_drag_with_damage_and_hints_is_one_copy_a_frame_and_exact() -> None:
    """Including frames whose hint is wrong or whose window is covered in the middle: the
    full search takes over there, and every frame decodes exactly."""
    enc, dec = ScreenEncoder(), ScreenDecoder()
    x, y = 40, 60
    dec.decode(enc.encode(desk_with_window(x, y)))
    for i, (dx, dy) in enumerate([(8, 4), (8, 4), (-13, 7), (8, 4), (0, 9), (8, 4)]):
        cover = Rect(x + dx + 110, y + dy + 70, 90, 70) if i == 3 else None
        frame = desk_with_window(x + dx, y + dy, cover)
        if i == 3:  # the window under the cover moved, the cover too: no hint verifies
            prev_cover = Rect(x + 110, y + 70, 90, 70)
            frame[prev_cover.y : prev_cover.bottom, prev_cover.x : prev_cover.right] = 7
        dst = Rect(x + dx, y + dy, WIN_W, WIN_H)
        hint = Motion(dx, dy, dst) if i != 2 else Motion(dx + 1, dy, dst)
        box = Rect(x, y, WIN_W, WIN_H).union(dst)
        dec.decode(enc.encode(frame, damage=(box,), moves=(hint,)))
        assert dec.framebuffer is not None and np.array_equal(dec.framebuffer, frame), i
        assert enc.last_stats is not None and enc.last_stats.copies == 1, i
        x, y = x + dx, y + dy


def test_over_a_plain_desktop_the_copy_explains_the_strips_a_window_left() -> None:
    """The damaged box cut to the window's two places (not grown to tiles): the copy
    takes its source beyond the box, where the desktop matches shifted, so the strips
    the window left need no pixels; at the frame's edge too."""
    for x, y, dx, dy in [(100, 80, 8, 4), (8, 4, -8, -4), (392, 272, 8, 8)]:
        plain = np.full((480, 700, 4), 40, np.uint8)
        a, b = plain.copy(), plain.copy()
        a[y : y + WIN_H, x : x + WIN_W] = texty(WIN_H, WIN_W, 3)
        b[y + dy : y + dy + WIN_H, x + dx : x + dx + WIN_W] = texty(WIN_H, WIN_W, 3)
        dst = Rect(x + dx, y + dy, WIN_W, WIN_H)
        box = Rect(x, y, WIN_W, WIN_H).union(dst)
        enc, dec = ScreenEncoder(), ScreenDecoder()
        dec.decode(enc.encode(a))
        dec.decode(enc.encode(b, damage=(box,), moves=(Motion(dx, dy, dst),)))
        assert dec.framebuffer is not None and np.array_equal(dec.framebuffer, b)
        stats = enc.last_stats
        assert stats is not None and (stats.copies, stats.rects) == (1, 0), (x, y, stats)
