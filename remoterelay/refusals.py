"""Rate-limited logging of refused connections.

A client (or a scanner) retrying in a loop made the relay write about 4,900 ``refused``
lines in 25 s. Per source host, the first ``first_per_source`` refusals of a window are
logged in full; the rest are only counted, and ``drain`` hands over one summary per
source at the end of the window. Bounded: at most ``max_sources`` hosts are tracked per
window, the others share one ``*`` entry. Sans-IO: the caller passes the time and logs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

OTHERS = "*"


@dataclass
class _Source:
    logged: int = 0
    suppressed: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Summary:
    source: str
    suppressed: int
    reasons: tuple[tuple[str, int], ...]
    """The suppressed refusals' reasons, most frequent first."""


class RefusalLog:
    """Decides which refusals are logged; counts the rest until ``drain``."""

    def __init__(
        self, first_per_source: int = 5, window_s: float = 60.0, max_sources: int = 10_000
    ) -> None:
        self.first_per_source = first_per_source
        self.window_s = window_s
        self.max_sources = max_sources
        self._sources: dict[str, _Source] = {}

    def note(self, source: str, reason: str) -> bool:
        """Count one refusal; True if this one should be logged in full."""
        if source not in self._sources and len(self._sources) >= self.max_sources:
            source = OTHERS
        entry = self._sources.setdefault(source, _Source())
        if entry.logged < self.first_per_source:
            entry.logged += 1
            return True
        entry.suppressed[reason] += 1
        return False

    def drain(self) -> list[Summary]:
        """End the window: the sources with suppressed refusals, and a fresh count."""
        summaries = [
            Summary(source, sum(entry.suppressed.values()), tuple(entry.suppressed.most_common()))
            for source, entry in self._sources.items()
            if entry.suppressed
        ]
        self._sources = {}
        return summaries


def source_of(peer: str) -> str:
    """The host part of ``host:port`` (a retrying client changes its port each time)."""
    host, sep, port = peer.rpartition(":")
    return host if sep and port.isdigit() else peer
