"""Errors raised by ``remoteapp.net``, grafted onto the shared tree of ``remoteapp.errors``.

A caller that only cares "the peer misbehaved" catches ``RemoteProtocolError``; the relay
catches ``TokenError`` to tell the peer why it was refused::

    RemoteappError
     ├── ProtocolError
     │    ├── LocalProtocolError
     │    │    └── FrameTooLarge            we tried to send a frame over the size limit
     │    └── RemoteProtocolError
     │         ├── OversizeFrame            the peer announced a frame over the size limit
     │         └── TokenError               a session token is not acceptable
     │              ├── InvalidToken        bad format or signature (forged or corrupted)
     │              ├── ExpiredToken        signature fine, but past its expiry
     │              └── ReusedToken         signature fine, but its nonce was already used
     ├── RelayRefused                       the relay turned us away; ``reason`` says why
     └── HelpdeskError                      see ``remoteapp.net.helpdesk`` for this branch
"""

from __future__ import annotations

from remoteapp.errors import LocalProtocolError, RemoteappError, RemoteProtocolError


class FrameTooLarge(LocalProtocolError):
    """We were asked to pack a frame larger than the agreed maximum."""


class OversizeFrame(RemoteProtocolError):
    """The peer's frame header announces more bytes than we accept."""


class TokenError(RemoteProtocolError):
    """A session token was refused; ``reason`` is a short machine-readable word."""

    reason = "token-invalid"


class InvalidToken(TokenError):
    """The token is malformed or its signature does not match (forged or corrupted)."""

    reason = "token-invalid"


class ExpiredToken(TokenError):
    """The token's signature is valid but its expiry has passed."""

    reason = "token-expired"


class ReusedToken(TokenError):
    """The token was already presented once; tokens are single-use."""

    reason = "token-reused"


class HelpdeskError(RemoteappError):
    """A call to the helpdesk server failed; subclasses live in ``remoteapp.net.helpdesk``."""


class RelayRefused(RemoteappError):
    """The relay refused or dropped us before pairing; ``reason`` is the relay's word."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"relay refused: {reason}")
        self.reason = reason
