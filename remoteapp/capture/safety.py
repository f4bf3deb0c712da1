"""When a damage backend's next safety check is due, from what the last ones found.

The safety check reads and compares the whole monitor, because some drivers under-report
damage.  On a 1080p screen it costs the customer about 0.7 ms and the X server as much
again (the X server copies 8 MB, the customer compares 16 MB): every 2 s that is some
0.07 % of a core, near a tenth of what a typed key's capture costs in all, for a display
whose damage has so far been true.  So the period starts at ``SAFETY_PERIOD_S`` and
doubles after each check that finds nothing the damage did not report, up to
``SAFETY_LONGEST_S``; a check that finds a change outside the damage it was told of
(``miss``) brings it back to ``SAFETY_PERIOD_S`` at once, so a display that under-reports
is checked every 2 s after the first miss, and one that does not costs a quarter.

A check that finds changes (or, with one kept frame, does not compare) is judged by
the encoder's changed rectangles for its frame (``judge``): changes inside the boxes of
the damage reported since the last grab are no miss; any outside, even from a draw that
raced the read, count as one (the period only ever errs short).  Sans-IO: the caller
passes the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from remoteapp.codec.geometry import Rect

#: The safety check's shortest period, and its period after any change it found unreported.
SAFETY_PERIOD_S: Final = 2.0
#: Its longest, after checks that found nothing unreported (a display whose damage is true).
SAFETY_LONGEST_S: Final = 8.0


class SafetyChecks:
    """The check's schedule (``due``) and what the checks found (``misses``)."""

    def __init__(self, period: float = SAFETY_PERIOD_S, longest: float = SAFETY_LONGEST_S) -> None:
        if not 0 < period <= longest:
            raise ValueError(f"safety periods {period} to {longest} s: need 0 < period <= longest")
        self._base = period
        self._longest = longest
        self.period = period  #: the period now
        self.due = 0.0  #: time by which the next check is due (0: at the next grab)
        self.misses = 0  #: checks that found a change the damage never reported
        #: a check that found changes, waiting for ``judge``: its time and reported boxes
        self.judging: tuple[float, Sequence[Rect]] | None = None

    def force(self) -> None:
        """The next grab is a full one (a key frame, a monitor switch)."""
        self.due = 0.0

    def started(self, now: float) -> None:
        """A first full grab at ``now`` (nothing to compare with): a check one period on."""
        self.judging = None
        self.due = now + self.period

    def clean(self, now: float) -> None:
        """The check at ``now`` found the screen as the reference holds it, but for the
        damage reported: the period doubles, up to the longest."""
        self.judging = None
        self.period = min(self.period * 2, self._longest)
        self.due = now + self.period

    def changed(self, now: float, reported: Sequence[Rect]) -> None:
        """The check at ``now`` found changes, or did not compare (one kept frame), with
        damage reported in ``reported`` (boxes aligned to the encoder's tiles, as
        ``coalesce`` makes them): ``judge`` decides, once the encoder has said where;
        until then the period holds."""
        self.judging = (now, reported)
        self.due = now + self.period

    def judge(self, changed: Sequence[Rect]) -> None:
        """The encoder's changed rectangles for the frame of the last check that found
        changes (nothing to do otherwise): all inside the reported boxes is a clean
        check; anything outside, a miss."""
        if self.judging is None:
            return
        at, reported = self.judging
        if _within(changed, reported):
            self.clean(at)
        else:
            self.miss(at)

    def miss(self, at: float) -> None:
        """A check at ``at`` found a change the damage never reported (or could not be
        judged): back to the shortest period."""
        self.judging = None
        self.misses += 1
        self.period = self._base
        self.due = at + self._base

    def unjudged(self) -> None:
        """A grab after the check's while it is still ``judging`` (its frame never
        adopted): it cannot be judged now, and counts as a miss (the period errs short)."""
        if self.judging is not None:
            self.miss(self.judging[0])


def _within(rects: Sequence[Rect], boxes: Sequence[Rect]) -> bool:
    """Whether every rectangle of ``rects`` lies in the union of ``boxes``."""
    for rect in rects:
        parts = [] if rect.is_empty() else [rect]
        for box in boxes:
            parts = [piece for part in parts for piece in part.minus(box)]
            if not parts:
                break
        if parts:
            return False
    return True
