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
second.  While the agent is active (half a second after its input) grabs come at up to
60 a second.  A polling backend, or a damage backend that cannot see the pointer move,
is grabbed again a few ms after the agent's input, so the answer to a click or a key does
not wait for the next tick; a damage backend that sees the pointer move grabs the answer
as its damage (or the move) comes, the key lane serving the agent's keys
(``key_lane``).  After a second of no change the rate drops to a few grabs (or pointer
reads) a second, which keeps an idle session cheap.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable

from remoteapp.capture.backend import CaptureBackend
from remoteapp.capture.session import CaptureMode, capture_mode
from remoteapp.codec import LossyMode
from remoteapp.codec.lossy import LOSSY_CAPABILITIES
from remoteapp.codec.rate_control import RateController
from remoteapp.control import InputInjector
from remoteapp.net.messages import HELD_ACKS, WIDE_SMALL_WINDOW, fit_name
from remoteapp.net.session import (
    Clipboard,
    Event,
    Hello,
    Key,
    KeyFrameRequest,
    Ping,
    PointerButton,
    PointerMove,
    Pong,
    SelectMonitor,
    SessionConnection,
    SetQuality,
    Text,
    UpdateAck,
    Wheel,
)
from remoteapp.net.session_state import Role
from remoteapp.secure import SecureParams
from remoteapp.session.customer_capture import SEND_WAIT_S, CaptureThread
from remoteapp.session.transport import Transport

log = logging.getLogger("remoteapp.session")


class CustomerSession(CaptureThread):
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
        capture: CaptureMode | None = None,
        on_agent: Callable[[str], None] = lambda name: None,
        on_end: Callable[[str], None] = lambda reason: None,
        on_clipboard: Callable[[str], None] = lambda text: None,
    ) -> None:
        self.name = name
        self.fps = fps
        self._display = display
        self._capture = capture or capture_mode()  #: None: as REMOTEAPP_CAPTURE says
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
        #: updates handed to the transport (counted before the send, so an update the
        #: viewer shows is counted; the one a failed send ends the session on is too)
        self.frames_sent = 0
        self.lane_updates = 0  #: of them, handed over by the key lane (tests, bench)
        self.inputs_applied = 0  #: the agent's input events injected (tests, bench)

    def start(self, initial: bytes = b"") -> None:
        """Say hello and start the reader and capture threads."""
        caps = ("clipboard", HELD_ACKS, WIDE_SMALL_WINDOW)
        self.transport.send(Hello(Role.CUSTOMER, fit_name(self.name), capabilities=caps))
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
                # (the key lane keeps on through keys; the pointer's events hand it back,
                # so that the general loop reads the cursor with the damage they cause)
                self._poke(change=not isinstance(event, Key | Text))
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
        (``change``: other than the agent's keys, which the key lane answers itself)."""
        if change:
            with self._lock:
                self._changes += 1
        grabber = self._grabber
        if grabber is not None:  # (before it exists, the capture thread has not looked)
            grabber.wake()
