"""The customer's rate control sees the customer's own waits: each update is booked before
it is handed to the transport, so the lag its writer reports (for a typed key's update, on
the capture thread itself, inside ``send_update``) finds it booked and reaches the ack's
cycle (``RateController.acked``), which tells this side's waits from the link's.  Were it
booked after, every small update's lag would be lost (None: counted as none waited).
It runs with each build of those books (the C ones and the Python ones): the customer's
threads call whichever ``new_sent_times`` gives."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from remoteapp.codec import rate_control, sent_times
from remoteapp.net.session_state import Role
from remoteapp.secure import SecureParams
from remoteapp.session import AgentSession
from remoteapp.session.customer import CustomerSession
from tests.native import each_build

WAIT_S = 30.0


def _wait_until(check: Callable[[], bool], what: str) -> None:
    """(No signal exists for an ack's books on the customer's side: a bounded look.)"""
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"not within {WAIT_S:g} s: {what}"
        time.sleep(0.01)


@pytest.fixture(params=["c-times", "python-times"])
def each_sent_times(request: pytest.FixtureRequest) -> Iterator[str]:
    """The books of updates sent, each build (as tests/codec's fixture of that name)."""
    yield from each_build(
        request, sent_times.native, "_senttimes", rate_control, "new_sent_times",
        sent_times.PySentTimes,
    )  # fmt: skip


@pytest.fixture(scope="module")
def square(xvfb_display: str) -> Iterator[Callable[[int], None]]:
    """A small window of the test's own on the shared display (never its root), and a
    call that fills it with a colour: damage of a few tiles, a typed key's update (one for
    the module)."""
    from Xlib import X
    from Xlib import display as xdisplay

    d = xdisplay.Display(xvfb_display)
    root = d.screen().root
    window = root.create_window(
        40, 40, 16, 16, 0, d.screen().root_depth, X.InputOutput, X.CopyFromParent,
        override_redirect=True, background_pixel=d.screen().black_pixel,
    )  # fmt: skip
    window.map()
    d.sync()

    def fill(colour: int) -> None:
        gc = window.create_gc(foreground=colour)
        window.fill_rectangle(gc, 0, 0, 16, 16)
        gc.free()
        d.sync()

    try:
        yield fill
    finally:
        window.destroy()
        d.close()


@pytest.mark.display
def test_a_small_updates_lag_reaches_its_acks_cycle(
    xvfb_display: str,
    square: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
    each_sent_times: str,
) -> None:
    monkeypatch.setenv("DISPLAY", xvfb_display)  # (the injector's display)
    key = os.urandom(32)
    agent_sock, customer_sock = socket.socketpair()
    frames = threading.Semaphore(0)
    customer = CustomerSession(
        customer_sock,
        "Maria",
        secure=SecureParams.for_direct(Role.CUSTOMER, key),
        display=xvfb_display,
    )
    agent = AgentSession(
        agent_sock,
        "Ana",
        secure=SecureParams.for_direct(Role.AGENT, key),
        on_frame=lambda fb, update: frames.release(),
    )
    running = set(threading.enumerate())
    customer.start()
    (capture,) = [
        t for t in threading.enumerate() if t not in running and t.name == "customer-capture"
    ]
    agent.start()
    try:
        python = each_sent_times.startswith("python")
        books = sent_times.PySentTimes if python else sent_times.native.SentTimes
        assert type(customer._rate.times) is books
        assert frames.acquire(timeout=WAIT_S), "no frame: the session did not start"
        cycles = customer._rate._cycles

        def settled() -> bool:  # (under the lock acked runs in: its cycle is in by then)
            with customer._lock:
                return len(customer._rate.times) == 0

        _wait_until(settled, "the first frames acked")
        cycles.clear()  # (nothing is in flight: no ack can come meanwhile)
        direct = customer.transport.direct_writes
        for colour in (0xFF0000, 0x00FF00, 0x0000FF):
            square(colour)
            assert frames.acquire(timeout=WAIT_S), "the square's change never came"
        _wait_until(settled, "the square's updates acked")
        assert customer.transport.direct_writes > direct, "no update was written directly"
        new = list(cycles)
        assert new, "no ack measured a cycle"
        assert all(lag > 0.0 for lag, _ in new), f"a lag was lost: {new}"
    finally:
        agent.end("test over")
        customer.end("test over")
        capture.join(WAIT_S)  # (its X connections closed: the next run, or the display's
        assert not capture.is_alive()  # end, never meets them half-closed)
