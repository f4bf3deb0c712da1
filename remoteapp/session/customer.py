"""The customer's end: capture -> encode -> send when a credit is free; apply input.

Flow control: an update is sent only with a credit free (the viewer acks each one), and
the capture thread waits for room in the transport's send queue (back-pressure, bounded)
rather than piling updates up in memory.

Pacing: with a damage-driven backend (X11 DAMAGE, ``remoteapp.capture.backend``) a grab
follows damage, at most ``fps`` times a second; with no damage the thread sleeps in the
backend's ``wait`` (which the X server's events end, and the reader thread's ``wake``:
input, a credit, the end), waking only for the backend's slow safety check and the
pointer (its moves end the wait where the backend reports them, XInput 2 raw motion;
elsewhere it is read on a slow tick).  A polling backend is grabbed ``fps`` times a
second.  Either way, right after the agent's input the screen is grabbed again within a
few ms (and at up to 60 fps while the agent is active), so the answer to a click or a key
does not wait for the next tick; after a second of no change the rate drops to a few
grabs (or pointer reads) a second, which keeps an idle session cheap.
"""

from __future__ import annotations

import functools
import logging
import math
import socket
import threading
import time
from collections.abc import Callable

from remoteapp.capture.backend import CaptureBackend, CaptureMode, open_capture
from remoteapp.capture.grabber import Monitor
from remoteapp.codec import LossyMode, ScreenEncoder
from remoteapp.codec.lossy import LOSSY_CAPABILITIES
from remoteapp.codec.rate_control import RateController
from remoteapp.control import InputInjector
from remoteapp.net.messages import HELD_ACKS, WIDE_SMALL_WINDOW
from remoteapp.net.session import (
    Clipboard,
    Event,
    Hello,
    Key,
    KeyFrameRequest,
    MonitorInfo,
    Ping,
    PointerButton,
    PointerMove,
    Pong,
    ScreenInfo,
    SelectMonitor,
    SessionConnection,
    SetQuality,
    Text,
    UpdateAck,
    Wheel,
)
from remoteapp.net.session_state import Role
from remoteapp.secure import SecureParams
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


class CustomerSession:
    """Serve this screen to one agent over ``sock`` (already paired by the relay)."""

    def __init__(
        self,
        sock: socket.socket,
        name: str,
        *,
        secure: SecureParams,
        on_secured: Callable[[str], None] = lambda code: None,
        fps: float = 30.0,
        display: str | None = None,
        capture: CaptureMode = "damage",
        on_agent: Callable[[str], None] = lambda name: None,
        on_end: Callable[[str], None] = lambda reason: None,
        on_clipboard: Callable[[str], None] = lambda text: None,
    ) -> None:
        self.name = name
        self.fps = fps
        self._display = display
        self._capture = capture
        self._on_agent = on_agent
        self._on_end = on_end
        self._on_clipboard = on_clipboard
        if secure.role is not Role.CUSTOMER:
            raise ValueError("the secure params are for the other side")
        self.on_secured = on_secured
        self.transport = Transport(sock, SessionConnection(Role.CUSTOMER), secure=secure)
        # the session's state below, set by the reader thread, read by the capture thread;
        # the capture thread sleeps in its backend's wait(), which _poke() ends
        self._lock = threading.Lock()
        self._grabber: CaptureBackend | None = None
        self._monitor_index = 1
        self._key_requested = False
        self._credit_wait = False  #: the capture thread waits for a credit (an ack wakes it)
        self._lossy_codecs: frozenset[str] = frozenset()  #: the agent decodes these
        self._quality = LossyMode.AUTO  #: the agent's choice (SetQuality)
        self._rate = RateController()  #: video bitrate/fps from the acks' round trips
        self._input_at: float | None = None  #: last input not yet followed by a grab
        self._changes = 0  #: changes of the state above other than input (the key lane)
        self._injector: InputInjector | None = None
        self._input_lock = threading.Lock()  #: the reader applies input, the end closes it
        self.agent_name = ""
        self.frames_sent = 0
        self.lane_updates = 0  #: of them, sent by the key lane (tests, bench)
        self.inputs_applied = 0  #: the agent's input events injected (tests, bench)

    def start(self, initial: bytes = b"") -> None:
        """Say hello and start the reader and capture threads."""
        caps = ("clipboard", HELD_ACKS, WIDE_SMALL_WINDOW)
        self.transport.send(Hello(Role.CUSTOMER, self.name, capabilities=caps))
        self.transport.start(
            self._on_event,
            self._ended,
            name="customer-net",
            initial=initial,
            on_secured=self.on_secured,
        )
        threading.Thread(target=self._serve, name="customer-capture", daemon=True).start()

    @property
    def verification_code(self) -> str | None:
        """The 6 digits both sides show once the channel is up (None before)."""
        return self.transport.verification_code

    @property
    def failure(self) -> Exception | None:
        """What ended the session from the other side's bytes, or the secure channel
        failing: ``PasswordMismatch``, ``HandshakeFailed``, ``ChannelBroken``
        (``remoteapp.secure``) or another protocol error; None after an orderly end or
        a lost connection."""
        return self.transport.failure

    def end(self, reason: str = "customer ended the session") -> None:
        self.transport.close(reason)
        self._poke()  # (the capture thread lets go of the injector now, not in 1 s)

    def send_clipboard(self, text: str) -> None:
        """From the clipboard's own sender thread: may wait for room (up to 1 MiB)."""
        self.transport.send(Clipboard(text), wait=SEND_WAIT_S)

    # -- reader thread

    def _on_event(self, event: Event) -> None:
        match event:
            case Hello():
                self.agent_name = event.name
                with self._lock:
                    self._lossy_codecs = frozenset(event.capabilities) & LOSSY_CAPABILITIES
                self._poke()  # (the key lane gives the loop back for the codecs)
                log.info(
                    "session event=agent-joined agent=%r lossy=%s",
                    event.name,
                    ",".join(sorted(self._lossy_codecs)) or "none (lossless session)",
                )
                self._on_agent(event.name)
            case UpdateAck() | KeyFrameRequest() | SelectMonitor():
                with self._lock:
                    if isinstance(event, UpdateAck):
                        self._rate.acked(event.seq, time.monotonic(), event.held_us / 1e6)
                    if isinstance(event, KeyFrameRequest):
                        self._key_requested = True
                    elif isinstance(event, SelectMonitor):
                        self._monitor_index = event.index
                        self._key_requested = True
                    poke = self._credit_wait or not isinstance(event, UpdateAck)
                if poke:  # an ack matters only to a wait for credit
                    self._poke()
            case PointerMove() | PointerButton() | Wheel() | Key() | Text():
                with self._input_lock:  # (not after the end: the injector closes under it)
                    if self._injector is None or self.transport.closed:
                        return
                    self._injector.apply(event)
                    self.inputs_applied += 1
                with self._lock:
                    self._input_at = time.monotonic()
                self._poke(change=False)
            case Clipboard():
                self._on_clipboard(event.text)
            case SetQuality():
                with self._lock:
                    self._quality = LossyMode(event.mode)
                self._poke()
                log.info("session event=quality mode=%s", event.mode)
            case Ping():
                self.transport.send(Pong(event.nonce))

    def _ended(self, reason: str) -> None:
        self._poke()
        self._on_end(reason)

    def _poke(self, *, change: bool = True) -> None:
        """Any thread, after changing the state: the capture thread looks at it
        (``change``: other than the agent's input, which the key lane answers itself)."""
        if change:
            with self._lock:
                self._changes += 1
        grabber = self._grabber
        if grabber is not None:  # (before it exists, the capture thread has not looked)
            grabber.wake()

    def input_wake(self, changes: int) -> float | None:
        """The key lane's ``LaneHost.input_wake``: after a wake, the input it answers
        (taken), -inf for none, or None where something else changed since ``changes``."""
        with self._lock:
            if self._changes != changes or self.transport.closed:
                return None
            at, self._input_at = self._input_at, None
        return -math.inf if at is None else at

    # -- capture thread

    def _pace(
        self,
        started: float,
        tick: float,
        current: int,
        last_input: float,
        grabber: CaptureBackend,
        gap: float,
    ) -> float:
        """Wait until the next grab is due: the tick (a damage backend: a pointer read
        unless damage came; none where the pointer's moves wake us), ``gap`` after the
        last grab once damage is pending, the backend's safety check, or soon after an
        input, a key frame request or a monitor switch, whichever comes first.  Returns
        the last input time."""
        while not self.transport.closed:
            due = started + tick
            if grabber.damage_driven:
                if grabber.pending():
                    due = min(due, started + gap)
                full = grabber.due()
                if full is not None:
                    due = min(due, full)
            with self._lock:
                if self._input_at is not None:
                    due = min(due, max(self._input_at + INPUT_SETTLE_S, started + ACTIVE_PERIOD_S))
                if self._key_requested or self._monitor_index != current:
                    due = min(due, started + ACTIVE_PERIOD_S)
            wait = due - time.monotonic()
            if wait <= 0:
                break
            grabber.wait(min(wait, SLEEP_BOUND_S))
            # damage came after the gap (a typed key's event): due whatever else changed,
            # as the next look would find, since the gap's end is among its minima
            if grabber.damage_driven and grabber.pending() and time.monotonic() >= started + gap:
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
        monitors = grabber.monitors()
        current = -1
        last_cursor: tuple[int, int] | None = None
        seq = 0
        period = 1.0 / self.fps
        unchanged = 0
        last_input = -1e9
        refresh: float | None = None  #: encoder.refresh_due_in() after the last encode
        codecs: frozenset[str] | None = None  #: the encoder's lossy codecs, as last set
        quality: LossyMode | None = None  #: ... and its mode
        pointer_driven = grabber.pointer_driven
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
                encoder.video_bitrate, encoder.video_fps = self._rate.bitrate, self._rate.fps
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
                    MonitorInfo(m.index, m.left, m.top, m.width, m.height, m.primary, m.name)
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
                if not self.transport.send_update(seq, update, written, SEND_WAIT_S):
                    return
                seq = (seq + 1) & 0xFFFFFFFF
                self.frames_sent += 1
            # a damage backend's tick only reads the pointer: it slows down once the pointer
            # is still, whatever damage (typing) keeps happening
            moved = shot.cursor != last_cursor
            last_cursor = shot.cursor
            unchanged = 0 if (moved if grabber.damage_driven else changed) else unchanged + 1
            active = self._input_at is not None or started - last_input < ACTIVE_FOR_S
            if pointer_driven:
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
            gap = ACTIVE_PERIOD_S if active else period
            if tick == math.inf and refresh is None:  # (damage and a wake end the waits)
                pace = Pace(ACTIVE_PERIOD_S, period, ACTIVE_FOR_S, last_input)
                mon = monitors[current]
                lane = self._serve_keys(grabber, encoder, mon, seq, started, pace, changes)
                if lane is None:
                    return
                seq, started, refresh = lane
                last_input = pace.last_input
                gap = pace.gap(time.monotonic())
                if refresh is not None:  # (an update the lane sent made it lossy)
                    tick = max(refresh, ACTIVE_PERIOD_S)
            last_input = self._pace(started, tick, current, last_input, grabber, gap)

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
