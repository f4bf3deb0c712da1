"""Wakes long-polling customers from whichever thread created their session offer."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict


class Notifier:
    """Per-key asyncio events, settable from worker threads (sync endpoints)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: defaultdict[str, set[asyncio.Event]] = defaultdict(set)
        self._lock = threading.Lock()
        self.closing = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def close(self) -> None:
        """Wake every waiter for good, so long polls answer before the server stops."""
        self.closing = True
        with self._lock:
            keys = list(self._waiters)
        for key in keys:
            self.notify(key)

    def subscribe(self, key: str) -> asyncio.Event:
        event = asyncio.Event()
        with self._lock:
            self._waiters[key].add(event)
        return event

    def unsubscribe(self, key: str, event: asyncio.Event) -> None:
        with self._lock:
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[key]

    def notify(self, key: str) -> None:
        with self._lock:
            events = list(self._waiters.get(key, ()))
        if self._loop is None:
            return
        for event in events:
            self._loop.call_soon_threadsafe(event.set)
