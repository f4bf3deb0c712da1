"""When a damage backend's next safety check is due, from what the last ones found.

The safety check reads the whole monitor and compares it with the reference, because
some drivers under-report damage.  On 1080p each check costs the customer about 0.7 ms
and the X server as much again (it copies 8 MB; the customer compares 16 MB): every 2 s,
on a typed key's workload, that is about a seventh of the customer's CPU and half of
the X server's extra load, spent on a display whose damage has been true all along.

So the period starts at ``SAFETY_PERIOD_S`` and doubles after each check that finds
nothing the damage did not report, up to ``SAFETY_LONGEST_S``.  A check that finds a
change outside the damage reported since the last grab (a miss) pins the shortest
period for good: a display that under-reports is checked every 2 s from its first miss
on, and the first one shows within ``SAFETY_LONGEST_S``.  A check that cannot tell (one
kept frame: no compare; a draw that raced its read; a grab before it never adopted)
brings the shortest period back without pinning it.  ``judge`` decides, asking the
source one question by a round trip when it must; ``SafetyChecks`` is sans-IO.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from typing import Final, Protocol

from remoteapp.codec.geometry import Rect, bounding_box

log = logging.getLogger("remoteapp.capture")

#: The safety check's shortest period, and its period after any change it found unreported.
SAFETY_PERIOD_S: Final = 2.0
#: Its longest, after checks that found nothing unreported (a display whose damage is true).
SAFETY_LONGEST_S: Final = 8.0
#: How long a check that found a change outside the damage waits for the source's word
#: on whether a draw raced its read (one round trip, nearly always).
RACE_SYNC_S: Final = 0.5


class Verdict(enum.Enum):
    """What a check found."""

    CLEAN = "clean"  #: nothing the damage did not report
    MISS = "miss"  #: a change the damage never reported
    LOST = "lost"  #: the source reports nothing any more: only the checks send changes
    UNKNOWN = "unknown"  #: cannot tell (see the module docstring)


class Witness(Protocol):
    """What ``judge`` asks of the damage source (``DamageSource`` has it)."""

    @property
    def reporting(self) -> bool: ...

    @property
    def damaged(self) -> bool: ...

    def sync(self, timeout: float) -> bool: ...


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

    def force(self) -> None:
        """The next grab is a full one (a key frame)."""
        self.due = 0.0

    def started(self, now: float) -> None:
        """A monitor's first full grab at ``now`` (nothing to compare with; another
        monitor may have another driver): the shortest period again, unless pinned."""
        self.period = self._base
        self.due = now + self._base

    def checked(self, now: float, verdict: Verdict) -> None:
        """The check at ``now`` found ``verdict``: clean doubles the period (up to the
        longest); a miss or a lost source pins it to the shortest for good; unknown
        brings the shortest back."""
        if verdict is Verdict.CLEAN:
            self.period = min(self.period * 2, self._longest)
        else:
            self.period = self._base
            if verdict is Verdict.MISS:
                self.misses += 1
                if self.misses == 1:
                    log.info("capture event=damage-missed period=%.1fs", self._base)
            if verdict is not Verdict.UNKNOWN:
                self._longest = self._base
        self.due = now + self.period


def judge(
    changed: Sequence[Rect] | None, reported: Sequence[Rect], source: Witness, *, dropped: bool
) -> Verdict:
    """What a check found: the screen differs from the reference in ``changed`` (None:
    not compared), the damage taken since the last grab is ``reported``, and
    ``dropped`` says a grab before it was never adopted (its damage is not in
    ``reported``, its change may be).  A change outside ``reported`` is a miss unless
    damage came since the check's take: a draw between that take and the read is read,
    and reported only at the next take (the X server marks damage as it draws, so a
    sync after the read shows it; a sync that times out tells nothing)."""
    if not source.reporting:
        return Verdict.LOST
    if changed is None:
        return Verdict.UNKNOWN
    if within(changed, reported):
        return Verdict.CLEAN
    if dropped:
        return Verdict.UNKNOWN
    synced = source.sync(RACE_SYNC_S)
    if not source.reporting:
        return Verdict.LOST
    return Verdict.UNKNOWN if not synced or source.damaged else Verdict.MISS


def within(rects: Sequence[Rect], boxes: Sequence[Rect]) -> bool:
    """Whether every rectangle of ``rects`` lies in the union of ``boxes``."""
    bounds = bounding_box(list(rects))
    if bounds is None or any(bounds.intersect(box) == bounds for box in boxes):
        return True  # (nothing, or all inside one box: a busy frame's hundreds of rects)
    for rect in rects:
        parts = [] if rect.is_empty() else [rect]
        for box in boxes:
            parts = [piece for part in parts for piece in part.minus(box)]
            if not parts:
                break
        if parts:
            return False
    return True
