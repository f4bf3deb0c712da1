"""The root of remoteapp's error tree and its wire branch, shared by every package.

The desktop adds its own branches in ``remoteapp.errors``; the helpdesk client adds
``HelpdeskError`` in ``remoteapp.net.errors``. Foreign exceptions are mapped to these at
the boundary with ``raise ... from exc`` so the cause stays visible::

    RemoteappError
     ├── ProtocolError                  bytes on the wire are wrong
     │    ├── LocalProtocolError        we were asked to send something invalid (our bug)
     │    │    └── FrameTooLarge        we tried to send a frame over the size limit
     │    └── RemoteProtocolError       the peer sent something invalid (their bug or an attack)
     │         ├── OversizeFrame        the peer announced a frame over the size limit
     │         └── TokenError           a session token is not acceptable
     │              ├── InvalidToken    bad format or signature (forged or corrupted)
     │              ├── ExpiredToken    signature fine, but past its expiry
     │              └── ReusedToken     signature fine, but its nonce was already used
     ├── RelayRefused                   the relay turned us away; ``reason`` says why
     └── SecretMissing                  no shared secret to run with (remotewire.shared_secret)
"""

from __future__ import annotations

from remotewire.constants import (
    REFUSE_TOKEN_EXPIRED,
    REFUSE_TOKEN_INVALID,
    REFUSE_TOKEN_REUSED,
)


class RemoteappError(Exception):
    """Base of every error remoteapp raises on purpose."""


class ProtocolError(RemoteappError):
    """Bytes exchanged between the two ends violate the protocol."""


class LocalProtocolError(ProtocolError):
    """This side tried to produce something the protocol does not allow."""


class RemoteProtocolError(ProtocolError):
    """The other side sent something the protocol does not allow."""


class FrameTooLarge(LocalProtocolError):
    """We were asked to pack a frame larger than the agreed maximum."""


class OversizeFrame(RemoteProtocolError):
    """The peer's frame header announces more bytes than we accept."""


class TokenError(RemoteProtocolError):
    """A session token was refused; ``reason`` is a short machine-readable word."""

    reason = REFUSE_TOKEN_INVALID


class InvalidToken(TokenError):
    """The token is malformed or its signature does not match (forged or corrupted)."""

    reason = REFUSE_TOKEN_INVALID


class ExpiredToken(TokenError):
    """The token's signature is valid but its expiry has passed."""

    reason = REFUSE_TOKEN_EXPIRED


class ReusedToken(TokenError):
    """The token was already presented once; tokens are single-use."""

    reason = REFUSE_TOKEN_REUSED


class RelayRefused(RemoteappError):
    """The relay refused or dropped us before pairing; ``reason`` is the relay's word."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"relay refused: {reason}")
        self.reason = reason
