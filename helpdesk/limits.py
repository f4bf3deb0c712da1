"""Failure limits for password guesses, kept in the database so that they hold across
server processes, and reserved atomically so that they hold under concurrency.

An attempt is *reserved* before its password is checked: one ``failed_attempts`` row per
limit key, inserted and counted in one transaction that no other reservation of the same
keys can interleave with (SQLite: the INSERT takes the database's single write lock
first, so the count after it sees every earlier reservation; PostgreSQL: a transaction-
scoped advisory lock per key, taken before the INSERT). Until the check succeeds the
reservation counts as a failure, so 30 guesses sent at once are 30 failures, not 30
checks against a count of 0. A successful check *releases* it (deletes its rows); a
failed one leaves them as the failure.

A ``Rule`` says how many failures one key may have in a sliding window; ``backoff``
stacks rules whose windows grow four-fold and whose budgets only double, so a guesser's
sustained rate halves at every step while a person who mistyped a few times waits one
window. Rows older than the longest window are purged as reservations go by, so the table
stays bounded. Keys are stored hashed (no emails or addresses in the table).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, text
from sqlalchemy.orm import Session as Db

from helpdesk.clock import Clock
from helpdesk.errors import RateLimited
from helpdesk.models import FailedAttempt
from remotewire.error_codes import ErrorCode

BACKOFF_STEPS = 4
"""Rules ``backoff`` stacks: windows W, 4W, 16W, 64W with budgets N, 2N, 4N, 8N."""
PURGE_EVERY_S = 30.0
"""How often (at most) one process deletes rows that left every window."""


@dataclass(frozen=True, slots=True)
class Rule:
    """At most ``max_failures`` failures under ``key`` in any ``window_s`` seconds."""

    key: str
    max_failures: int
    window_s: float


def backoff(key: str, max_failures: int, window_s: float) -> list[Rule]:
    """Stepped exponential backoff for one key: after N failures wait W, after 2N within
    4W wait up to 4W, and so on."""
    return [Rule(key, max_failures * 2**i, window_s * 4**i) for i in range(BACKOFF_STEPS)]


@dataclass(frozen=True, slots=True)
class Reservation:
    """The rows of one reserved attempt, and the keys whose failures a success forgives."""

    ids: tuple[int, ...]
    forgive: tuple[str, ...]


def address_key(address: str) -> str:
    """The source-address part of a key: an IPv6 client counts by its /64 (one host gets
    a whole /64 and could otherwise rotate addresses), IPv4 by its address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _lock_id(digest: str) -> int:
    """A signed 64-bit advisory-lock id for a hashed key."""
    return int.from_bytes(bytes.fromhex(digest[:16]), "big", signed=True)


class AttemptLimits:
    """The server's limits (on ``app.state.limits``): the clock and purge bookkeeping
    every request's ``FailureLimiter`` shares."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._retention_s = 0.0
        self._last_purge = -math.inf
        self._lock = threading.Lock()

    def for_address(self, address: str) -> FailureLimiter:
        """The limiter of one request, which knows where it came from."""
        return FailureLimiter(self, address_key(address))

    def purge_due(self, windows: Sequence[float]) -> float | None:
        """The retention to purge with, when this process has not purged lately."""
        now = self.clock.monotonic()
        with self._lock:
            self._retention_s = max(self._retention_s, *windows)
            if now - self._last_purge < PURGE_EVERY_S:
                return None
            self._last_purge = now
            return self._retention_s


class FailureLimiter:
    """Reserve, check, then release on success (see the module docstring)."""

    def __init__(self, limits: AttemptLimits, address: str) -> None:
        self.limits = limits
        self.address = address

    def reserve(
        self,
        db: Db,
        rules: Sequence[Rule],
        *,
        code: ErrorCode,
        message: str,
        forgive: Sequence[str] = (),
    ) -> Reservation:
        """Count this attempt as a failure under every rule's key, or raise
        ``RateLimited`` (``message`` formatted with ``wait``) when any rule is full.
        Commits: the reservation must be visible to others before the check starts."""
        now = self.limits.clock.now()
        hashed = {rule.key: _digest(rule.key) for rule in rules}
        keys = sorted(set(hashed.values()))
        db.commit()  # a fresh transaction whose first statement takes the locks
        try:
            if db.get_bind().dialect.name == "postgresql":
                for digest in keys:  # sorted: two reservations never wait on each other
                    db.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _lock_id(digest)})
            rows = [FailedAttempt(key=digest, at=now) for digest in keys]
            db.add_all(rows)
            db.flush()  # SQLite: this INSERT waits for, then holds, the write lock
            own = [row.id for row in rows]
            oldest = now - timedelta(seconds=max(rule.window_s for rule in rules))
            times: dict[str, list[datetime]] = defaultdict(list)
            for key, at in db.execute(
                select(FailedAttempt.key, FailedAttempt.at).where(
                    FailedAttempt.key.in_(keys),
                    FailedAttempt.at > oldest,
                    FailedAttempt.id.not_in(own),
                )
            ):
                times[key].append(at)
            wait = max(_wait(rule, times[hashed[rule.key]], now) for rule in rules)
            if wait > 0:
                db.rollback()
                seconds = math.ceil(wait)
                raise RateLimited(code, message.format(wait=seconds), seconds)
            retention = self.limits.purge_due([rule.window_s for rule in rules])
            if retention is not None:
                db.execute(
                    delete(FailedAttempt).where(
                        FailedAttempt.at <= now - timedelta(seconds=retention)
                    )
                )
            db.commit()
        except BaseException:
            db.rollback()
            raise
        return Reservation(tuple(own), tuple(_digest(key) for key in forgive))

    def release(self, db: Db, reservation: Reservation) -> None:
        """The check succeeded: the attempt was no failure, and the ``forgive`` keys'
        earlier failures (the same person's typos) are forgotten too."""
        db.execute(
            delete(FailedAttempt).where(
                or_(
                    FailedAttempt.id.in_(reservation.ids),
                    FailedAttempt.key.in_(reservation.forgive),
                )
            )
        )
        db.commit()


def _wait(rule: Rule, times: list[datetime], now: datetime) -> float:
    """Seconds until ``rule`` admits one more failure (0: now)."""
    cutoff = now - timedelta(seconds=rule.window_s)
    inside = sorted(at for at in times if at > cutoff)
    if len(inside) < rule.max_failures:
        return 0.0
    free_at = inside[len(inside) - rule.max_failures] + timedelta(seconds=rule.window_s)
    return max((free_at - now).total_seconds(), 0.001)
