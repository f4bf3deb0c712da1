"""Wakes long-polling customers when their session offer (or their leave) is committed,
in this process and, on PostgreSQL, in every server process sharing the database.

A waiter always re-checks the database after a wake-up, so a wake-up is only a hint: a
spurious one costs one query, a lost one at most the poll's timeout. Hence the rules:

- ``notify_on_commit(db, key)`` is called inside the transaction that creates the offer
  or the leave. On PostgreSQL it adds ``pg_notify`` to that transaction: the database
  delivers it to every listening process at commit, and a rollback sends nothing. Every
  database also gets an after-commit hook that wakes this process's waiters directly.
- Each process keeps one listening connection (``helpdesk.pg_listen``); when it has to
  reconnect, notifications may have been missed, so every local waiter is woken to
  re-check (``wake_all``).
- Never notify on polls or registrations: they change nothing a waiter waits for.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from typing import Final

from sqlalchemy import event, text
from sqlalchemy.orm import Session as Db

CHANNEL: Final = "remoteapp_offers"
"""The PostgreSQL notification channel; the payload is the partner ID."""


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
        self.wake_all()

    def wake_all(self) -> None:
        """Every local waiter re-checks (after the listener missed notifications)."""
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

    @property
    def waiting(self) -> int:
        """Keys with a waiter in this process."""
        with self._lock:
            return len(self._waiters)

    def notify(self, key: str) -> None:
        """Wake this process's waiters for ``key`` now (any thread)."""
        with self._lock:
            events = list(self._waiters.get(key, ()))
        if self._loop is None or not events:
            return
        for waiter in events:
            self._loop.call_soon_threadsafe(waiter.set)

    def notify_on_commit(self, db: Db, key: str) -> None:
        """Wake ``key``'s waiters everywhere once ``db``'s transaction commits (nothing on
        a rollback). Call it before the commit."""
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text("SELECT pg_notify(:channel, :key)"), {"channel": CHANNEL, "key": key})
        event.listen(db, "after_commit", lambda _db: self.notify(key), once=True)
