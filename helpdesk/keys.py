"""The server's own keys, derived with HKDF from its *server secret*, which never leaves
the server (unlike the relay secret, ``remotewire.shared_secret``, which every relay
holds).

One key per purpose, so that a key seen or misused in one place opens nothing else::

    server secret (file ``server-secret`` in the data dir, or REMOTEAPP_SERVER_SECRET)
     ├── login          agents' bearer tokens (``helpdesk.security``)
     ├── console        the console's session cookie
     ├── csrf           the console's form tokens
     └── connect_code   the console's connect codes

    relay secret (file ``relay-secret``, or REMOTEAPP_RELAY_SECRET; relays hold it too)
     ├── session_token_key   session tokens the relay checks
     └── report_key          relay → helpdesk reports

docs/security.md ("Keys") says how to rotate each secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SERVER_SECRET_ENV = "REMOTEAPP_SERVER_SECRET"
SERVER_SECRET_FILE = "server-secret"


def _derive(secret: bytes, purpose: str) -> bytes:
    info = f"remoteapp server v1 {purpose}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


@dataclass(frozen=True, slots=True, repr=False)
class ServerKeys:
    """The keys derived from the server secret (``repr`` hides them from logs)."""

    login: bytes
    console: bytes
    csrf: bytes
    connect_code: bytes

    @classmethod
    def derive(cls, server_secret: bytes) -> ServerKeys:
        if len(server_secret) < 16:
            raise ValueError("the server secret must have at least 16 bytes")
        return cls(
            login=_derive(server_secret, "login-token"),
            console=_derive(server_secret, "console-session"),
            csrf=_derive(server_secret, "console-csrf"),
            connect_code=_derive(server_secret, "connect-code"),
        )
