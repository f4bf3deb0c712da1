"""The secret the helpdesk server and its relays share: loading it, and what it derives.

It signs session tokens (``remotewire.tokens``); the relay proves itself to the server
with ``report_key`` derived from it, never with the secret itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from remotewire.errors import RemoteappError

ENV_VAR = "REMOTEAPP_RELAY_SECRET"


class SecretMissing(RemoteappError):
    """No secret in the environment and no file to read it from."""


def load_secret(path: Path | None, *, create: bool = False) -> bytes:
    """The secret from ``REMOTEAPP_RELAY_SECRET``, else from ``path``.

    With ``create`` a missing file is made with a fresh random secret (mode 0600): the
    server keeps it beside its data so that a restart keeps tokens valid. A relay on
    another host must be given the same secret, so it never creates one."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env.encode()
    if path is None:
        raise SecretMissing(f"no secret: set {ENV_VAR} or give a secret file")
    if create and not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    try:
        return path.read_bytes().strip()
    except OSError as exc:
        raise SecretMissing(f"cannot read the secret file {path}: {exc}") from exc


def report_key(secret: bytes) -> str:
    """What the relay shows the helpdesk: derived from, but not, the token-signing secret,
    so a report header seen on the wire does not let anyone forge session tokens."""
    return hmac.new(secret, b"remoteapp relay report v1", hashlib.sha256).hexdigest()
