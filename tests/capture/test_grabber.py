"""Capture from real X servers: pixels at the right place, pointer, monitors, errors."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest

from remoteapp.capture import CapturedFrame, ScreenGrabber, check_capturable
from remoteapp.errors import CaptureError, NoDisplayError, UnsupportedSessionError
from tests import pointer
from tests.capture.pattern_window import COLORS

StartPattern = Callable[[str, int, int, int, int], None]


def bgra(rgb: tuple[int, int, int]) -> list[int]:
    return [rgb[2], rgb[1], rgb[0]]


def grab_until(
    grabber: ScreenGrabber,
    monitor: int,
    x: int,
    y: int,
    rgb: tuple[int, int, int],
    timeout: float = 10.0,
) -> CapturedFrame:
    """Grab until pixel (x, y) shows ``rgb`` (the client paints asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        frame = grabber.grab(monitor)
        if frame.pixels[y, x, :3].tolist() == bgra(rgb) or time.monotonic() > deadline:
            return frame
        time.sleep(0.05)


def assert_pattern(pixels: np.ndarray, x: int, y: int, w: int, h: int) -> None:
    """The four quadrants are exactly where the window was put, and nothing spills out."""
    hw, hh = w // 2, h // 2
    for i, rgb in enumerate(COLORS):
        qx, qy = x + (i % 2) * hw, y + (i // 2) * hh
        block = pixels[qy : qy + hh, qx : qx + hw, :3]
        assert (block == bgra(rgb)).all(), f"quadrant {i} at ({qx},{qy}) is not {rgb}"
    assert pixels[y - 1, x, :3].tolist() != bgra(COLORS[0]), "pattern starts a row too early"
    assert pixels[y, x - 1, :3].tolist() != bgra(COLORS[0]), "pattern starts a column too early"


@pytest.mark.display
def test_grab_returns_the_pixels_a_real_client_painted(
    xvfb_display: str, pattern_window: StartPattern
) -> None:
    pattern_window(xvfb_display, 120, 90, 200, 100)
    with ScreenGrabber(display=xvfb_display) as grabber:
        frame = grab_until(grabber, 1, 120, 90, COLORS[0])
        assert frame.pixels.shape == (800, 1280, 4)
        assert frame.pixels.dtype == np.uint8 and frame.pixels.flags.c_contiguous
        assert_pattern(frame.pixels, 120, 90, 200, 100)


@pytest.mark.display
def test_frame_carries_the_pointer_position(
    xvfb_display: str, pattern_window: StartPattern
) -> None:
    pattern_window(xvfb_display, 300, 300, 200, 200)
    pointer.move(xvfb_display, 345, 367)
    with ScreenGrabber(display=xvfb_display) as grabber:
        assert grabber.grab(1).cursor == (345, 367)


@pytest.mark.display
def test_two_monitors_are_listed_and_grabbed_separately(
    dual_monitor_display: str, pattern_window: StartPattern
) -> None:
    with ScreenGrabber(display=dual_monitor_display) as grabber:
        monitors = grabber.monitors()
        assert [(m.left, m.top, m.width, m.height) for m in monitors] == [
            (0, 0, 1440, 600),
            (0, 0, 800, 600),
            (800, 0, 640, 480),
        ]
        assert monitors[1].primary and not monitors[2].primary
        pattern_window(dual_monitor_display, 900, 100, 120, 80)  # on the second monitor
        second = grab_until(grabber, 2, 100, 100, COLORS[0])
        assert second.pixels.shape == (480, 640, 4)
        assert_pattern(second.pixels, 100, 100, 120, 80)
        everything = grabber.grab(0)
        assert everything.pixels.shape == (600, 1440, 4)
        assert_pattern(everything.pixels, 900, 100, 120, 80)
        pointer.move(dual_monitor_display, 910, 110)
        assert grabber.grab(2).cursor == (110, 110)  # relative to the monitor's corner
        with pytest.raises(CaptureError, match="no monitor 3"):
            grabber.grab(3)


def test_no_display_is_a_clear_error_not_a_black_frame() -> None:
    with pytest.raises(NoDisplayError, match="DISPLAY is not set"):
        check_capturable(env={}, platform="linux")
    with pytest.raises(NoDisplayError, match="DISPLAY is not set"):
        ScreenGrabber(env={})


def test_unreachable_display_is_a_clear_error() -> None:
    with pytest.raises(NoDisplayError, match="cannot open the display"):
        ScreenGrabber(display=":4242")


@pytest.mark.parametrize(
    "env",
    [
        {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"},
        {"WAYLAND_DISPLAY": "wayland-0"},
    ],
)
def test_wayland_is_refused_with_what_to_do(env: dict[str, str]) -> None:
    with pytest.raises(UnsupportedSessionError, match=r"Wayland.*X11 session"):
        check_capturable(env=env, platform="linux")


def test_windows_and_macos_need_no_display_variable() -> None:
    check_capturable(env={}, platform="win32")
    check_capturable(env={}, platform="darwin")
