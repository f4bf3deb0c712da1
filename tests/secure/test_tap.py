"""What the relay (or anyone on the path) sees of a live session: nothing.

A real TCP proxy sits between the agent and a real customer process (``remoteapp share``
on an Xvfb display) and keeps every byte in both directions while the agent watches the
screen, clicks, types and sends clipboard text.  None of it is in what the proxy saw:
not the clipboard string, not the typed text, not a session message's JSON, not the
magic that starts every screen update.  The same events in the clear do contain them
(checked too, so the test could fail), and both sides show the same verification code.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from remoteapp.codec.update_format import MAGIC
from remoteapp.net.session import Clipboard, Hello, Key, PointerButton, SessionConnection, Text
from remoteapp.net.session_state import Role
from remoteapp.session import AgentSession
from tests.conftest import shared_screen

CLIPBOARD = "clipboard canary: the vault code is 4417-0932"
TYPED = "typed canary Zq8"
WAIT_S = 30.0


class TapProxy:
    """Forwards one connection to a target port, keeping what passes each way."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(WAIT_S)
        self.seen: dict[str, bytearray] = {"to agent": bytearray(), "to customer": bytearray()}
        self._sockets: list[socket.socket] = [self.server]
        self._threads: list[threading.Thread] = []

    def via(self, target: int) -> int:
        """Start forwarding to ``target``; the port to connect to instead."""
        thread = threading.Thread(target=self._accept, args=(target,), daemon=True)
        thread.start()
        self._threads.append(thread)
        return int(self.server.getsockname()[1])

    def _accept(self, target: int) -> None:
        try:
            customer, _ = self.server.accept()
        except OSError:
            return
        agent = socket.create_connection(("127.0.0.1", target), timeout=WAIT_S)
        self._sockets += [customer, agent]
        for src, dst, name in ((customer, agent, "to agent"), (agent, customer, "to customer")):
            pump = threading.Thread(target=self._pump, args=(src, dst, name), daemon=True)
            pump.start()
            self._threads.append(pump)

    def _pump(self, src: socket.socket, dst: socket.socket, name: str) -> None:
        while True:
            try:
                data = src.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)
                return
            self.seen[name] += data
            try:
                dst.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(WAIT_S)


@pytest.fixture
def tap() -> Iterator[TapProxy]:
    proxy = TapProxy()
    try:
        yield proxy
    finally:
        proxy.close()


def in_the_clear(events: list[object], role: Role) -> bytes:
    """What ``events`` would look like on the wire without the channel."""
    conn = SessionConnection(role)
    return b"".join(conn.send(event) for event in events)  # type: ignore[arg-type]


@pytest.mark.display
def test_a_tap_between_the_apps_sees_no_screen_input_or_clipboard(
    tap: TapProxy, xvfb_display: str
) -> None:
    hello = Hello(Role.AGENT, "Ana", capabilities=("clipboard",))
    typing = [PointerButton(150, 120, "left", True), PointerButton(150, 120, "left", False)]
    typing += [Key("z", True), Key("z", False), Text(TYPED)]
    markers = [
        CLIPBOARD.encode(),
        TYPED.encode(),
        b'"capabilities"',
        b'"update_format"',
        MAGIC + b"\x02",  # every screen update starts with it
    ]
    clear = in_the_clear([hello, Clipboard(CLIPBOARD), *typing], Role.AGENT)
    assert all(m in clear for m in markers[:4])  # the test would see them in the clear

    codes: list[str] = []
    frames = threading.Event()
    with shared_screen(xvfb_display, via=tap.via) as shared:
        session = AgentSession(
            shared.sock,
            "Ana",
            secure=shared.secure,
            on_secured=codes.append,
            on_frame=lambda fb, update: frames.set(),
        )
        session.start()
        customer_code = shared.customer.wait_for("share event=secured", WAIT_S).split("=")[-1]
        shared.customer.wait_for("share event=agent agent='Ana'", WAIT_S)
        assert frames.wait(WAIT_S)
        assert session.send(Clipboard(CLIPBOARD))
        for event in typing:  # behind the clipboard text: once typed, both went through
            assert session.send(event)
        shared.field.wait_for(f"text 'z{TYPED}'", WAIT_S)
        session.end("agent ended the session")
        shared.customer.wait_for("share event=ended", WAIT_S)

    assert codes == [customer_code.strip()] and session.verification_code == codes[0]
    assert session.frames > 0  # screen updates (each starting with the magic) went through
    wire = bytes(tap.seen["to agent"]) + bytes(tap.seen["to customer"])
    assert len(tap.seen["to agent"]) > 300 and len(tap.seen["to customer"]) > 300
    for marker in markers:
        assert marker not in wire, marker
