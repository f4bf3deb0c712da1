"""The safety check's schedule (``remoteapp.capture.safety``), sans-IO: the period doubles
after each check that finds nothing the damage did not report, up to the longest; a
change found outside the reported damage brings the shortest back at once.  (On a real
Xvfb: ``test_damage.py``.)"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remoteapp.capture.safety import SAFETY_LONGEST_S, SAFETY_PERIOD_S, SafetyChecks, within
from remoteapp.codec.geometry import Rect


def test_checks_that_find_nothing_unreported_double_the_period_up_to_the_longest() -> None:
    checks = SafetyChecks()
    assert checks.due == 0.0  # the first grab is a full one
    checks.started(100.0)
    assert checks.due == 100.0 + SAFETY_PERIOD_S
    reported = [Rect(0, 0, 128, 64)]
    periods = []
    for changed in ((), [Rect(10, 10, 20, 5)], (), [Rect(0, 0, 128, 64)]):
        now = checks.due
        checks.checked(now, changed, reported)
        periods.append(checks.period)
        assert checks.due == now + checks.period
    assert periods == [4.0, 8.0, 8.0, 8.0] and SAFETY_LONGEST_S == 8.0
    assert checks.misses == 0


def test_a_change_outside_the_reported_damage_brings_the_shortest_period_back() -> None:
    checks = SafetyChecks()
    checks.started(0.0)
    checks.checked(2.0, (), [])
    checks.checked(6.0, (), [])
    assert checks.period == SAFETY_LONGEST_S
    reported = [Rect(0, 0, 128, 64), Rect(128, 0, 64, 128)]
    checks.checked(14.0, [Rect(10, 10, 150, 20), Rect(130, 70, 10, 10)], reported)
    assert checks.misses == 0 and checks.due == 22.0  # all reported: still the longest
    checks.checked(22.0, [Rect(10, 60, 10, 10)], reported)  # rows 64-69: not reported
    assert checks.misses == 1 and checks.period == SAFETY_PERIOD_S and checks.due == 24.0
    checks.checked(24.0, [Rect(500, 400, 1, 1)], [])  # nothing reported at all
    assert checks.misses == 2 and checks.due == 26.0
    checks.checked(26.0, [Rect(5, 5, 0, 9)], [])  # (an empty rectangle changes nothing)
    assert checks.misses == 2 and checks.period == 4.0


def test_a_check_that_could_not_compare_keeps_the_period() -> None:
    checks = SafetyChecks()
    checks.started(0.0)
    checks.checked(2.0, None, [Rect(0, 0, 64, 64)])
    assert checks.period == SAFETY_PERIOD_S and checks.due == 4.0 and checks.misses == 0
    checks.checked(4.0, (), [])
    checks.checked(8.0, None, [])
    assert checks.period == 4.0 and checks.due == 12.0


def test_force_makes_the_next_grab_a_full_one_and_keeps_the_period() -> None:
    checks = SafetyChecks(1.0, 3.0)
    checks.started(0.0)
    checks.checked(1.0, (), [])
    checks.checked(3.0, (), [])
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
def test_within_is_the_pixels_cover(rects: list[Rect], boxes: list[Rect]) -> None:
    """``within`` against the pixels themselves: every pixel of ``rects`` in a box."""
    assert within(rects, boxes) == (_pixels(rects) <= _pixels(boxes))
