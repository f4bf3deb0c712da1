"""The customer's capture thread (``CaptureThread``, a part of ``CustomerSession``):
capture -> encode -> send when a credit is free, paced as ``remoteapp.session.customer``
describes, with the key lane (``key_lane``) where the backend offers it.

It reads the session's state that the reader thread sets (under ``_lock``), and sleeps in
its backend's ``wait``, which the session's ``_poke`` ends.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time

from remoteapp.capture.backend import CaptureBackend, open_capture
from remoteapp.capture.grabber import Monitor
from remoteapp.capture.session import CaptureMode
from remoteapp.codec import LossyMode, ScreenEncoder
from remoteapp.codec.rate_control import RateController
from remoteapp.control import InputInjector
from remoteapp.net.messages import fit_name, fit_side
from remoteapp.net.session import MonitorInfo, ScreenInfo
from remoteapp.session.key_lane import Pace, serve_keys
from remoteapp.session.transport import Transport

log = logging.getLogger("remoteapp.session")

INPUT_SETTLE_S = 0.004  #: after an input, give the application this long to repaint
ACTIVE_PERIOD_S = 1 / 60  #: grab period while the agent is active
ACTIVE_FOR_S = 0.5  #: ... for this long after the last input
IDLE_AFTER_FRAMES = 30  #: unchanged grabs in a row before the idle rate
IDLE_PERIOD_S = 0.2  #: grab period of an idle screen
SEND_WAIT_S = 30.0  #: back-pressure: how long an update may wait for room in the send queue
SLEEP_BOUND_S = 1.0  #: longest the capture thread sleeps without looking around


class CaptureThread:
    """The capture thread's half of ``CustomerSession``: the state it shares with the
    reader thread is declared here and set up by the session."""

    transport: Transport
    fps: float
    frames_sent: int
    lane_updates: int
    _display: str | None
    _capture: CaptureMode
    _lock: threading.Lock  #: guards the state below, which the reader thread sets
    _grabber: CaptureBackend | None
    _monitor_index: int
    _key_requested: bool
    _credit_wait: bool
    _lossy_codecs: frozenset[str]
    _quality: LossyMode
    _rate: RateController
    _input_at: float | None
    _changes: int
    _injector: InputInjector | None
    _input_lock: threading.Lock

    def input_wake(self, changes: int) -> float | None:
        """The key lane's ``LaneHost.input_wake``: after a wake, the input it answers
        (taken), -inf for none, or None where something else changed since ``changes``."""
        with self._lock:
            if self._changes != changes or self.transport.closed:
                return None
            at, self._input_at = self._input_at, None
        return -math.inf if at is None else at

    def _pace(
        self,
        started: float,
        paced_from: float,
        tick: float,
        current: int,
        last_input: float,
        grabber: CaptureBackend,
        gap: float,
    ) -> float:
        """Wait until the next grab is due: the tick (a damage backend: a pointer read
        unless damage came; none where the pointer's moves wake us), ``gap`` after the
        last grab that found something (``paced_from``) once damage or a pointer move is
        pending, the backend's safety check,
        or soon after a key frame request, a monitor switch or (unless the pointer's
        moves wake us) an input, whichever comes first.  Returns the last input time."""
        while not self.transport.closed:
            with self._lock:
                input_at = self._input_at
                switch = self._key_requested or self._monitor_index != current
            if input_at is not None:  # (the agent is active from this input on)
                gap = min(gap, ACTIVE_PERIOD_S)
            if tick == math.inf and not grabber.pointer_driven:
                break  # (the damage source was lost in a wait: the loop polls from now on)
            due = started + tick
            if grabber.damage_driven:
                if grabber.pending():
                    due = min(due, paced_from + gap)
                full = grabber.due()
                if full is not None:
                    due = min(due, full)
            # (where damage and the pointer's moves wake us, a grab after an input would
            # only read the pointer: its answer is grabbed as it comes)
            if input_at is not None and not grabber.pointer_driven:
                due = min(due, max(input_at + INPUT_SETTLE_S, started + ACTIVE_PERIOD_S))
            if switch:
                due = min(due, started + ACTIVE_PERIOD_S)
            wait = due - time.monotonic()
            if wait <= 0:
                break
            grabber.wait(min(wait, SLEEP_BOUND_S))
            # damage came after the gap (a typed key's event): due whatever else changed,
            # as the next look would find, since the gap's end is among its minima
            if grabber.damage_driven and grabber.pending() and time.monotonic() >= paced_from + gap:
                break
        with self._lock:
            if self._input_at is not None:
                last_input, self._input_at = self._input_at, None
        return last_input

    def _await_credit(self, grabber: CaptureBackend) -> bool:
        """Wait (at most 1 s) for a credit; acks and key requests end the wait.  Whether
        one is free (only this thread spends them: it stays free until it sends).  The
        loop calls it only when none was free (nearly never: it looks first)."""
        deadline = time.monotonic() + 1.0
        while not self.transport.closed:
            with self._lock:
                self._credit_wait = True  # set before the look: an ack after it pokes us
            if self.transport.conn.credits > 0:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            grabber.wait(left)
        with self._lock:
            self._credit_wait = False
        return self.transport.conn.credits > 0

    def _serve(self) -> None:
        try:
            with open_capture(self._capture, display=self._display, hand_over=True) as grabber:
                self._grabber = grabber
                self._injector = InputInjector()
                try:
                    self._serve_with(grabber, self._injector)
                finally:
                    self._grabber = None
                    with self._input_lock:  # (a key pressed after this is never injected)
                        injector, self._injector = self._injector, None
                    injector.close()
        except Exception as exc:  # capture/injection unavailable: end with the reason
            log.exception("session event=serve-failed")
            self.transport.close(f"customer cannot share the screen: {exc}")

    def _serve_with(self, grabber: CaptureBackend, injector: InputInjector) -> None:
        encoder = ScreenEncoder()
        encoder.video_rate = self._rate  # (read as each update is planned, the lane's too)
        monitors = grabber.monitors()
        current = -1
        last_cursor: tuple[int, int] | None = None
        seq = 0
        period = 1.0 / self.fps
        unchanged = 0
        last_input = -1e9
        paced_from = -math.inf  #: the last grab that found something: the gap runs from it
        refresh: float | None = None  #: encoder.refresh_due_in() after the last encode
        codecs: frozenset[str] | None = None  #: the encoder's lossy codecs, as last set
        quality: LossyMode | None = None  #: ... and its mode
        times = self._rate.times  # (its own lock: booked and told of lags without ours)
        while not self.transport.closed:
            # (nearly always a credit is free: no wait, none to tell rate control about)
            credit = self.transport.conn.credits > 0
            if not credit:
                waiting = time.monotonic()
                credit = self._await_credit(grabber)
                with self._lock:
                    now = time.monotonic()
                    self._rate.waited(now - waiting, now)
            with self._lock:
                changes = self._changes  # (the key lane hands back on any change after)
                index, key = self._monitor_index, self._key_requested
                self._key_requested = False
                if self._lossy_codecs is not codecs or self._quality is not quality:
                    codecs, quality = self._lossy_codecs, self._quality
                    encoder.set_lossy_codecs(codecs)
                    encoder.set_mode(quality)
                # (until the next encode; only an encode dirties or cleans the viewer, and a
                # planner the codecs' change makes starts clean)
                exact = refresh is None
                if not exact:  # (only a refresh spends it: the link's capacity is not
                    # looked at for every typed key)
                    encoder.refresh_pixels = self._rate.refresh_pixels(time.monotonic())
            if self.transport.closed or not credit:
                if key:  # (not served: the next pass takes it up again)
                    with self._lock:
                        self._key_requested = True
                continue
            started = time.monotonic()
            if index != current:
                monitors = grabber.monitors()
                if not 0 <= index < len(monitors):  # unplugged, or a bad request: the first
                    first = 1 if len(monitors) > 1 else 0  # (no RandR: the union alone)
                    with self._lock:
                        if self._monitor_index == index:  # not asked for another meanwhile
                            self._monitor_index = first
                    index = first
                mon = monitors[index]
                injector.set_monitor(mon.left, mon.top, mon.width, mon.height)
                infos = tuple(
                    MonitorInfo(
                        m.index,
                        m.left,
                        m.top,
                        fit_side(m.width),
                        fit_side(m.height),
                        bool(m.primary),
                        fit_name(m.name),
                    )
                    for m in monitors
                )
                if not self.transport.send(ScreenInfo(infos, index), wait=SEND_WAIT_S):
                    return
                current, key = index, True
            if key:
                encoder.request_key_frame()
                grabber.force_full()
            shot = grabber.grab(monitors[current])
            quiet = shot.damage == () and exact
            if not key and quiet and shot.cursor == last_cursor:
                changed = False  # a pointer read with no damage: nothing to encode
            else:
                update = encoder.encode(
                    shot.pixels,
                    shot.cursor,
                    damage=shot.damage,
                    moves=shot.moves,
                    copies=shot.copies,
                    adopt=grabber.hands_over,
                )
                grabber.adopted(encoder.changed)
                stats = encoder.last_stats
                idle = stats is not None and not stats.key and not stats.rects and not stats.copies
                changed = not (idle and shot.cursor == last_cursor)
            if changed:
                times.sent(seq, len(update), time.monotonic())
                # from the thread that writes it (the writer, or this one for a small
                # update): it starts out after ``lag`` s of waiting for this side, not
                # the link, which rate control does not blame on the link
                written = functools.partial(times.local, seq)
                self.frames_sent += 1  # (first: whoever sees it at the viewer finds it counted)
                if not self.transport.send_update(seq, update, written, SEND_WAIT_S):
                    return
                seq = (seq + 1) & 0xFFFFFFFF
            # a damage grab right after the agent's input that found nothing (a pointer read
            # after a move that moved nothing, as the injector's clicks make) does not pace
            # the next: the damage that answers the click is grabbed as it comes, not a gap
            # after the empty grab.  (Any other grab paces: damage on another monitor,
            # trimmed away, or the local pointer pushed against the screen's edge, come
            # at most once a gap.)
            just_input = started - last_input < ACTIVE_PERIOD_S
            if changed or shot.damage or not grabber.damage_driven or not just_input:
                paced_from = started
            # a damage backend's tick only reads the pointer: it slows down once the pointer
            # is still, whatever damage (typing) keeps happening
            moved = shot.cursor != last_cursor
            last_cursor = shot.cursor
            unchanged = 0 if (moved if grabber.damage_driven else changed) else unchanged + 1
            # (one rule for the gap, the lane's and this loop's; an input not taken yet
            # narrows it in ``_pace``)
            pace = Pace(ACTIVE_PERIOD_S, period, ACTIVE_FOR_S, last_input)
            active = self._input_at is not None or pace.active(started)
            if grabber.pointer_driven:  # (asked each time: a lost damage source polls)
                # damage and the pointer's moves wake the thread, the safety check is due
                # by the backend's own clock, input pokes it: a tick would only find nothing
                # to do, active or not (the agent's input only narrows the gap below)
                tick = math.inf
            elif active:
                tick = ACTIVE_PERIOD_S
            elif unchanged >= IDLE_AFTER_FRAMES:
                tick = IDLE_PERIOD_S
            else:
                tick = period
            refresh = encoder.refresh_due_in()
            if refresh is not None:  # a lossless refresh is due: grab in time for it
                tick = min(tick, max(refresh, ACTIVE_PERIOD_S))
            gap = pace.gap(started)
            if tick == math.inf and refresh is None:  # (damage and a wake end the waits)
                mon = monitors[current]
                lane = self._serve_keys(grabber, encoder, mon, seq, paced_from, pace, changes)
                if lane is None:
                    return
                seq, last, refresh = lane  # (last: the lane's last grab, if it took one)
                paced_from, started = max(paced_from, last), max(started, last)
                last_input = pace.last_input
                gap = pace.gap(time.monotonic())
                if refresh is not None:  # (an update the lane sent made it lossy)
                    tick = max(refresh, ACTIVE_PERIOD_S)
            last_input = self._pace(started, paced_from, tick, current, last_input, grabber, gap)

    def _serve_keys(
        self, grabber: CaptureBackend, encoder: ScreenEncoder, monitor: Monitor, seq: int,
        started: float, pace: Pace, changes: int,
    ) -> tuple[int, float, float | None] | None:  # fmt: skip
        """The key lane (``key_lane``), where the backend offers it: the next seq, the
        last grab's start and the encoder's refresh then; None if the session ended."""
        grabs = grabber.key_grabs(monitor)
        if grabs is None:
            return seq, started, None
        transport, times = self.transport, self._rate.times
        got = serve_keys(
            grabs, encoder, transport, times, self, changes, seq, started, pace, SEND_WAIT_S
        )
        if got is None:
            return None
        return *got, encoder.refresh_due_in()
