"""What a wake of the customer's capture thread was (``CustomerSession.input_wake``, the
key lane's question): only the agent's keys leave the lane running; every other event
that changes the session's state (the pointer's, a key frame request, a monitor switch,
the agent's hello and quality, an ack a credit wait needs, the end) hands it back, so the
general loop sees it at once.  Real events through ``_on_event``, injected on Xvfb."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from remoteapp.control import InputInjector
from remoteapp.net.session import (
    Event,
    Hello,
    Key,
    KeyFrameRequest,
    PointerButton,
    PointerMove,
    SelectMonitor,
    SetQuality,
    Text,
    UpdateAck,
    Wheel,
)
from remoteapp.net.session_state import Role
from remoteapp.secure import SecureParams
from remoteapp.session.customer import CustomerSession


@pytest.fixture
def customer(xvfb_display: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CustomerSession]:
    """A customer session not started (no threads): its reader's handler called here."""
    monkeypatch.setenv("DISPLAY", xvfb_display)
    mine, theirs = socket.socketpair()
    session = CustomerSession(
        mine, "Maria", secure=SecureParams.for_direct(Role.CUSTOMER, os.urandom(32)),
        display=xvfb_display,
    )  # fmt: skip
    session._injector = InputInjector((0, 0, 1280, 800))
    try:
        yield session
    finally:
        session._injector.close()
        session.transport.close("test over")
        theirs.close()


def _wake(customer: CustomerSession, event: Event) -> float | None:
    changes = customer._changes  # (as the capture loop reads it with the state)
    customer._on_event(event)
    return customer.input_wake(changes)


@pytest.mark.display
def test_the_agents_keys_keep_the_lane_on_and_are_taken(customer: CustomerSession) -> None:
    for event in (Key("shift", True), Key("shift", False), Text("")):
        at = _wake(customer, event)
        assert at is not None and at > 0  # the input's time, taken for the lane's pace
        assert customer._input_at is None
    assert customer.input_wake(customer._changes) == -float("inf")  # (no input since)


@pytest.mark.display
@pytest.mark.parametrize(
    "event",
    [
        PointerMove(5, 5),
        PointerButton(5, 5, "left", True),
        PointerButton(5, 5, "left", False),
        Wheel(5, 5, 0, 1),
        KeyFrameRequest(),
        SelectMonitor(0),
        SetQuality("quality"),
        Hello(Role.AGENT, "Ana"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_other_change_hands_the_lane_back(customer: CustomerSession, event: Event) -> None:
    assert _wake(customer, event) is None


@pytest.mark.display
def test_an_ack_hands_back_only_a_wait_for_credit_and_the_end_always(
    customer: CustomerSession,
) -> None:
    assert _wake(customer, UpdateAck(0)) is not None  # (no wait for a credit: no wake)
    customer._credit_wait = True
    assert _wake(customer, UpdateAck(1)) is None
    customer._credit_wait = False
    changes = customer._changes
    customer.end("test over")
    assert customer.input_wake(changes) is None
