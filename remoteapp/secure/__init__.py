"""End-to-end encryption of every remote session (Qt-free, sans-IO).

The relay pairs two sockets and forwards bytes; these modules make sure those bytes are
useless to it.  ``handshake`` runs the key exchange (SPAKE2 on the whole password, or the
server's session key, feeding a Noise ``NNpsk0`` handshake); ``channel`` seals and opens
every record after it; ``params`` says which session and which secret; ``errors`` says
why a session could not be secured.  The blocking adapter the session threads use is
``remoteapp.session.secure_link``.  Wire layout and reasons: docs/protocol.md.
"""

from remoteapp.secure.channel import Channel
from remoteapp.secure.errors import (
    ChannelBroken,
    HandshakeFailed,
    InvalidSecureParams,
    PasswordMismatch,
    SecureError,
)
from remoteapp.secure.handshake import Handshake, Secured
from remoteapp.secure.params import SecureParams

__all__ = [
    "Channel",
    "ChannelBroken",
    "Handshake",
    "HandshakeFailed",
    "InvalidSecureParams",
    "PasswordMismatch",
    "SecureError",
    "SecureParams",
    "Secured",
]
