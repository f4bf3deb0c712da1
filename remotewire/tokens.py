"""Signed, expiring, single-use session tokens shared by the helpdesk and the relay.

The helpdesk issues one token per side of a session; the relay verifies it with the same
shared secret and no database, so a relay can run on another host. The HMAC key is not
the relay secret itself but ``shared_secret.session_token_key`` derived from it. Format::

    v1.<base64url(JSON claims)>.<base64url(HMAC-SHA256 over "v1.<body>")>
    claims = {"s": session id, "r": role, "e": expiry (unix s), "n": random nonce}

Signature and expiry prove the token is genuine and fresh; single use is enforced by the
relay's ``NonceRegistry``, which remembers each nonce until the token expires anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from remotewire.errors import ExpiredToken, InvalidToken, ReusedToken
from remotewire.roles import Role
from remotewire.shared_secret import session_token_key

VERSION: Final = "v1"
DEFAULT_TTL_S: Final = 120
MAX_TOKEN_LENGTH: Final = 1024


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """What a verified token says."""

    session_id: str
    role: Role
    expires_at: int
    nonce: str

    def peer_role(self) -> Role:
        """The role this side must be paired with."""
        return self.role.peer


def _sign(secret: bytes, body: str) -> str:
    """``secret`` is the relay secret; the MAC is keyed with the key derived for tokens."""
    key = session_token_key(secret)
    return _b64e(hmac.new(key, f"{VERSION}.{body}".encode("ascii"), hashlib.sha256).digest())


def issue_token(
    secret: bytes,
    session_id: str,
    role: Role,
    *,
    ttl_s: int = DEFAULT_TTL_S,
    now: Callable[[], float] = time.time,
) -> str:
    """Create a token for one side of a session, valid for ``ttl_s`` seconds."""
    role = Role(role)  # ValueError for anything else
    claims = {"s": session_id, "r": role.value, "e": int(now()) + ttl_s, "n": secrets.token_hex(16)}
    body = _b64e(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    return f"{VERSION}.{body}.{_sign(secret, body)}"


def verify_token(
    secret: bytes, token: str | bytes, *, now: Callable[[], float] = time.time
) -> SessionClaims:
    """Check signature then expiry; raises ``InvalidToken`` or ``ExpiredToken``.

    Does not check single use: that needs state, see ``NonceRegistry``.
    """
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError as exc:
            raise InvalidToken("token is not ASCII") from exc
    elif not token.isascii():  # (a str: the MAC and the compare take ASCII only)
        raise InvalidToken("token is not ASCII")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("token too long")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        raise InvalidToken("token is not v1.<body>.<signature>")
    body, signature = parts[1], parts[2]
    if not hmac.compare_digest(_sign(secret, body), signature):
        raise InvalidToken("bad signature")
    try:
        raw = json.loads(_b64d(body))
        session_id, role, expires_at, nonce = raw["s"], raw["r"], raw["e"], raw["n"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidToken("signed body is malformed") from exc
    if (
        not isinstance(session_id, str)
        or not isinstance(role, str)
        or role not in tuple(Role)
        or not isinstance(expires_at, int)
        or not isinstance(nonce, str)
    ):
        raise InvalidToken("signed body has wrong types")
    if now() >= expires_at:
        raise ExpiredToken(f"token expired at {expires_at}")
    return SessionClaims(session_id, Role(role), expires_at, nonce)


class NonceRegistry:
    """Remembers used nonces until their token expires, bounded in size.

    When full of unexpired nonces it refuses new tokens (fails closed) rather than
    forgetting one, because forgetting would reopen replay.
    """

    def __init__(self, capacity: int = 100_000, now: Callable[[], float] = time.time) -> None:
        self.capacity = capacity
        self._now = now
        self._used: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._used)

    def _purge(self) -> None:
        now = self._now()
        for nonce in [n for n, exp in self._used.items() if exp <= now]:
            del self._used[nonce]

    def consume(self, claims: SessionClaims) -> None:
        """Mark the token's nonce used; raises ``ReusedToken`` if it already was."""
        if claims.nonce in self._used:
            raise ReusedToken("token already used")
        if len(self._used) >= self.capacity:
            self._purge()
            if len(self._used) >= self.capacity:
                raise ReusedToken("too many live tokens; refusing rather than forgetting")
        self._used[claims.nonce] = claims.expires_at
