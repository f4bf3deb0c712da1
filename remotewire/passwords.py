"""The customer password an agent is told: a server part and a local part.

The customer reads out ``SERVER_PART`` characters the helpdesk made (and stores, checks,
rate-limits and rotates) followed by ``LOCAL_PART`` characters the customer app made
and never sends anywhere. The agent app sends only the server part to
``/api/sessions``; both apps then run SPAKE2 on the whole password, so a server that
knows only its part can neither read nor alter a password session (docs/security.md).
Both parts use ``ALPHABET`` (no 0/o, 1/l/i: read over the phone). Standard library
only: the server and the desktop app both import it.
"""

from __future__ import annotations

import secrets
from typing import Final

ALPHABET: Final = "abcdefghjkmnpqrstuvwxyz23456789"
SERVER_PART: Final = 6  #: characters the server makes and checks
LOCAL_PART: Final = 4  #: characters only the customer app knows
LENGTH: Final = SERVER_PART + LOCAL_PART
MAX_SERVER_PART: Final = 16  #: bound on what an agent may type as the server part
_IGNORED: Final = str.maketrans("", "", " -\t")


class BadPassword(ValueError):
    """Not a customer password: wrong length or a character outside ``ALPHABET``."""


def new_part(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize(typed: str) -> str:
    """What the agent typed, without the spaces and dashes people add, lowercased."""
    return typed.translate(_IGNORED).lower()


def split_password(typed: str) -> tuple[str, str]:
    """``(server part, local part)`` of a whole password as typed, else ``BadPassword``.

    The local part is the last ``LOCAL_PART`` characters; the server part is the rest:
    at least ``SERVER_PART`` (anything shorter is surely mistyped, most likely the server
    part alone), at most ``MAX_SERVER_PART`` (a server may make longer ones)."""
    password = normalize(typed)
    if not LENGTH <= len(password) <= LOCAL_PART + MAX_SERVER_PART:
        raise BadPassword(f"a customer password has {LENGTH} characters")
    if any(ch not in ALPHABET for ch in password):
        raise BadPassword("a customer password has only letters and digits 2-9")
    return password[:-LOCAL_PART], password[-LOCAL_PART:]
