"""The secret the helpdesk server and its relays share (the *relay secret*): loading it,
and the keys derived from it.

The relay secret is never used as a key itself. HKDF-SHA256 (RFC 5869, a few lines of
``hmac`` here: this package is stdlib-only) derives one key per purpose:

- ``session_token_key``: signs and verifies session tokens (``remotewire.tokens``);
- ``report_key``: what a relay shows the helpdesk on its reports.

The helpdesk's own keys (agents' logins, console cookies, connect codes) come from a
different secret that never leaves the server (``helpdesk.keys``), so a relay host
cannot mint a login. docs/security.md ("Keys") says who holds what and how to rotate.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from remotewire.errors import RemoteappError

ENV_VAR = "REMOTEAPP_RELAY_SECRET"
HASH_LEN = 32


class SecretMissing(RemoteappError):
    """No secret in the environment and no file to read it from."""


def load_secret(path: Path | None, *, create: bool = False, env_var: str = ENV_VAR) -> bytes:
    """The secret from the environment variable ``env_var``, else from ``path``.

    With ``create`` a missing file is made with a fresh random secret (mode 0600): the
    server keeps it beside its data so that a restart keeps tokens valid. A relay on
    another host must be given the same secret, so it never creates one."""
    env = os.environ.get(env_var)
    if env:
        return env.encode()
    if path is None:
        raise SecretMissing(f"no secret: set {env_var} or give a secret file")
    if create and not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
    try:
        return path.read_bytes().strip()
    except OSError as exc:
        raise SecretMissing(f"cannot read the secret file {path}: {exc}") from exc


def hkdf_sha256(secret: bytes, info: bytes, length: int = HASH_LEN, salt: bytes = b"") -> bytes:
    """RFC 5869 HKDF with SHA-256: extract, then expand to ``length`` bytes for ``info``."""
    if not 0 < length <= 255 * HASH_LEN:
        raise ValueError("HKDF output length out of range")
    prk = hmac.new(salt or bytes(HASH_LEN), secret, hashlib.sha256).digest()
    okm, block = b"", b""
    for counter in range(1, -(-length // HASH_LEN) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
    return okm[:length]


@functools.lru_cache(maxsize=8)
def session_token_key(secret: bytes) -> bytes:
    """The key that signs session tokens (derived: cached, every token needs it)."""
    return hkdf_sha256(secret, b"remoteapp relay v2 session-token")


@functools.lru_cache(maxsize=8)
def report_key(secret: bytes) -> str:
    """What the relay shows the helpdesk: derived from, but not, the relay secret, and
    unrelated to the token key, so a report header seen on the wire does not let anyone
    forge session tokens."""
    return hkdf_sha256(secret, b"remoteapp relay v2 report").hex()
