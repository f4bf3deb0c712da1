"""The encoder's cheap copy guesses, tried before its full motion search (sans-IO).

A damaged frame is first tried against what is likely: a window the OS saw move (its
move hints), then, while the last copy was a straight scroll, the last few scroll shifts
(a steady scroll seeded at its last copy).  A guess that verifies saves the search; one
that does not costs a few row compares.  The state is the last copies' shifts, which a
key frame forgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion, Words, follow_hint, follow_motion

#: Look for scroll/move (guesses or the search) only in a changed area this large.
MOTION_MIN_AREA: Final = 64 * 64 * 4
FOLLOW_SHIFTS: Final = 3  #: recent copy shifts tried first on the next damaged frame


class CopyGuesses:
    """The last copies' shifts, and the guesses they give for the next damaged frame."""

    def __init__(self) -> None:
        self._shifts: list[tuple[int, int]] = []  #: the last copies' shifts, newest first
        self._last_copy: Motion | None = None  #: set while the last two shifts were one

    def forget(self) -> None:
        """A key frame: nothing before it predicts the next copy."""
        self._shifts, self._last_copy = [], None

    def took(self, motion: Motion) -> None:
        """``motion`` went out as a copy: the first guess next time."""
        shift = (motion.dx, motion.dy)
        steady = bool(self._shifts) and self._shifts[0] == shift
        self._shifts = [shift, *(s for s in self._shifts if s != shift)][:FOLLOW_SHIFTS]
        self._last_copy = motion if steady else None

    def guess(
        self, ref_w: Words, cur_w: Words, damage: Sequence[Rect], moves: Sequence[Motion]
    ) -> tuple[Motion, Rect] | None:
        """A verified copy and the damaged box it explains, from the hints first, then
        from the last scroll shifts; None if neither explains one."""
        found = self._hinted(ref_w, cur_w, damage, moves)
        return found if found is not None else self._scrolled(ref_w, cur_w, damage)

    @staticmethod
    def _hinted(
        ref_w: Words, cur_w: Words, damage: Sequence[Rect], moves: Sequence[Motion]
    ) -> tuple[Motion, Rect] | None:
        """The largest hinted window first, each in the damaged box holding most of it.

        The copy may take its source up to the shift outside that box, where the frame
        equals the reference: a moved window's box is its new place and the strips it
        left, and over a plain desktop the copy explains those strips too only with its
        source beyond them (a box grown to whole tiles had that margin by chance)."""
        height, width = cur_w.shape
        frame = Rect(0, 0, width, height)
        for hint in sorted(moves, key=lambda m: m.dst.area, reverse=True):
            box = max(damage, key=lambda r: r.intersect(hint.dst).area)
            reach = box.union(box.shifted(-hint.dx, -hint.dy)).intersect(frame)
            motion = follow_hint(cur_w, ref_w, reach, hint)
            if motion is not None:
                return motion, box
        return None

    def _scrolled(
        self, ref_w: Words, cur_w: Words, damage: Sequence[Rect]
    ) -> tuple[Motion, Rect] | None:
        """The last scroll shifts on the largest damaged box.  Only straight shifts, and
        only while the last copy was one: a drag stopped by a screen edge (one straight
        shift among diagonal ones) must not make every later frame try it in vain."""
        if not self._shifts:
            return None
        last_dx, last_dy = self._shifts[0]
        if last_dx and last_dy:
            return None
        box = max(damage, key=lambda r: r.area)
        if box.area < MOTION_MIN_AREA:
            return None
        motion = None
        if self._last_copy is not None:  # a steady scroll: its last copy, seeded there
            # (an unsteady one, say 50 Hz of drawing grabbed at 30, fails it too often)
            motion = follow_hint(cur_w, ref_w, box, self._last_copy, box.area // 2)
        if motion is None:
            shifts = [(dx, dy) for dx, dy in self._shifts if not (dx and dy)]
            motion = follow_motion(cur_w, ref_w, box, shifts)
        return None if motion is None else (motion, box)
