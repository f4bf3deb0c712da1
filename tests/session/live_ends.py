"""A live customer and agent on Xvfb over a socket pair, for the session tests: the
session started and its first frame in, the agent's updates counted, the capture thread
joined at the end (its X connections closed before the next test's)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from remoteapp.capture import ScreenGrabber
from remoteapp.codec.decoder import DecodedUpdate
from remoteapp.net.session_state import Role
from remoteapp.secure import SecureParams
from remoteapp.session import AgentSession
from remoteapp.session.customer import CustomerSession

WAIT_S = 30.0
CAPTURE = "customer-capture"  #: the capture thread's name


@dataclass
class Live:
    customer: CustomerSession
    agent: AgentSession
    updates: list[DecodedUpdate]
    arrived: threading.Semaphore


@contextmanager
def live_session(display: str) -> Iterator[Live]:
    """A customer session (its capture as ``REMOTEAPP_CAPTURE`` says) and an agent."""
    key = os.urandom(32)
    agent_sock, customer_sock = socket.socketpair()
    updates: list[DecodedUpdate] = []
    arrived = threading.Semaphore(0)

    def on_frame(fb: object, update: DecodedUpdate) -> None:
        updates.append(update)
        arrived.release()

    customer = CustomerSession(
        customer_sock, "Maria", secure=SecureParams.for_direct(Role.CUSTOMER, key),
        display=display,
    )  # fmt: skip
    agent = AgentSession(
        agent_sock, "Ana", secure=SecureParams.for_direct(Role.AGENT, key), on_frame=on_frame
    )
    running = set(threading.enumerate())
    customer.start()
    (capture,) = [t for t in threading.enumerate() if t not in running and t.name == CAPTURE]
    agent.start()
    try:
        assert arrived.acquire(timeout=WAIT_S), "no frame: the session did not start"
        yield Live(customer, agent, updates, arrived)
    finally:
        agent.end("test over")
        customer.end("test over")
        capture.join(WAIT_S)
        assert not capture.is_alive()


def until_exact(live: Live, display: str) -> None:
    """Bounded: the viewer's framebuffer becomes a full grab of the display."""
    deadline = time.monotonic() + WAIT_S
    with ScreenGrabber(display=display) as grabber:
        while True:
            fb = live.agent.decoder.framebuffer
            if fb is not None and np.array_equal(fb, grabber.grab(1).pixels):
                return
            assert time.monotonic() < deadline, "the viewer never matched the screen"
            live.arrived.acquire(timeout=0.5)
