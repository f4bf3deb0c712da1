"""The safety check's schedule (``remoteapp.capture.safety``), sans-IO: the period doubles
after each check that finds nothing unreported, up to the longest; any change found
outside the reported damage, or a check never judged, brings it back to the shortest.
(On a real Xvfb with the encoder's judgement: ``test_damage.py``.)"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remoteapp.capture.safety import SAFETY_LONGEST_S, SAFETY_PERIOD_S, SafetyChecks, _within
from remoteapp.codec.geometry import Rect


def test_clean_checks_double_the_period_up_to_the_longest() -> None:
    checks = SafetyChecks()
    assert checks.due == 0.0  # the first grab is a full one
    checks.started(100.0)
    assert checks.due == 100.0 + SAFETY_PERIOD_S
    now, periods = 100.0, []
    for _ in range(4):
        now = checks.due
        checks.clean(now)
        periods.append(checks.period)
        assert checks.due == now + checks.period
    assert periods == [4.0, 8.0, 8.0, 8.0] and SAFETY_LONGEST_S == 8.0
    assert checks.misses == 0


def test_a_miss_brings_the_shortest_period_back_at_once() -> None:
    checks = SafetyChecks()
    checks.started(0.0)
    checks.clean(2.0)
    checks.clean(6.0)
    checks.changed(14.0, [])  # changes, and no damage reported: judged by the encoder
    assert checks.due == 14.0 + 8.0 and checks.judging is not None  # (until judged)
    checks.judge([Rect(500, 400, 1, 1)])
    assert checks.misses == 1 and checks.period == SAFETY_PERIOD_S
    assert checks.due == 14.0 + SAFETY_PERIOD_S and checks.judging is None
    checks.judge([Rect(0, 0, 10, 10)])  # nothing being judged: no effect
    assert checks.misses == 1 and checks.period == SAFETY_PERIOD_S


def test_changes_inside_the_reported_damage_are_a_clean_check() -> None:
    checks = SafetyChecks()
    checks.started(0.0)
    reported = [Rect(0, 0, 128, 64), Rect(128, 0, 64, 128)]
    checks.changed(2.0, reported)
    checks.judge([Rect(10, 10, 150, 20), Rect(130, 70, 10, 10), Rect(5, 5, 0, 9)])
    assert checks.misses == 0 and checks.period == 4.0 and checks.due == 6.0
    checks.changed(6.0, reported)
    checks.judge([Rect(10, 60, 10, 10)])  # rows 64-69 of columns 10-19: not reported
    assert checks.misses == 1 and checks.period == 2.0 and checks.due == 8.0


def test_a_check_never_judged_counts_as_a_miss() -> None:
    checks = SafetyChecks()
    checks.started(0.0)
    checks.clean(2.0)
    checks.unjudged()  # nothing to judge: nothing happens
    assert checks.period == 4.0 and checks.misses == 0
    checks.changed(6.0, [Rect(0, 0, 64, 64)])
    checks.unjudged()  # a grab came before the frame was adopted
    assert checks.misses == 1 and checks.period == 2.0 and checks.due == 8.0


def test_force_makes_the_next_grab_a_full_one_and_keeps_the_period() -> None:
    checks = SafetyChecks(1.0, 3.0)
    checks.started(0.0)
    checks.clean(1.0)
    checks.clean(3.0)
    assert checks.period == 3.0  # (the longest caps the doubling)
    checks.force()
    assert checks.due == 0.0 and checks.period == 3.0


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
def test_within_is_pixel_cover(rects: list[Rect], boxes: list[Rect]) -> None:
    """``_within`` against the pixels themselves: every pixel of ``rects`` in a box."""
    assert _within(rects, boxes) == (_pixels(rects) <= _pixels(boxes))
