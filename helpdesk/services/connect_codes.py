"""Connect codes: what the monitoring page's copy icon (ID column) puts on the clipboard.

A code names one waiting customer, is issued to one agent and lives ``TTL_S`` seconds:
``<partner ID>-<expiry, base 36>-<MAC>``, the MAC being HMAC-SHA256 of all three with the
server's connect-code key (``helpdesk.keys``, not the relay secret), cut to 16 hex
digits. It is stateless (a restart keeps it valid) and useless to anyone else: only the
agent it was issued to can redeem it. The agent app's
partner-ID field accepts it; redeeming it connects without the customer's password, as
the product description's tip says (the agent is already authenticated, and the code
proves the console showed them this customer). An expired code gets a clear refusal.
The code's shape is defined once, in ``remotewire.connect_codes``, which the desktop app
uses too.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from helpdesk.console.i18n import N_
from helpdesk.errors import InvalidInput, NotAllowed
from helpdesk.models import Presence, User
from helpdesk.settings import Settings
from remotewire.connect_codes import CODE, looks_like_code, parse_code, to_base36
from remotewire.error_codes import ErrorCode

TTL_S = 120
__all__ = ["CODE", "TTL_S", "issue", "looks_like_code", "redeem"]


def _mac(settings: Settings, partner_id: str, user_id: int, expiry: int) -> str:
    message = f"connect-code:{partner_id}:{user_id}:{expiry}".encode()
    return hmac.new(settings.keys.connect_code, message, hashlib.sha256).hexdigest()[:16]


_base36 = to_base36


def issue(settings: Settings, user: User, presence: Presence) -> str:
    """A code for ``user`` (an agent of the presence's app: the caller checks)."""
    if user not in presence.app.agents:
        raise NotAllowed(
            ErrorCode.NOT_APP_AGENT, N_("Only the app's agents can connect to its customers.")
        )
    expiry = int(settings.clock.time()) + TTL_S
    mac = _mac(settings, presence.partner_id, user.id, expiry)
    return f"{presence.partner_id}-{_base36(expiry)}-{mac}"


def redeem(db: Db, settings: Settings, user: User, code: str) -> Presence:
    """The customer a valid, unexpired code of this agent names."""
    parsed = parse_code(code)
    if parsed is None:
        raise InvalidInput(ErrorCode.INVALID_INPUT, N_("This is not a connect code."))
    partner_id, expiry, mac = parsed
    if not hmac.compare_digest(mac, _mac(settings, partner_id, user.id, expiry)):
        raise NotAllowed(
            ErrorCode.BAD_CONNECT_CODE,
            N_("This connect code was issued to another agent or is damaged."),
        )
    if expiry < settings.clock.time():
        raise NotAllowed(
            ErrorCode.CONNECT_CODE_EXPIRED,
            N_("This connect code has expired: copy the customer again from the monitoring page."),
        )
    presence = db.scalar(select(Presence).where(Presence.partner_id == partner_id))
    if presence is None:
        raise NotAllowed(ErrorCode.BAD_CONNECT_CODE, N_("This customer is no longer known."))
    return presence
