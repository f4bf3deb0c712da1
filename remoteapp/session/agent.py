"""The agent's end: receive and decode the screen, acknowledge, send input, measure."""

from __future__ import annotations

import itertools
import logging
import socket
import threading
import time
from collections.abc import Callable

from remoteapp.codec import DecodedUpdate, LossyMode, Pixels, ScreenDecoder
from remoteapp.codec.lossy import decodable
from remoteapp.errors import RemoteProtocolError
from remoteapp.net.acks import policy_for
from remoteapp.net.messages import LEGACY_SMALL_WINDOW, fit_name
from remoteapp.net.session import (
    Clipboard,
    Event,
    Hello,
    Ping,
    Pong,
    ScreenInfo,
    ScreenUpdate,
    SessionConnection,
    SetQuality,
    UpdateAck,
)
from remoteapp.net.session_state import Role
from remoteapp.secure import SecureParams
from remoteapp.session.transport import Transport

log = logging.getLogger("remoteapp.session")

#: pings (the latency shown) this often; a ping due within half of it goes out with an
#: ack, and held acks go out with a ping: one write, and one wake-up of the customer's
#: reader thread, for both
PING_INTERVAL = 1.0


class AgentSession:
    """View and control the customer's screen over ``sock`` (already paired)."""

    def __init__(
        self,
        sock: socket.socket,
        name: str,
        *,
        secure: SecureParams,
        on_secured: Callable[[str], None] = lambda code: None,
        on_frame: Callable[[Pixels, DecodedUpdate], None] = lambda fb, update: None,
        on_screen_info: Callable[[ScreenInfo], None] = lambda info: None,
        on_customer: Callable[[str], None] = lambda name: None,
        on_end: Callable[[str], None] = lambda reason: None,
        on_clipboard: Callable[[str], None] = lambda text: None,
        ack_hold_s: float | None = None,
        ping_interval_s: float = PING_INTERVAL,
    ) -> None:
        self.name = name
        # callbacks run on the network thread; a UI may replace them before start()
        self.on_frame = on_frame
        self.on_screen_info = on_screen_info
        self.on_customer = on_customer
        self.on_end = on_end
        self.on_clipboard = on_clipboard
        if secure.role is not Role.AGENT:
            raise ValueError("the secure params are for the other side")
        self.on_secured = on_secured
        self.transport = Transport(sock, SessionConnection(Role.AGENT), secure=secure)
        self.decoder = ScreenDecoder()
        self.customer_name = ""
        self.latency_ms: float | None = None
        self.frames = 0
        #: acks held for the customer (HELD_ACKS), by the network thread, sent by it or
        #: by the timer thread when due, and the pings, sent by either (with an ack when
        #: one goes out); the lock makes "held" and "sent" one step each
        self._ack_hold_s = ack_hold_s
        self._acks = policy_for(LEGACY_SMALL_WINDOW, ack_hold_s)  # (until its Hello)
        self._pings: dict[int, float] = {}
        self._nonces = itertools.count(1)
        self._next_ping = 0.0
        self._ping_interval = ping_interval_s
        self._acks_lock = threading.Lock()
        self._timer_wake = threading.Event()

    def start(self, initial: bytes = b"") -> None:
        lossy = decodable()  # the customer uses only these; none: a lossless session
        log.info("session event=decoders lossy=%s", ",".join(sorted(lossy)) or "none")
        caps = ("clipboard", *sorted(lossy))
        self.transport.send(Hello(Role.AGENT, fit_name(self.name), capabilities=caps))
        self.transport.start(
            self._on_event,
            self._ended,
            name="agent-net",
            initial=initial,
            on_secured=self.on_secured,
        )
        threading.Thread(target=self._timer_loop, name="agent-timer", daemon=True).start()

    def send(self, event: Event, *, wait: float = 0.0) -> bool:
        """Send an input or control event; False once the session is over.  Never waits on
        the network (it is queued; see ``Transport``), so it is safe on the GUI thread;
        ``wait`` > 0 (another thread, bulk data) waits that long for room in the queue."""
        return self.transport.send(event, wait=wait)

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

    def set_quality(self, mode: LossyMode) -> bool:
        """Best quality (lossless only), best speed (lossy everywhere) or automatic."""
        return self.transport.send(SetQuality(mode.value))

    def end(self, reason: str = "agent ended the session") -> None:
        self.transport.close(reason)

    def _on_event(self, event: Event) -> None:
        match event:
            case Hello():
                self.customer_name = event.name
                window = self.transport.conn.peer_small_window
                with self._acks_lock:  # (before any update: the customer's Hello is first)
                    self._acks = policy_for(window, self._ack_hold_s)
                self.on_customer(event.name)
            case ScreenInfo():
                self.on_screen_info(event)
            case ScreenUpdate():
                self._take_update(event)
            case Pong():
                with self._acks_lock:
                    sent = self._pings.pop(event.nonce, None)
                if sent is not None:
                    self.latency_ms = (time.monotonic() - sent) * 1e3
            case Ping():
                self.transport.send(Pong(event.nonce))
            case Clipboard():
                self.on_clipboard(event.text)

    def _take_update(self, event: ScreenUpdate) -> None:
        try:
            decoded = self.decoder.decode(event.data)
        except RemoteProtocolError as exc:
            # the channel is reliable and authenticated: an update that does not decode
            # (a hostile or broken VP8/JPEG payload among them) comes from a broken or
            # hostile peer, so the session ends with the reason, never a frozen picture
            log.warning("session event=bad-update seq=%d reason=%r", event.seq, str(exc))
            self.transport.failure = exc
            self.transport.close(f"protocol error: {exc}")
            return
        self.frames += 1
        if not self.transport.conn.held_acks:  # (an older customer: each ack at once)
            self.transport.send(UpdateAck(event.seq))
        else:
            with self._acks_lock:
                now = time.monotonic()
                ack = self._acks.decoded(event.seq, len(event.data), now)
                if ack is not None:
                    self.transport.send(ack, also=self._ping(now, self._ping_interval / 2))
            if ack is None:
                self._timer_wake.set()  # (the timer thread looks at the new deadline)
        fb = self.decoder.framebuffer
        if fb is not None:
            self.on_frame(fb, decoded)

    def _timer_loop(self) -> None:
        """Pings every ``ping_interval_s`` and the held acks when due (or with a ping),
        until the session ends.  A bug here must not leave the customer waiting for
        acks: it ends the session."""
        try:
            self._tick_until_closed()
        except Exception:
            log.exception("session event=timer-error")
            self.transport.close("internal error")

    def _tick_until_closed(self) -> None:
        while not self.transport.closed:
            self._timer_wake.clear()  # (before the look: a later set() ends the wait)
            with self._acks_lock:
                now = time.monotonic()
                ping = self._ping(now, 0.0)
                due = self._acks.due()
                # held acks go with a ping (early: the customer wakes once for both)
                ack = self._acks.take(now) if ping or (due is not None and due <= now) else None
                if ack is not None:
                    sent = self.transport.send(ack, also=ping)
                elif ping is not None:
                    sent = self.transport.send(ping)
                else:
                    sent = True
                if not sent:
                    return
                due, wake = self._acks.due(), self._next_ping
            if due is not None:
                wake = min(wake, due)
            self._timer_wake.wait(max(0.0, wake - time.monotonic()))

    def _ping(self, now: float, early: float) -> Ping | None:
        """A ping, if one is due by ``now + early`` (booked: its pong gives the latency).
        With ``_acks_lock`` held."""
        if now + early < self._next_ping:
            return None
        nonce = next(self._nonces)
        self._pings = {n: t for n, t in self._pings.items() if n > nonce - 5}
        self._pings[nonce] = now
        # (on its own schedule: one that rides an ack early moves the next one no earlier,
        # so a steady flow of acks still sends one ping an interval)
        self._next_ping = max(now, self._next_ping) + self._ping_interval
        return Ping(nonce)

    def _ended(self, reason: str) -> None:
        # (this may run under _acks_lock, when a send of an ack or a ping ends the
        # session: on_end must not wait for the timer or network thread, nor call what
        # takes that lock)
        self._timer_wake.set()
        self.on_end(reason)
