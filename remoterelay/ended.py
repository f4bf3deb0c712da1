"""The sessions the helpdesk has ended, as its report answers list them
(``remotewire.relay_reports``): remembered so that their tokens are refused even when
neither side has joined yet. Bounded; the oldest are forgotten first (a token outlives
its session by at most the token TTL, so the capacity only needs to cover that long)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Final

MAX_REASON: Final = 100
MAX_SESSION_ID: Final = 64


class EndedSessions:
    """Ended session ids with the helpdesk's reason, and the answer cursor."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self.cursor: str | None = None
        """Sent back as ``ended_since`` in the next heartbeat."""
        self._reasons: OrderedDict[str, str] = OrderedDict()

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._reasons

    def __len__(self) -> int:
        return len(self._reasons)

    def take_answer(self, answer: dict[str, Any]) -> list[tuple[str, str]]:
        """Remember what an answer lists; returns its (session id, reason) pairs.
        Malformed entries are skipped: the answer comes from the network."""
        cursor = answer.get("cursor")
        if isinstance(cursor, str) and len(cursor) <= 64:
            self.cursor = cursor
        ended = answer.get("ended")
        taken: list[tuple[str, str]] = []
        for item in ended if isinstance(ended, list) else []:
            if not isinstance(item, dict):
                continue
            sid, reason = item.get("session_id"), item.get("reason")
            if not isinstance(sid, str) or not 0 < len(sid) <= MAX_SESSION_ID:
                continue
            reason = reason[:MAX_REASON] if isinstance(reason, str) else "-"
            self._reasons[sid] = reason
            self._reasons.move_to_end(sid)
            taken.append((sid, reason))
        while len(self._reasons) > self.capacity:
            self._reasons.popitem(last=False)
        return taken
