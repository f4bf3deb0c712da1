"""Password hashing, login bearer tokens and customer passwords (failure limits live in
``helpdesk.limits``)."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from remotewire.passwords import SERVER_PART

_hasher = PasswordHasher()
PARTNER_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read over the phone


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def verify_password_or_dummy(password_hash: str | None, password: str) -> bool:
    """``verify_password``, or, for an account that does not exist (``None``), the same
    argon2 work against a throwaway hash: a login for an unknown email takes as long as a
    wrong password, so timing does not tell which emails have accounts."""
    if password_hash is None:
        verify_password(_dummy_hash(), password)
        return False
    return verify_password(password_hash, password)


def new_customer_password() -> str:
    """The server part only: the customer app adds its local part (remotewire.passwords)."""
    return "".join(secrets.choice(PARTNER_ALPHABET) for _ in range(SERVER_PART))


def new_partner_id() -> str:
    return str(secrets.randbelow(900_000_000) + 100_000_000)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


LOGIN_TOKEN_VERSION = "u2"
MAX_LOGIN_TOKEN_LENGTH = 200
CLOCK_SLACK_S = 60
"""How far another server process's clock may run ahead when it issued a login."""


@dataclass(frozen=True, slots=True)
class LoginClaims:
    user_id: int
    version: int
    """The user's ``login_version`` at login: logout or a password change moves it on."""
    expires_at: int


def issue_login_token(key: bytes, user_id: int, version: int, ttl_s: int, now: float) -> str:
    """Stateless bearer token ``u2.<id>.<login version>.<expiry>.<mac>``; a restart keeps
    logins valid. ``key`` is the server's login key (``helpdesk.keys``), which no relay
    holds; ``now`` is the server clock's epoch seconds."""
    body = f"{LOGIN_TOKEN_VERSION}.{user_id}.{version}.{int(now) + ttl_s}"
    return body + "." + _login_mac(key, body)


def verify_login_token(key: bytes, token: str, now: float, max_ttl_s: int) -> LoginClaims | None:
    """The claims, or None when forged, malformed, expired at ``now``, or expiring later
    than any login this server issues (``max_ttl_s`` from now): a token is never trusted
    for longer than the server would have granted, whoever made it."""
    if len(token) > MAX_LOGIN_TOKEN_LENGTH or not token.isascii():
        return None
    body, _, mac = token.rpartition(".")
    if not hmac.compare_digest(_login_mac(key, body), mac):
        return None
    parts = body.split(".")
    if len(parts) != 4 or parts[0] != LOGIN_TOKEN_VERSION:
        return None
    try:
        user_id, version, expiry = (int(p) for p in parts[1:])
    except ValueError:
        return None
    if not now < expiry <= now + max_ttl_s + CLOCK_SLACK_S:
        return None
    return LoginClaims(user_id, version, expiry)


def _login_mac(key: bytes, body: str) -> str:
    mac = hmac.new(key, b"login:" + body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
