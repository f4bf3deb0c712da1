"""The customer's end of a session, in process on Xvfb: once the customer has ended it,
the agent's input is no longer injected (the reader goes on reading until the agent's
Bye), and every key the agent held is let go (a key held by XTEST stays down in the X
server after its client is gone)."""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
import time

import pytest

from remoteapp.net.session import Key, PointerButton
from remoteapp.net.session_state import Role
from remoteapp.secure import SecureParams
from remoteapp.session import AgentSession
from remoteapp.session.customer import CustomerSession

WAIT_S = 30.0


def _pressed_keys(display: str) -> bytes:
    """The X server's keymap: a bit per keycode held down."""
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    try:
        return bytes(d.query_keymap())
    finally:
        d.close()


class _KeyPresses:
    """XInput2 raw key presses on ``display``, from any client: the server raises one as
    it runs the press (and its keymap holds the key from then on)."""

    def __init__(self, display: str) -> None:
        from Xlib import display as xdisplay
        from Xlib.ext import ge, xinput

        self._d, self._generic, self._raw = xdisplay.Display(display), ge.GenericEventCode, xinput
        self._d.xinput_query_version()
        root = self._d.screen().root
        root.xinput_select_events([(xinput.AllMasterDevices, xinput.RawKeyPressMask)])
        self._d.sync()

    def wait(self, keycode: int, timeout: float) -> bool:
        """True once ``keycode`` was pressed, False after ``timeout`` s without it."""
        deadline = time.monotonic() + timeout
        while True:
            while self._d.pending_events():
                event = self._d.next_event()
                pressed = event.type == self._generic and event.evtype == self._raw.RawKeyPress
                # (python-xlib leaves raw events unparsed: deviceid, time, then detail)
                if pressed and struct.unpack_from("=I", event.data, 6)[0] == keycode:
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            select.select([self._d], [], [], left)

    def keycode(self, char: str) -> int:
        from Xlib import XK

        return int(self._d.keysym_to_keycode(XK.string_to_keysym(char)))

    def close(self) -> None:
        self._d.close()


@pytest.mark.display
def test_no_input_is_injected_after_the_customer_ends(
    xvfb_display: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setenv("DISPLAY", xvfb_display)  # (the injector's display)
    key = os.urandom(32)
    agent_sock, customer_sock = socket.socketpair()
    framed, ended = threading.Event(), threading.Event()
    customer = CustomerSession(
        customer_sock,
        "Maria",
        secure=SecureParams.for_direct(Role.CUSTOMER, key),
        display=xvfb_display,
        on_end=lambda reason: ended.set(),
    )
    agent = AgentSession(
        agent_sock,
        "Ana",
        secure=SecureParams.for_direct(Role.AGENT, key),
        on_frame=lambda fb, update: framed.set(),
    )
    customer.start()
    agent.start()
    try:
        assert framed.wait(WAIT_S), "no frame: the session did not start"
        before = _pressed_keys(xvfb_display)
        presses = _KeyPresses(xvfb_display)
        request.addfinalizer(presses.close)
        customer._on_event(Key("a", True))  # pressed; its release never comes
        a = presses.keycode("a")
        assert presses.wait(a, WAIT_S), "the key never went down"  # (flushed, not synced)
        assert _pressed_keys(xvfb_display) != before
        customer.end("customer ended")
        # what the reader hands on after the end (the agent's Bye has not come yet)
        customer._on_event(Key("shift", True))
        customer._on_event(PointerButton(10, 10, "left", True))
        assert ended.wait(WAIT_S)
        capture = [t for t in threading.enumerate() if t.name == "customer-capture"]
        for thread in capture:
            thread.join(WAIT_S)  # (it closes the injector, which lets go of "a")
            assert not thread.is_alive()
        assert _pressed_keys(xvfb_display) == before, "a key is held after the end"
    finally:
        agent.end("test over")
        customer.end("test over")
