"""Screen capture over mss: monitors, BGRA frames as numpy arrays, pointer position.

No Qt here: the capture thread must never touch the GUI toolkit.
"""

from remoteapp.capture.grabber import CapturedFrame, Monitor, ScreenGrabber
from remoteapp.capture.session import check_capturable

__all__ = ["CapturedFrame", "Monitor", "ScreenGrabber", "check_capturable"]
