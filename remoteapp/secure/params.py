"""What one side needs to secure a session: who it is, which session, and the secret.

Two modes, decided by how the session was reached:

- **password** (ID + password): the secret is the whole password the customer reads out
  (the server part the helpdesk checks, plus the local part that never leaves the
  customer's app).  Nobody else knows all of it, the server included.
- **vouched** (queue, connect code): the helpdesk made 32 random bytes for the session
  and handed them to both apps over HTTPS.  The server is trusted on this path.

Either way the server's per-session ``salt`` is mixed in.  The agent that typed a
password never takes a server key instead (no downgrade): ``for_agent`` ignores a
``psk`` on a password connect, and a customer told otherwise by a lying server runs the
other mode, which the handshake's prologue refuses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from remoteapp.net.session_state import Role
from remoteapp.secure.errors import InvalidSecureParams

PSK_BYTES: Final = 32
MIN_SALT_BYTES: Final = 16
MAX_SALT_BYTES: Final = 64
VIA_PASSWORD: Final = "password"
SHARE_KEY_ENV: Final = "REMOTEAPP_SHARE_KEY"  #: ``remoteapp share``: the key, 64 hex digits

Mode = Literal["password", "vouched"]


class _Grant(Protocol):
    """What ``SessionGrant`` (remoteapp.net.helpdesk) carries for the agent."""

    @property
    def session_id(self) -> str: ...
    @property
    def partner_id(self) -> str: ...
    @property
    def salt(self) -> bytes: ...
    @property
    def psk(self) -> bytes | None: ...
    @property
    def via(self) -> str: ...


class _Offer(_Grant, Protocol):
    """``SessionOffer`` carries the same fields for the customer (its own ID as
    ``partner_id``)."""


@dataclass(frozen=True)
class SecureParams:
    """One side's view of the session; exactly one of ``password`` or ``psk``."""

    session_id: str
    role: Role
    partner_id: str  #: the customer's ID, bound into the handshake
    salt: bytes  #: the server's per-session salt
    password: str | None = None  #: the whole password (server part + local part)
    psk: bytes | None = None  #: the server-made key of a queue/code session

    def __post_init__(self) -> None:
        if (self.password is None) == (self.psk is None):
            raise InvalidSecureParams("exactly one of password or psk secures a session")
        if self.password is not None and not self.password.strip():
            raise InvalidSecureParams("an empty password cannot secure a session")
        if self.psk is not None and len(self.psk) != PSK_BYTES:
            raise InvalidSecureParams(f"the session key must be {PSK_BYTES} bytes")
        if not MIN_SALT_BYTES <= len(self.salt) <= MAX_SALT_BYTES:
            raise InvalidSecureParams(
                f"the session salt must be {MIN_SALT_BYTES}..{MAX_SALT_BYTES} bytes"
            )
        if not self.session_id or not self.partner_id:
            raise InvalidSecureParams("a session id and a partner id are required")

    def __repr__(self) -> str:  # never the secrets, not even in a log or a traceback
        return (
            f"SecureParams(session_id={self.session_id!r}, role={self.role.value!r}, "
            f"partner_id={self.partner_id!r}, mode={self.mode!r})"
        )

    @property
    def mode(self) -> Mode:
        return "password" if self.password is not None else "vouched"

    @classmethod
    def for_agent(cls, grant: _Grant, password: str | None) -> SecureParams:
        """The agent's params: with the password it typed, the server's key is never
        used (even if the server sent one); without, the grant must carry one."""
        if password is not None:
            return cls(grant.session_id, Role.AGENT, grant.partner_id, grant.salt, password)
        if grant.via == VIA_PASSWORD or grant.psk is None:
            raise InvalidSecureParams(
                "the server gave no session key for a connect without a password"
            )
        return cls(grant.session_id, Role.AGENT, grant.partner_id, grant.salt, psk=grant.psk)

    @classmethod
    def for_customer(cls, offer: _Offer, password: str | None) -> SecureParams:
        """The customer's params: its whole current password on a password connect,
        else the server's key from the offer."""
        if offer.via == VIA_PASSWORD:
            if password is None:
                raise InvalidSecureParams("a password connect needs this app's whole password")
            return cls(offer.session_id, Role.CUSTOMER, offer.partner_id, offer.salt, password)
        if offer.psk is None:
            raise InvalidSecureParams("the server gave no session key for this connect")
        return cls(offer.session_id, Role.CUSTOMER, offer.partner_id, offer.salt, psk=offer.psk)

    @classmethod
    def for_direct(cls, role: Role, key: bytes, session_id: str = "direct") -> SecureParams:
        """A session over a direct connection, no helpdesk (``remoteapp share``, benches,
        tests): both ends hold the same 32-byte key; the salt comes from the session id."""
        salt = hashlib.sha256(b"remoteapp direct session\0" + session_id.encode()).digest()
        return cls(session_id, role, "direct", salt, psk=key)
