"""Fixtures of the capture tests: the fbdir Xvfb, a painter, damage grabbers; the C X round
trips (``native``) and a socket pair for a fake X server (``pair``)."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from remoteapp.capture import DamageGrabber, ScreenGrabber, damage, x11_link
from remoteapp.capture.x11_damage import XDamageSource
from remoteapp.codec import tiles
from tests import displays
from tests.capture.copy_rig import other, rig  # noqa: F401  (the copy grabber's fixtures)
from tests.capture.damage_rig import Clock, FbdirXvfb, H, Painter, W
from tests.native import built


@pytest.fixture(scope="module")
def fbdir_xvfb() -> Iterator[FbdirXvfb]:
    with tempfile.TemporaryDirectory(prefix="fbdir-") as tmp:
        argv = ["Xvfb", "-screen", "0", f"{W}x{H}x24", "-nolisten", "tcp", "-noreset"]
        argv += ["-fbdir", tmp]
        with displays.x_server(argv) as display:
            screen = FbdirXvfb(display, Path(tmp, "Xvfb_screen0"))
            try:
                yield screen
            finally:
                screen.close()


@pytest.fixture
def painter(fbdir_xvfb: FbdirXvfb) -> Iterator[Painter]:
    p = Painter(fbdir_xvfb.display)
    try:
        yield p
    finally:
        p.close()


@pytest.fixture(
    params=[(False, True), (True, True), (True, False)],
    ids=["one-frame", "hand-over", "hand-over-python"],
)
def damage_grabber(
    fbdir_xvfb: FbdirXvfb, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[DamageGrabber, Clock]]:
    """A damage grabber with one kept frame, and one with two that hands each over to
    the encoder (as the customer's capture loop uses it): every test runs with both,
    and the second once more without the C extensions (where they are built)."""
    hand_over, native = request.param
    if not native:
        monkeypatch.setattr(x11_link, "native", None)
        monkeypatch.setattr(tiles, "native", None)
        monkeypatch.setattr(damage, "native", None)
    clock = Clock()
    grabber = DamageGrabber(
        ScreenGrabber(display=fbdir_xvfb.display),
        lambda: XDamageSource(fbdir_xvfb.display),
        clock=clock,
        hand_over=hand_over,
    )
    try:
        yield grabber, clock
    finally:
        grabber.close()


@pytest.fixture(scope="module")
def native() -> Any:
    """The ``_xwire`` extension (the test skips, or fails in CI, where it is not built)."""
    return built(x11_link.native, "the C X round trips (_xwire)")


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """The client's end and a fake X server's."""
    client, server = socket.socketpair()
    try:
        yield client, server
    finally:
        client.close()
        server.close()


@pytest.fixture
def link() -> Iterator[tuple[socket.socket, socket.socket, int, int]]:
    """A socket pair standing in for the X connection and a real wake pipe: (our end, the
    server's end, the wake pipe's read end, its write end)."""
    ours, server = socket.socketpair()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    try:
        yield ours, server, wake_r, wake_w
    finally:
        ours.close()
        server.close()
        os.close(wake_r)
        os.close(wake_w)
