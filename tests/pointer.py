"""Pointer moves and clicks on a test display, through XTest (xdotool).

Never ``xdotool mousemove --sync``: Debian's xdotool (3.20160805) then waits until the
pointer leaves where it was, so a move to where the pointer already is waits 15 s, and a
test that left it there made the next one's fixture time out. No wait is needed: the X
server applies XTest input when it handles the request, and xdotool's exit syncs, so the
pointer is there (and the click done) when the call returns."""

from __future__ import annotations

import subprocess

from tests.conftest import client_env


def move(display: str, x: int | str, y: int | str) -> None:
    _xdotool(display, "mousemove", str(x), str(y))


def click(display: str, x: int | str, y: int | str) -> None:
    """Button 1 at (x, y); over a window (no window manager here) it gives that window
    the keyboard."""
    _xdotool(display, "mousemove", str(x), str(y), "click", "1")


def _xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], env=client_env(display), check=True, timeout=10)
