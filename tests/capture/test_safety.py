"""The safety check's schedule and verdicts (``remoteapp.capture.safety``), sans-IO: the
period doubles after each check that finds nothing the damage did not report, up to the
longest; a check that cannot tell brings the shortest back, and a miss or a lost source
pins it there.  ``judge`` asks a stand-in for the damage source (the X server's side).
(On a real Xvfb: ``test_damage_safety.py``.)"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remoteapp.capture.safety import (
    RACE_SYNC_S,
    SAFETY_LONGEST_S,
    SAFETY_PERIOD_S,
    SafetyChecks,
    Verdict,
    judge,
    within,
)
from remoteapp.codec.geometry import Rect


def test_clean_checks_double_the_period_up_to_the_longest() -> None:
    checks = SafetyChecks()
    assert checks.due == 0.0  # the first grab is a full one
    checks.started(100.0)
    assert checks.due == 100.0 + SAFETY_PERIOD_S
    periods = []
    for _ in range(4):
        now = checks.due
        checks.checked(now, Verdict.CLEAN)
        periods.append(checks.period)
        assert checks.due == now + checks.period
    assert periods == [4.0, 8.0, 8.0, 8.0] and SAFETY_LONGEST_S == 8.0
    assert checks.misses == 0


def test_unknown_brings_the_shortest_period_back_and_a_miss_pins_it() -> None:
    checks = SafetyChecks()
    checks.started(0.0)
    checks.checked(2.0, Verdict.CLEAN)
    checks.checked(6.0, Verdict.UNKNOWN)  # (one kept frame, or a draw raced the read)
    assert checks.period == SAFETY_PERIOD_S and checks.due == 8.0 and checks.misses == 0
    checks.checked(8.0, Verdict.CLEAN)
    checks.checked(12.0, Verdict.MISS)
    assert checks.misses == 1 and checks.period == SAFETY_PERIOD_S and checks.due == 14.0
    for now in (14.0, 16.0, 18.0):  # the display under-reports: never longer again
        checks.checked(now, Verdict.CLEAN)
        assert checks.period == SAFETY_PERIOD_S and checks.due == now + SAFETY_PERIOD_S
    checks.started(20.0)  # another monitor: still pinned
    checks.checked(22.0, Verdict.CLEAN)
    assert checks.period == SAFETY_PERIOD_S


def test_a_lost_source_pins_the_shortest_period_without_a_miss() -> None:
    checks = SafetyChecks()
    checks.started(0.0)
    checks.checked(2.0, Verdict.CLEAN)
    checks.checked(6.0, Verdict.LOST)
    assert checks.misses == 0 and checks.period == SAFETY_PERIOD_S and checks.due == 8.0
    checks.checked(8.0, Verdict.CLEAN)
    assert checks.period == SAFETY_PERIOD_S


class _Source:
    """The damage source's answers, as the X server would give them."""

    def __init__(self, *, synced: bool = True, damage_since: bool = False, dies: bool = False):
        self.reporting = True
        self.damaged = False
        self.syncs: list[float] = []
        self._synced, self._damage_since, self._dies = synced, damage_since, dies

    def sync(self, timeout: float) -> bool:
        self.syncs.append(timeout)
        self.damaged = self._damage_since
        self.reporting = not self._dies
        return self._synced and not self._dies


_REPORTED = [Rect(0, 0, 128, 64)]
_OUTSIDE = [Rect(10, 10, 5, 5), Rect(300, 200, 1, 1)]


@pytest.mark.parametrize(
    "source, changed, dropped, verdict, synced",
    [
        (_Source(), _OUTSIDE, False, Verdict.MISS, True),  # nothing came since: a miss
        (_Source(damage_since=True), _OUTSIDE, False, Verdict.UNKNOWN, True),  # a race?
        (_Source(synced=False), _OUTSIDE, False, Verdict.UNKNOWN, True),  # no word in time
        (_Source(dies=True), _OUTSIDE, False, Verdict.LOST, True),  # lost in the sync
        (_Source(), _OUTSIDE, True, Verdict.UNKNOWN, False),  # a dropped grab's change?
        (_Source(), [Rect(10, 10, 100, 50)], False, Verdict.CLEAN, False),
        (_Source(), (), False, Verdict.CLEAN, False),
        (_Source(), None, False, Verdict.UNKNOWN, False),  # (one kept frame: no compare)
    ],
)
def test_judge(
    source: _Source, changed: list[Rect] | None, dropped: bool, verdict: Verdict, synced: bool
) -> None:
    """A change outside the reported damage is a miss only when the source, asked after
    the read, has no damage since the check's take; the round trip only then."""
    assert judge(changed, _REPORTED, source, dropped=dropped) is verdict
    assert source.syncs == ([RACE_SYNC_S] if synced else [])


def test_judge_a_lost_source_asks_nothing() -> None:
    source = _Source()
    source.reporting = False
    assert judge((), _REPORTED, source, dropped=False) is Verdict.LOST
    assert source.syncs == []


def test_a_new_monitor_starts_at_the_shortest_period_and_force_keeps_it() -> None:
    checks = SafetyChecks(1.0, 3.0)
    checks.started(0.0)
    checks.checked(1.0, Verdict.CLEAN)
    checks.checked(3.0, Verdict.CLEAN)
    assert checks.period == 3.0  # (the longest caps the doubling)
    checks.force()
    assert checks.due == 0.0 and checks.period == 3.0
    checks.started(5.0)
    assert checks.period == 1.0 and checks.due == 6.0


@pytest.mark.parametrize("period, longest", [(0.0, 8.0), (-1.0, 8.0), (3.0, 2.0), (math.nan, 8.0)])
def test_periods_out_of_order_are_refused(period: float, longest: float) -> None:
    with pytest.raises(ValueError, match="need 0 < period <= longest"):
        SafetyChecks(period, longest)


_SIDE = 12
_rects = st.builds(
    Rect,
    st.integers(0, _SIDE - 1),
    st.integers(0, _SIDE - 1),
    st.integers(0, _SIDE),
    st.integers(0, _SIDE),
)


def _pixels(rects: list[Rect]) -> set[tuple[int, int]]:
    return {(x, y) for r in rects for x in range(r.x, r.right) for y in range(r.y, r.bottom)}


@given(st.lists(_rects, max_size=4), st.lists(_rects, max_size=5))
def test_within_is_the_pixels_cover(rects: list[Rect], boxes: list[Rect]) -> None:
    """``within`` against the pixels themselves: every pixel of ``rects`` in a box."""
    assert within(rects, boxes) == (_pixels(rects) <= _pixels(boxes))
