"""Why an end-to-end secured session could not start or had to stop.

Every failure of the handshake or of the record layer ends the session: there is no
plaintext fallback, so each of these is final.  ``reason`` is a stable word a UI can map
to its own (translated) text; ``str(error)`` is an English sentence fit for a log or an
end reason.  The branch grafts onto ``remoteapp.errors``::

    RemoteappError
     ├── ProtocolError
     │    └── RemoteProtocolError
     │         └── SecureError        the end-to-end channel cannot be set up or kept
     │              ├── HandshakeFailed    malformed, truncated, out of order, timed
     │              │                      out, or the two sides disagree on the mode
     │              ├── PasswordMismatch   the keys differ: a wrong password (or a lying
     │              │                      server's salt) — the customer counts these
     │              └── ChannelBroken      after the handshake: a record altered,
     │                                     replayed, reordered, dropped or cut short
     │                                     (or libcrypto failing on one)
     └── InvalidSecureParams (also a ValueError)  the session's secrets are unusable
"""

from __future__ import annotations

from remoteapp.errors import RemoteappError, RemoteProtocolError

__all__ = [
    "ChannelBroken",
    "HandshakeFailed",
    "InvalidSecureParams",
    "PasswordMismatch",
    "SecureError",
]


class SecureError(RemoteProtocolError):
    """The end-to-end channel failed; the session is over."""

    reason = "secure-failed"


class HandshakeFailed(SecureError):
    """The key exchange broke off: bad or truncated message, wrong order, a timeout, or
    the two sides run different modes (password against server-vouched)."""

    reason = "handshake-failed"


class PasswordMismatch(SecureError):
    """Both sides ran the exchange to the end, but their keys differ."""

    reason = "password-mismatch"


class ChannelBroken(SecureError):
    """A record failed authentication or came out of order after the handshake, or the
    crypto library itself failed to seal or open one."""

    reason = "channel-broken"


class InvalidSecureParams(RemoteappError, ValueError):
    """The session's secrets are missing or malformed: the session must not start."""
