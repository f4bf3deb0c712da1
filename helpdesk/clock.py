"""The one clock every time rule of the server reads.

Presence lapse, failure windows, offer expiry, relay silence, login expiry and the
recorded session times all ask this object, never ``time``/``datetime`` directly, so a
test can move time forward instead of sleeping (see tests/helpdesk/conftest.py). Waits
for I/O (how long a poll is held, the sweeper's period) stay on the event loop's clock.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """The real clock. A test subclass overrides ``time`` and ``monotonic`` together."""

    def time(self) -> float:
        """Wall-clock seconds since the epoch (stored times, token expiry)."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds that never go back (in-memory windows)."""
        return time.monotonic()

    def now(self) -> datetime:
        """Naive UTC, as the database stores times (SQLite drops time zones)."""
        return datetime.fromtimestamp(self.time(), UTC).replace(tzinfo=None)
