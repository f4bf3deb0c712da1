"""Screen capture: monitors, BGRA frames as numpy arrays, pointer position; polling over
mss, or damage-driven where the OS says what changed (``backend``, docs/capture.md).

No Qt here: the capture thread must never touch the GUI toolkit.
"""

from remoteapp.capture.backend import CaptureBackend, DamageGrabber, open_capture
from remoteapp.capture.grabber import CapturedFrame, Monitor, ScreenGrabber
from remoteapp.capture.session import CaptureMode, capture_mode, check_capturable

__all__ = [
    "CaptureBackend",
    "CaptureMode",
    "CapturedFrame",
    "DamageGrabber",
    "Monitor",
    "ScreenGrabber",
    "capture_mode",
    "check_capturable",
    "open_capture",
]
