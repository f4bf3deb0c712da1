"""Relay → helpdesk reports: how they are signed, and the answer's shape.

A report is a JSON body POSTed to ``/relay/events`` with two headers::

    X-Relay-Timestamp: <seconds since the epoch, decimal>
    X-Relay-Signature: hex HMAC-SHA256(report_key(secret), timestamp + "\\n" + body)

The signature covers the timestamp and the exact body bytes, so a captured report can't
be altered, and the helpdesk refuses one outside ``FRESHNESS_S`` of its clock or already
seen inside that window (a replay). The key is ``report_key`` (``remotewire.shared_secret``):
never the relay secret itself, never the key that signs session tokens.

The helpdesk's answer may carry ``ended``: sessions the helpdesk has ended (``session_id``,
``reason``) that the relay must refuse or close, even if neither side has joined yet, and
``cursor``: what the relay sends back as ``ended_since`` in its next heartbeat, so each
answer lists only what ended since the previous one (at most ``MAX_ENDED_PER_ANSWER``);
and, to a heartbeat, whatever its age, each session it lists running that the helpdesk
holds ended (at most ``MAX_ENDED_PER_ANSWER`` more: the relay closes them, and lists the
rest in its next heartbeat).

An "ended" report carries ``ended_at`` and a "connected" one ``connected_at``: when the
session ended or both sides were paired, in seconds since the epoch on the relay's wall
clock (the clock the timestamp header is read from). A relay sends a connect or end
report the helpdesk did not accept again, with the same body (so the same time) under a
new timestamp and signature, until it is accepted (a session's connect before its end);
the helpdesk records it ``timestamp - ended_at`` (or ``- connected_at``) seconds before it
received the report (so the two clocks need not agree), an end never before the session
connected, a connect never before the offer, neither after the helpdesk's own now.
Helpdesks older than the fields ignore them (recorded on arrival); reports without them,
from older relays, are recorded on arrival as before.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from remotewire.shared_secret import report_key

TIMESTAMP_HEADER: Final = "X-Relay-Timestamp"
SIGNATURE_HEADER: Final = "X-Relay-Signature"
FRESHNESS_S: Final = 60.0
"""How far a report's timestamp may be from the helpdesk's clock (either way)."""
MAX_ENDED_PER_ANSWER: Final = 500
MAX_TIMESTAMP_LENGTH: Final = 32


def sign_report(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    key = report_key(secret).encode()
    return hmac.new(key, timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def signature_valid(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    """Constant-time check of a presented signature."""
    expected = sign_report(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature.encode("ascii", "replace"))


def parse_timestamp(text: str) -> float | None:
    """The header's seconds, or None for anything but a plain ASCII decimal number."""
    if not text or len(text) > MAX_TIMESTAMP_LENGTH or not text.isascii():
        return None
    whole, _, fraction = text.partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        return None
    return float(text)
