"""The one clock every time rule of the server reads.

Presence lapse, failure windows, offer expiry, relay silence, login expiry and the
recorded session times all ask this object, never ``time``/``datetime`` directly, so a
test can move time forward instead of sleeping (see tests/helpdesk/conftest.py). Waits
for I/O (how long a poll is held, the sweeper's period) stay on the event loop's clock.
"""

from __future__ import annotations

import time as _time
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class Clock:
    """The real clock. A test subclass overrides ``time`` and ``monotonic`` together."""

    def time(self) -> float:
        """Wall-clock seconds since the epoch (stored times, token expiry)."""
        return _time.time()

    def monotonic(self) -> float:
        """Seconds that never go back (in-memory windows)."""
        return _time.monotonic()

    def now(self) -> datetime:
        """Naive UTC, as the database stores times (SQLite drops time zones)."""
        return datetime.fromtimestamp(self.time(), UTC).replace(tzinfo=None)


def day_start(now: datetime, zone: ZoneInfo, days_back: int = 0) -> datetime:
    """When the desk's day ``days_back`` days before ``now``'s began, as naive UTC (how
    the database keeps times); ``now`` is naive UTC. Brazil's old DST began at midnight:
    a day with no 00:00 begins at its first hour."""
    day = now.replace(tzinfo=UTC).astimezone(zone).date() - timedelta(days=days_back)
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start.astimezone(UTC).replace(tzinfo=None)


def desk_date(moment: datetime, zone: ZoneInfo) -> date:
    """The desk's calendar day of ``moment`` (naive UTC)."""
    return moment.replace(tzinfo=UTC).astimezone(zone).date()
