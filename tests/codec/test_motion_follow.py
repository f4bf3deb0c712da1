"""The last frames' scroll shift tried first on a damaged box (``follow_motion``, and the
last copy itself through ``follow_hint``; issue 11): it finds the copy without the full
search, and any shift that does not verify (the scroll changed speed or direction, or
stopped) falls back to the search, exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec import ScreenDecoder, ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import _column_run, _run_around, follow_hint, follow_motion
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.tiles import as_words
from tests.codec.frames import texty

AREA = Rect(40, 30, 600, 400)  #: the text area: what X reports damaged for a CopyArea scroll
BAR = Rect(AREA.right, AREA.y, 12, AREA.h)  #: its scrollbar, damaged on its own


def scrolled(offsets: list[int]) -> list[Pixels]:
    """A text area shown from each of ``offsets`` (rows into the document), thumb moving."""
    doc = texty(AREA.h + max(offsets) + 1, AREA.w, 11)
    frames = []
    for top in offsets:
        frame = np.full((480, 700, 4), 200, np.uint8)
        frame[AREA.y : AREA.bottom, AREA.x : AREA.right] = doc[top : top + AREA.h]
        thumb = AREA.y + top * (AREA.h - 40) // max(offsets)
        frame[BAR.y : BAR.bottom, BAR.x : BAR.right, :3] = 225
        frame[thumb : thumb + 40, BAR.x + 2 : BAR.right - 2, :3] = 120
        frames.append(frame)
    return frames


def test_the_last_shift_is_found_among_stale_ones() -> None:
    a, b = scrolled([0, 34])
    motion = follow_motion(as_words(b), as_words(a), AREA, [(0, 17), (0, -17), (0, -34)])
    assert motion is not None and (motion.dx, motion.dy) == (0, -34)
    assert motion.dst.area >= AREA.w * (AREA.h - 34) * 0.95


def test_no_shift_verifies_when_the_scroll_changed() -> None:
    a, b = scrolled([0, 23])
    cur, ref = as_words(b), as_words(a)
    assert follow_motion(cur, ref, AREA, [(0, -17), (0, 17), (5, 0)]) is None
    assert follow_motion(cur, ref, AREA, []) is None
    same = as_words(a)  # nothing moved: blank rows match any shift, text rows did not move
    assert follow_motion(same, ref, AREA, [(0, -17)]) is None


def test_the_last_copy_seeds_the_next_frame_of_a_steady_scroll() -> None:
    """The encoder tries the last copy again, seeded in its middle, before sampling rows
    for a shift: it verifies while the scroll keeps its speed, and not once it changes."""
    a, b, c, d = scrolled([0, 17, 34, 57])
    first = follow_motion(as_words(b), as_words(a), AREA, [(0, -17)])
    assert first is not None
    again = follow_hint(as_words(c), as_words(b), AREA, first, AREA.area // 2)
    assert again is not None and (again.dx, again.dy) == (0, -17)
    assert again.dst.area >= AREA.w * (AREA.h - 17) * 0.95
    assert follow_hint(as_words(d), as_words(c), AREA, again, AREA.area // 2) is None


def test_sparse_text_scrolled_by_another_number_of_lines_is_not_taken_for_the_last() -> None:
    """A row of small text is mostly background, so a shift by another number of lines
    matches 90 % of it too: the shift matching rows all along is taken (it was the newest
    recent shift that won the tie, and failed to verify)."""
    rng = np.random.default_rng(7)
    doc = np.full((AREA.h + 80, AREA.w, 4), 255, np.uint8)
    for top in range(0, doc.shape[0] - 16, 16):  # lines of a small font: sparse ink
        ink = rng.random((11, AREA.w)) < 0.03
        doc[top : top + 11][ink, :3] = 30
    frames = []
    for offset in (0, 64):
        frame = np.full((480, 700, 4), 200, np.uint8)
        frame[AREA.y : AREA.bottom, AREA.x : AREA.right] = doc[offset : offset + AREA.h]
        frames.append(frame)
    cur, ref = as_words(frames[1]), as_words(frames[0])
    motion = follow_motion(cur, ref, AREA, [(0, -32), (0, -64)])
    assert motion is not None and (motion.dx, motion.dy) == (0, -64)


def test_a_scroll_changing_speed_and_direction_stays_exact() -> None:
    offsets = [0, 17, 34, 51, 74, 97, 80, 63, 63, 68, 120, 137]
    frames = scrolled(offsets)
    enc, dec = ScreenEncoder(), ScreenDecoder()
    poll = ScreenEncoder()
    damaged_bytes = poll_bytes = 0
    for i, frame in enumerate(frames):
        damage = None if i == 0 else (AREA, BAR)
        update = enc.encode(frame, damage=damage)
        dec.decode(update)
        assert dec.framebuffer is not None and np.array_equal(dec.framebuffer, frame), i
        assert enc.last_stats is not None
        moved = i > 0 and offsets[i] != offsets[i - 1]
        assert enc.last_stats.copies == int(moved), i
        damaged_bytes += len(update)
        poll_bytes += len(poll.encode(frame))
    assert damaged_bytes <= poll_bytes * 1.01


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 300), st.integers(0, 299))
def test_the_seed_columns_run_is_found_outward_as_over_the_whole_height(
    seed_value: int, height: int, at: int
) -> None:
    """``_column_run`` compares bands outward from the seed row: the same rows as the
    run around the seed of the whole columns' compare."""
    rng = np.random.default_rng(seed_value)
    seed = at % height
    cur = rng.integers(0, 2, (height, 4), dtype=np.uint32)
    ref = cur.copy()
    for row in rng.integers(0, height, rng.integers(0, 4)):  # a few rows differ, or none
        if row != seed:
            ref[row, rng.integers(0, 4)] ^= 1
    whole = (cur == ref).all(axis=1)
    assert _column_run(cur, ref, seed) == _run_around(whole, seed, seed + 1)
