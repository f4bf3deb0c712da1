"""Rate control against a simulated bottleneck (injected time): a 5 Mbit/s, 40 ms link
with the session's 2-credit window.  Video that does not fit makes the controller cut
bitrate (then frame rate) until updates stop queueing; a clear link is probed upward."""

from __future__ import annotations

import heapq

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec.lossy import AREA_EXPONENT, REFERENCE_AREA
from remoteapp.codec.rate_control import (
    BASE_WINDOW_S,
    HIGH_DELAY_S,
    MAX_BITRATE,
    MIN_BITRATE,
    MIN_FPS,
    RateController,
)

pytestmark = pytest.mark.usefixtures("each_sent_times")

WINDOW = 2  #: DEFAULT_WINDOW of the session protocol


def simulate(
    link_bps: float,
    seconds: float,
    *,
    region_area: int = 1920 * 1080,
    rtt: float = 0.04,
    rate: RateController | None = None,
    start: float = 0.0,
) -> tuple[RateController, list[float], list[float]]:
    """Updates of the size the encoder would make at the controller's bitrate and fps
    (VP8 lands near its target), over a FIFO link; returns round trips and send times."""
    rate = rate or RateController()
    now, link_free = start, start
    acks: list[tuple[float, int]] = []
    in_flight, seq, next_frame = 0, 0, start
    rtts: list[float] = []
    sent_at: dict[int, float] = {}
    sends: list[float] = []
    while now < start + seconds:
        while acks and acks[0][0] <= now:
            at, s = heapq.heappop(acks)
            rate.acked(s, at)
            rtts.append(at - sent_at.pop(s))
            in_flight -= 1
        if in_flight < WINDOW and now >= next_frame:
            rate.waited(now - next_frame, now)  # how long the tick waited for a credit
            scale = (region_area / REFERENCE_AREA) ** AREA_EXPONENT
            size = int(rate.bitrate * scale / rate.fps / 8) + 200
            rate.sent(seq, size, now)
            sent_at[seq] = now
            sends.append(now)
            link_free = max(link_free, now) + size * 8 / link_bps
            heapq.heappush(acks, (link_free + rtt, seq))
            in_flight += 1
            seq += 1
            next_frame = now + 1 / rate.fps
        upcoming = [acks[0][0]] if acks else []
        upcoming.append(max(next_frame, now + 1e-4))
        now = min(upcoming) if upcoming else now + 1e-3
    return rate, rtts, sends


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))]


def test_fullscreen_video_on_a_5_mbit_link_settles_without_queueing() -> None:
    rate, rtts, sends = simulate(5e6, 20.0)
    settled = rtts[len(rtts) // 2 :]
    assert p95(settled) <= 0.04 + 0.15, "round trips stay within 150 ms of the link's"
    last = [t for t in sends if t > 15.0]
    assert len(last) / 5.0 >= 15, "the region keeps at least 15 fps"
    assert rate.delay < HIGH_DELAY_S


def test_a_link_far_too_slow_for_the_video_cuts_its_bitrate() -> None:
    rate, rtts, sends = simulate(1.5e6, 20.0)
    assert rate.bitrate < MAX_BITRATE / 2
    assert rate.cuts["blocked"] > 0
    assert len([t for t in sends if t > 15.0]) / 5.0 >= 15
    assert p95(rtts[len(rtts) // 2 :]) <= 0.04 + 0.15


def test_a_clear_link_is_probed_back_up() -> None:
    slow, _, _ = simulate(1.5e6, 15.0)
    assert slow.bitrate < MAX_BITRATE / 2
    fast, rtts, _ = simulate(100e6, 30.0, rate=slow, start=15.0)
    assert fast.bitrate == MAX_BITRATE and fast.fps == 30
    assert max(rtts[-20:]) < 0.04 + HIGH_DELAY_S


def test_a_very_slow_link_cuts_the_frame_rate_after_the_bitrate() -> None:
    rate, rtts, sends = simulate(0.3e6, 30.0)
    assert rate.bitrate == MIN_BITRATE  # 1080p in 0.3 Mbit/s: as low as it goes ...
    assert len([t for t in sends if t > 25.0]) / 5.0 >= 10  # ... and still moving
    assert p95(rtts[len(rtts) // 2 :]) < 0.3
    slower, _, _ = simulate(0.2e6, 30.0)
    assert slower.bitrate == MIN_BITRATE and MIN_FPS <= slower.fps < 30


def test_refresh_budget_follows_the_measured_throughput() -> None:
    slow, _, _ = simulate(5e6, 5.0)
    fast, _, _ = simulate(100e6, 5.0)
    slow_px, fast_px = slow.refresh_pixels(5.0), fast.refresh_pixels(5.0)
    assert slow_px < fast_px
    # at 5 Mbit/s a refresh update holds the link for about 60 ms at most
    assert slow_px * 1.5 <= 5e6 / 8 * 0.07


@pytest.mark.parametrize("seq", [7, 99])
def test_unknown_acks_and_unbounded_sends_are_harmless(seq: int) -> None:
    rate = RateController()
    for i in range(1000):
        rate.sent(i, 1000, i * 0.01)
    rate.acked(seq, 20.0)
    assert len(rate.times) <= 64
    with pytest.raises(ValueError, match="2\\*\\*32"):  # (not a wire seq: a caller's bug)
        rate.acked(-1, 20.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0, 3.0), st.floats(0.0, 0.5)), min_size=1, max_size=60))
def test_base_rtt_is_the_smallest_round_trip_of_the_window(
    acks: list[tuple[float, float]],
) -> None:
    """Kept as the window's rising minima (not a scan of the window per ack): the same
    value as the smallest of the window's round trips, after every ack."""
    rate = RateController()
    now = 0.0
    for seq, (gap, rtt) in enumerate(acks):
        now += gap
        rate.sent(seq, 1000, now)
        now += rtt
        rate.acked(seq, now)
        assert all(now - at <= BASE_WINDOW_S for at, _ in rate._rtts)
        assert rate.base_rtt == min(r for _, r in rate._rtts)


def test_a_cumulative_ack_delivers_the_updates_before_it_and_times_its_own() -> None:
    """A held ack (HELD_ACKS) covers every update up to its seq; only its own update's
    round trip is known (the older ones were held longer), less the viewer's hold."""
    rate = RateController()
    for seq in range(4):
        rate.sent(seq, 100, seq * 0.125)
    rate.acked(2, 0.25 + 0.030 + 0.2, held=0.2)  # 2 went out at 0.25, decoded 30 ms later
    assert rate.base_rtt == pytest.approx(0.030)
    assert [seq for seq, *_ in rate.times.entries()] == [3]
    assert [n for _, n in rate._acked] == [100, 100, 100]
    assert rate.delay == 0.0


def test_a_hold_longer_than_the_whole_round_trip_is_no_sample() -> None:
    """Only a buggy or hostile viewer holds an ack as long as the trip took: the update
    counts as delivered, but the round trip and the link's capacity are not taken from
    it (a 0 s round trip set the base for 10 s, and cut the bitrate to its floor).  A
    hold just under the trip still gives a tiny round trip: rate control trusts the
    viewer's word there, and a lying viewer only spoils its own picture."""
    rate = RateController()
    rate.sent(0, 100, 0.0)
    rate.acked(0, 0.150)
    rate.sent(1, 100_000, 0.2)
    rate.acked(1, 0.35, held=5.0)
    assert rate.base_rtt == pytest.approx(0.150)
    assert [n for _, n in rate._acked] == [100, 100_000]
    assert len(rate._delivery) == 1 and not rate.times


def test_blocked_ticks_with_no_ack_in_the_window_count_as_starved() -> None:
    """No ack for over a window while ticks keep waiting: congestion (this raised an
    IndexError on the empty window before)."""
    rate = RateController()
    rate.sent(0, 50_000, 0.0)
    rate.acked(0, 0.05)
    rate.sent(1, 50_000, 0.1)
    for now in (2.0, 2.6, 2.9):  # the link holds update 1: nothing comes back
        rate.waited(0.5, now)
    assert rate.cuts["blocked"] == 1 and rate.bitrate < MAX_BITRATE
