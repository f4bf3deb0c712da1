"""Can this desktop session be captured at all?  Answered before mss is touched, so the
user gets a clear reason instead of a black frame (mss cannot read a Wayland desktop).
And which capture the machine's environment asks for (``REMOTEAPP_CAPTURE``)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Final, Literal, cast

from remoteapp.errors import NoDisplayError, UnsupportedSessionError

log = logging.getLogger("remoteapp.capture")

CaptureMode = Literal["damage", "poll", "copy", "auto"]
#: the environment variable an administrator sets to choose the capture: ``copy`` follows
#: a terminal's scroll through RECORD (an X server without a compositor: a terminal
#: server's sessions), ``auto`` does where no compositing manager runs and captures by
#: damage where one does (a fleet of mixed desktops), ``poll`` compares whole frames (no
#: DAMAGE); ``damage`` by default
CAPTURE_ENV: Final = "REMOTEAPP_CAPTURE"
CAPTURE_MODES: Final = ("damage", "poll", "copy", "auto")

WAYLAND_HINT = (
    "This is a Wayland session, which remoteapp cannot capture: Wayland gives no program "
    "access to other windows' pixels. Log out and choose an X11 session "
    "(for example 'Ubuntu on Xorg' on the login screen), then start remoteapp again."
)


def check_capturable(env: Mapping[str, str] | None = None, platform: str | None = None) -> None:
    """Raise NoDisplayError / UnsupportedSessionError when capture cannot work here."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return  # Windows and macOS always have a capturable desktop when a user is logged in
    if env.get("XDG_SESSION_TYPE", "").lower() == "wayland" or (
        env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY")
    ):
        raise UnsupportedSessionError(WAYLAND_HINT)
    if not env.get("DISPLAY"):
        raise NoDisplayError(
            "No display to capture: DISPLAY is not set. Run remoteapp inside a graphical "
            "X11 session (or under Xvfb for tests)."
        )


def capture_mode(env: Mapping[str, str] | None = None) -> CaptureMode:
    """The capture ``CAPTURE_ENV`` asks for; ``damage`` when it is unset, or (logged) set to
    anything else."""
    env = os.environ if env is None else env
    asked = env.get(CAPTURE_ENV, "").strip().lower()
    if asked in CAPTURE_MODES:
        return cast(CaptureMode, asked)
    if asked:
        log.warning("capture event=unknown-mode %s=%r (damage is used)", CAPTURE_ENV, asked)
    return "damage"
