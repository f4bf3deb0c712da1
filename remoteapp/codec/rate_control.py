"""Video rate control from the session's own flow control (sans-IO, injected clock).

The customer already waits for UPDATE_ACKs (credits); each ack gives a round trip for an
update of known size (its newest: an ack the viewer held for several small updates says
how long, and the older ones it covers only count as delivered).  From those:

- ``base_rtt``: the smallest round trip of the last ``BASE_WINDOW_S`` (the link's own);
- ``delay``: the smallest of the last ``RECENT`` round trips minus ``base_rtt``, i.e. how
  long updates queue (in the relay, the kernel buffers, the apps).  A minimum, not a
  mean: one big update (a key frame, a refresh) is slow on its own without any queue;
  a queue slows every update;
- ``throughput``: bytes acknowledged per second over the last ``RATE_WINDOW_S``;
- ``blocked``: capture ticks that waited for a credit longer than ``BLOCKED_WAIT`` of a
  frame period.  The 2-update window keeps the queue short by itself, so on a link too
  slow for the video the round trip hardly grows: the updates wait for credits and the
  frame rate falls.  Blocked ticks while fewer than ``TARGET_FPS`` updates a second get
  through count as congestion too.  While the updates keep coming at ``TARGET_FPS`` or
  more, waits are left alone: a round trip a bit longer than two frame periods (decode
  time on a busy agent) is not shortened by a lower bitrate, only the picture is worse.

Time spent on this side is not the link's: ``local(seq, lag)`` says an update waited
``lag`` after ``sent`` for the customer itself (its writer thread scheduled late behind
an encode, sealing: a CPU limit), and its round trip leaves that out.  A blocked tick
counts only while the link holds the next credit, not that wait (``local_bound``: the
oldest update out spent most of its time so far on this side): a lower bitrate does not
make a busy CPU faster.  A sender that never calls ``local`` is judged as before.

Above ``HIGH_DELAY_S``, or when blocked, the video bitrate is cut (x ``CUT``, at most
once per ``HOLD_S``); at ``MIN_BITRATE`` the frame rate is cut instead, down to
``MIN_FPS``.  Below
``LOW_DELAY_S`` for ``PROBE_AFTER_S`` the frame rate comes back first, then the bitrate is
probed upward (x ``PROBE``); a blocked tick now and then (jitter) does not hold that up,
``BLOCKED_MIN`` in a second do (a cut at the start, while the key frame drained, stayed
for good on bench.shaped_link's 5 Mbit/s link before).

A lossless refresh update may take ``REFRESH_LATENCY_S`` of the link (its capacity taken
as the best ``window x bytes / round trip`` of the last window: a lower bound, which grows
as bigger refresh updates come back quickly), so a refresh never becomes one update that
keeps the next input's answer waiting behind it.
"""

from __future__ import annotations

from collections import deque
from typing import Final

from remoteapp.codec.sent_times import new_sent_times
from remoteapp.codec.vp8_codec import DEFAULT_BITRATE

HIGH_DELAY_S: Final = 0.12
LOW_DELAY_S: Final = 0.04
HOLD_S: Final = 0.5
PROBE_AFTER_S: Final = 1.0
CUT: Final = 0.7
PROBE: Final = 1.15
MIN_BITRATE: Final = 150_000
MAX_BITRATE: Final = DEFAULT_BITRATE  #: for a 640x360 region (the encoder scales by area)
MIN_FPS: Final = 10.0
MAX_FPS: Final = 30.0
FPS_STEP: Final = 5.0
BASE_WINDOW_S: Final = 10.0
RATE_WINDOW_S: Final = 1.0
RECENT: Final = 5
MAX_OUTSTANDING: Final = 64  #: sent-but-unacked updates remembered (credits bound it to 2)
BLOCKED_MIN: Final = 3  #: blocked ticks in the window before they count
BLOCKED_WAIT: Final = 0.5  #: of a frame period
TARGET_FPS: Final = 15.0
REFRESH_LATENCY_S: Final = 0.06
WINDOW: Final = 2  #: updates in flight (the session's credits)
REFRESH_MIN_PIXELS: Final = 16 * 1024
BYTES_PER_REFRESH_PIXEL: Final = 1.5  #: what a refreshed photo pixel costs through zstd
LOCAL_SHARE: Final = 0.5  #: of the credit cycle: local waits above it are not congestion


class RateController:
    """Feed it ``sent`` and ``acked``; read ``bitrate``, ``fps`` and ``refresh_pixels``."""

    def __init__(self, *, bitrate: int = MAX_BITRATE, fps: float = MAX_FPS) -> None:
        self.bitrate = bitrate
        self.fps = fps
        #: the updates sent and not acked yet, with their lags: the sender may book in
        #: them (``times.sent``) and its writer report lags (``times.local``) directly, on
        #: their own threads: they have a lock of their own (``sent_times``)
        self.times = new_sent_times(MAX_OUTSTANDING)
        self._rtts: deque[tuple[float, float]] = deque()  # (time, rtt) of the base window
        #: its rising minima: each rtt with no smaller one after it, so the window's
        #: smallest is the first (one ack a frame, 300 in the window at 30 fps)
        self._lows: deque[tuple[float, float]] = deque()
        self._acked: deque[tuple[float, int]] = deque()  # (time, bytes) for throughput
        self._delivery: deque[tuple[float, float]] = deque()  # (time, bytes/s lower bound)
        self._blocked: deque[float] = deque()  # capture ticks without a credit
        self._recent: deque[float] = deque(maxlen=RECENT)
        self._cycles: deque[tuple[float, float]] = deque(maxlen=RECENT)  # (local, whole)
        self._last_change = -1e9
        self._spared_at = -1e9
        self._clear_since: float | None = None
        self.cuts = {"delay": 0, "blocked": 0}  #: why the rate went down (logs, bench)
        self.spared = 0  #: blocked cuts not made: this side's own wait held the credits

    @property
    def base_rtt(self) -> float | None:
        return self._lows[0][1] if self._lows else None

    @property
    def delay(self) -> float:
        """Queueing delay now: smoothed round trip above the link's own."""
        base = self.base_rtt
        return 0.0 if base is None or not self._recent else max(0.0, min(self._recent) - base)

    def throughput(self, now: float) -> float | None:
        """Bytes per second acknowledged over the last window (None: too little data)."""
        self._expire(now)
        if len(self._acked) < 2:
            return None
        span = max(now - self._acked[0][0], 1e-3)
        return sum(n for _, n in self._acked) / span

    def capacity(self, now: float) -> float | None:
        """A lower bound of the link's bytes per second (None: no round trip yet)."""
        self._expire(now)
        return max((rate for _, rate in self._delivery), default=None)

    def refresh_pixels(self, now: float) -> int:
        """Pixels a lossless refresh may re-send in one update at this link's speed."""
        rate = self.capacity(now)
        if rate is None:
            return REFRESH_MIN_PIXELS * 4
        budget = rate * REFRESH_LATENCY_S / BYTES_PER_REFRESH_PIXEL
        return max(REFRESH_MIN_PIXELS, int(budget))

    def sent(self, seq: int, nbytes: int, now: float) -> None:
        """Update ``seq`` of ``nbytes`` went out at ``now`` (``times.sent``)."""
        self.times.sent(seq, nbytes, now)

    def local(self, seq: int, lag: float) -> None:
        """Update ``seq`` waited ``lag`` s on this side before its bytes went out
        (``times.local``)."""
        self.times.local(seq, lag)

    def local_bound(self, now: float) -> bool:
        """The next credit waits mostly for this side: the oldest update out (its ack
        frees it) spent most of its time so far here (all of it if its bytes have not
        started out yet), or, none out, the recent ones did."""
        if not self.times.reporting:
            return False
        oldest = self.times.oldest()
        if oldest is not None:
            at, lag = oldest
            if lag is None:
                return True
            return lag > LOCAL_SHARE * max(now - at, 1e-6)
        local = sum(lag for lag, _ in self._cycles)
        return local > LOCAL_SHARE * sum(whole for _, whole in self._cycles)

    def waited(self, seconds: float, now: float) -> None:
        """A capture tick waited ``seconds`` for a free credit (the capture loop says)."""
        if seconds < BLOCKED_WAIT / max(self.fps, 1.0):
            return
        if self.local_bound(now):  # the credit waits for this side (a busy CPU): no cut
            if now - self._spared_at >= HOLD_S:
                self._spared_at = now
                self.spared += 1
            return
        self._blocked.append(now)
        self._expire(now)
        self._adapt(now)

    def acked(self, seq: int, now: float, held: float = 0.0) -> None:
        """The ack of ``seq`` and every update sent before it (cumulative), which the
        viewer held ``held`` s after decoding ``seq``.  Each update counts as delivered;
        the round trip is ``seq``'s, less that hold (the older ones waited longer)."""
        popped = self.times.ack(seq)
        if popped is None:
            return
        nbytes, at, lag_or_none = popped.pop()
        for older, _, _ in popped:
            self._acked.append((now, older))
        lag = lag_or_none or 0.0
        if held > 0.0 and held >= now - at:  # (held all the trip: no sample to trust)
            self._acked.append((now, nbytes))
            return
        trip = now - at - max(0.0, held)  # (the viewer's hold is neither side's time)
        self._cycles.append((lag, max(trip, 1e-6)))
        rtt = max(0.0, trip - lag)
        self._rtts.append((now, rtt))
        while self._lows and self._lows[-1][1] >= rtt:
            self._lows.pop()
        self._lows.append((now, rtt))
        self._acked.append((now, nbytes))
        self._delivery.append((now, WINDOW * nbytes / max(rtt, 1e-3)))
        self._expire(now)
        self._recent.append(rtt)
        self._adapt(now)

    def _expire(self, now: float) -> None:
        while self._rtts and now - self._rtts[0][0] > BASE_WINDOW_S:
            self._rtts.popleft()
        while self._lows and now - self._lows[0][0] > BASE_WINDOW_S:
            self._lows.popleft()
        while self._acked and now - self._acked[0][0] > RATE_WINDOW_S:
            self._acked.popleft()
        while self._blocked and now - self._blocked[0] > RATE_WINDOW_S:
            self._blocked.popleft()
        while self._delivery and now - self._delivery[0][0] > RATE_WINDOW_S:
            self._delivery.popleft()

    def _adapt(self, now: float) -> None:
        delay = self.delay
        starved = (
            len(self._blocked) >= BLOCKED_MIN
            and len(self._acked) < TARGET_FPS * RATE_WINDOW_S
            # (no ack in the window at all: starved, however long it has been watched)
            and (not self._acked or now - self._acked[0][0] >= RATE_WINDOW_S / 2)
        )
        if delay > HIGH_DELAY_S or starved:
            self._clear_since = None
            if now - self._last_change < HOLD_S:
                return
            self._last_change = now
            self.cuts["blocked" if starved and delay <= HIGH_DELAY_S else "delay"] += 1
            if self.bitrate > MIN_BITRATE:
                self.bitrate = max(MIN_BITRATE, int(self.bitrate * CUT))
            else:
                self.fps = max(MIN_FPS, self.fps - FPS_STEP)
            return
        if delay > LOW_DELAY_S or len(self._blocked) >= BLOCKED_MIN:
            self._clear_since = None
            return
        if self._clear_since is None:
            self._clear_since = now
        if now - self._clear_since < PROBE_AFTER_S or now - self._last_change < PROBE_AFTER_S:
            return
        self._last_change = now
        if self.fps < MAX_FPS:
            self.fps = min(MAX_FPS, self.fps + FPS_STEP)
        elif self.bitrate < MAX_BITRATE:
            self.bitrate = min(MAX_BITRATE, int(self.bitrate * PROBE))
