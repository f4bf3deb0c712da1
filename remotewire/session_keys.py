"""The per-session secrets the helpdesk hands both apps over HTTPS, and their JSON form.

Every session gets a random ``salt`` (``SALT_BYTES``); queue and connect-code sessions
(``via`` other than ``"password"``) also get a pre-shared key ``psk`` (``PSK_BYTES``).
The agent finds both in its grant (``POST /api/sessions``, ``/api/sessions/by-code``),
the customer in its session offer (the long poll); never in a relay token, so the relay
never sees them. In JSON each is lowercase hex, exactly ``2 * N`` digits; a password
session's ``psk`` is ``null``. ``decode`` refuses anything else (``ValueError``): an app
that cannot read its keys must not start the session at all, never fall back to
plaintext. See docs/security.md. Standard library only: both sides import it.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

SALT_BYTES: Final = 32
PSK_BYTES: Final = 32
VIA_PASSWORD: Final = "password"  #: the one path with no server-made pre-shared key
VIAS: Final = frozenset({"password", "queue", "code"})
_HEX: Final = re.compile(r"[0-9a-f]*")


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def new_psk() -> bytes:
    return secrets.token_bytes(PSK_BYTES)


def encode(value: bytes) -> str:
    return value.hex()


def decode(text: object, size: int) -> bytes:
    """Exactly ``size`` bytes from their lowercase hex, else ``ValueError``."""
    if not isinstance(text, str) or len(text) != 2 * size or not _HEX.fullmatch(text):
        raise ValueError(f"expected {2 * size} lowercase hex digits")
    return bytes.fromhex(text)


def needs_psk(via: str) -> bool:
    """Whether a session reached this way must carry a server-made pre-shared key."""
    return via != VIA_PASSWORD
