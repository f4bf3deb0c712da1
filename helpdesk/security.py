"""Password hashing, login bearer tokens, customer passwords and failure rate limiting."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import threading
from collections import deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from helpdesk.clock import Clock

_hasher = PasswordHasher()
PARTNER_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read over the phone


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_customer_password() -> str:
    return "".join(secrets.choice(PARTNER_ALPHABET) for _ in range(8))


def new_partner_id() -> str:
    return str(secrets.randbelow(900_000_000) + 100_000_000)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def issue_login_token(secret: bytes, user_id: int, ttl_s: int, now: float) -> str:
    """Stateless bearer token ``u.<id>.<expiry>.<mac>``; a restart keeps logins valid.
    ``now`` is the server clock's epoch seconds."""
    body = f"u.{user_id}.{int(now) + ttl_s}"
    mac = hmac.new(secret, b"login:" + body.encode(), hashlib.sha256).digest()
    return body + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def verify_login_token(secret: bytes, token: str, now: float) -> int | None:
    """Return the user id, or None when forged, malformed or expired at ``now``."""
    body, _, mac = token.rpartition(".")
    expected = hmac.new(secret, b"login:" + body.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(base64.urlsafe_b64encode(expected).rstrip(b"=").decode(), mac):
        return None
    parts = body.split(".")
    if len(parts) != 3 or parts[0] != "u":
        return None
    try:
        user_id, expiry = int(parts[1]), int(parts[2])
    except ValueError:
        return None
    return user_id if expiry > now else None


class FailureLimiter:
    """Sliding-window count of failed password attempts per key (partner ID, caller).

    In memory: the server is one process. Blocks a key once it has ``max_failures`` in
    the window, until its oldest failure leaves the window. Time is ``clock.monotonic()``.
    """

    def __init__(self, max_failures: int, window_s: float, clock: Clock) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def retry_after(self, *keys: str) -> int:
        """Seconds until every key may try again; 0 when none is blocked."""
        now = self.clock.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._trim(key, now)
                if len(times) >= self.max_failures:
                    wait = max(wait, times[0] + self.window_s - now)
        return math.ceil(wait) if wait > 0 else 0

    def fail(self, *keys: str) -> None:
        now = self.clock.monotonic()
        with self._lock:
            for key in keys:
                self._trim(key, now).append(now)
