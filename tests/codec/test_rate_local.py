"""Rate control on a busy customer (injected time): when updates wait on the customer's
side before their bytes go out (the writer thread late behind an encode: a CPU limit),
the credits come back late and the round trips grow, but the link is fine.  Reported
through ``local``, that wait never cuts the bitrate; a slow link still does."""

from __future__ import annotations

import heapq
from collections.abc import Callable

import pytest

from remoteapp.codec.rate_control import MAX_BITRATE, RateController

pytestmark = pytest.mark.usefixtures("each_sent_times")

WINDOW = 2


def run(
    lag: Callable[[float], float],
    *,
    report: bool,
    link_bps: float = 100e6,
    rtt: float = 0.04,
    seconds: float = 20.0,
) -> tuple[RateController, int]:
    """640x360 video at the controller's rate; each update's bytes go out ``lag(now)``
    after it was handed over.  Returns the controller and the updates sent."""
    rate = RateController()
    now, link_free, next_frame, seq = 0.0, 0.0, 0.0, 0
    acks: list[tuple[float, int]] = []
    reports: list[tuple[float, int, float]] = []  # the writer says so as it gets to it
    while now < seconds:
        while reports and reports[0][0] <= now:
            _, done, wait = heapq.heappop(reports)
            rate.local(done, wait)
        while acks and acks[0][0] <= now:
            at, done = heapq.heappop(acks)
            rate.acked(done, at)
        if len(acks) < WINDOW and now >= next_frame:
            rate.waited(now - next_frame, now)
            size = int(rate.bitrate / rate.fps / 8) + 200
            rate.sent(seq, size, now)
            wait = lag(now)
            if report:
                heapq.heappush(reports, (now + wait, seq, wait))
            link_free = max(link_free, now + wait) + size * 8 / link_bps
            heapq.heappush(acks, (link_free + rtt, seq))
            seq += 1
            next_frame = now + 1 / rate.fps
        events = [acks[0][0]] if acks else []
        events += [reports[0][0]] if reports else []
        events.append(max(next_frame, now + 1e-4))
        now = min(events)
    return rate, seq


def steady(_: float) -> float:
    return 0.12  # 12 updates a second get out: the credits wait, ticks are blocked


def bursts(now: float) -> float:
    return 0.2 if int(now) % 4 >= 2 else 0.0  # a busy CPU two seconds in four


def test_a_steady_local_wait_is_not_taken_for_a_slow_link() -> None:
    unaware, _ = run(steady, report=False)
    assert unaware.bitrate < MAX_BITRATE, "(what happened before: blocked ticks cut it)"
    rate, _ = run(steady, report=True)
    assert rate.bitrate == MAX_BITRATE and rate.fps == 30
    assert rate.cuts == {"delay": 0, "blocked": 0}
    assert rate.spared > 0


def test_cpu_bursts_do_not_read_as_queueing_delay() -> None:
    unaware, _ = run(bursts, report=False)
    assert unaware.cuts["delay"] > 0
    rate, _ = run(bursts, report=True)
    assert rate.cuts == {"delay": 0, "blocked": 0}
    assert rate.bitrate == MAX_BITRATE
    assert rate.delay < 0.01


def test_a_slow_link_is_still_cut_with_a_small_local_wait() -> None:
    def small(_: float) -> float:
        return 0.005

    unaware, _ = run(small, report=False, link_bps=0.3e6)
    rate, _ = run(small, report=True, link_bps=0.3e6)
    assert rate.bitrate < MAX_BITRATE / 2
    assert (rate.bitrate, rate.fps, rate.cuts) == (unaware.bitrate, unaware.fps, unaware.cuts)
    assert rate.spared == 0


def test_a_sporadic_blocked_tick_does_not_keep_a_clear_link_from_being_probed() -> None:
    """After a cut (a key frame draining at the start), a clear link with a tick now and
    then waiting a little for its credit (jitter) is probed back up."""
    rate = RateController(bitrate=600_000)
    for i in range(30 * 20):
        now = i / 30
        rate.sent(i, 2500, now)
        rate.acked(i, now + 0.042)
        if i % 24 == 0:  # one tick in 0.8 s waits 20 ms for its credit
            rate.waited(0.02, now + 0.03)
    assert rate.bitrate == MAX_BITRATE
    assert rate.cuts == {"delay": 0, "blocked": 0}
