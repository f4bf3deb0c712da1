"""When the encoder's full motion search runs again after it missed.

A video playing in a window changes the same region every frame, and no copy explains
it: a search every frame would fail every frame.  After repeated misses over the same
region the search is skipped for a growing number of frames (1, 3, 7, ... up to
``MOTION_MAX_BACKOFF``); any other region is searched at once.
"""

from __future__ import annotations

from typing import Final

from remoteapp.codec.geometry import Rect

#: After repeated misses over the same region, skip the search for up to this many frames.
MOTION_MAX_BACKOFF: Final = 8


class SearchBackoff:
    """The misses over one region, and how many frames the search still skips."""

    def __init__(self) -> None:
        self._missed: Rect | None = None  #: the region the last search missed in
        self._streak = 0  #: misses over it in a row
        self._skip = 0  #: frames still to skip

    def should_search(self, region: Rect) -> bool:
        """Whether to search ``region`` now (a skipped frame counts down)."""
        if region != self._missed:
            self._streak = self._skip = 0
            return True
        if self._skip:
            self._skip -= 1
            return False
        return True

    def record(self, region: Rect, *, found: bool) -> None:
        """The search of ``region`` found a copy, or missed."""
        if found:
            self._missed, self._streak = None, 0
            return
        self._missed = region
        self._streak += 1
        self._skip = min(2 ** (self._streak - 1) - 1, MOTION_MAX_BACKOFF)

    def forget(self) -> None:
        """A cheaper guess explained the change: the next search starts afresh."""
        self._missed = None
