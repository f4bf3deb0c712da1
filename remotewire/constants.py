"""Constants both sides of the wire must agree on, each defined once."""

from __future__ import annotations

import re
from typing import Final

SESSION_MARKER: Final = "[remoteapp-session:{}]"
"""Put in the description of the ticket action that records a session, with its id, so
that the action is recognised and never added twice (by the app or by the server)."""
SESSION_MARKER_RE: Final = re.compile(r"\[remoteapp-session:([0-9A-Za-z_-]{1,40})\]")

REMOTE_ACCESS_ORIGIN: Final = 17
"""Movidesk's action ``origin`` for remote access."""

MAX_ID: Final = 2**31 - 1
"""The largest id the helpdesk takes (its integer columns: PostgreSQL ``integer``), a
ticket's number included: the agent's ticket dialog checks a typed number against it."""


def session_id_in(description: str) -> str | None:
    """The session a ticket action's description records, if any."""
    match = SESSION_MARKER_RE.search(description)
    return match.group(1) if match else None


# Why a session ended (``end_reason``), as the server records it and the apps show it.
END_BY_USER: Final = "ended-by-user"
END_RELAY_CLOSED: Final = "relay-closed"
END_UNREPORTED: Final = "ended-unreported"
END_NOT_JOINED: Final = "not-joined"
END_RELAY_LOST: Final = "relay-lost"
END_CUSTOMER_BUSY: Final = "customer-busy"
"""An offer not yet handed to its customer, withdrawn: the customer's running session,
which the server had held ended, was reopened (``helpdesk.services.relay_dating``)."""
END_RELAY_SHUTDOWN: Final = "relay-shutdown"
END_IDLE: Final = "idle-timeout"
END_AGENT_LEFT: Final = "agent-left"
END_CUSTOMER_LEFT: Final = "customer-left"
END_AGENT_CONNECTION_LOST: Final = "agent-connection-lost"
END_CUSTOMER_CONNECTION_LOST: Final = "customer-connection-lost"
END_BY_HELPDESK: Final = "ended-by-helpdesk"
"""The relay closed a session the helpdesk had ended (heard in a report's answer)."""

SERVER_ONLY_REASONS: Final = frozenset(
    {END_NOT_JOINED, END_RELAY_LOST, END_UNREPORTED, END_CUSTOMER_BUSY}
)
"""The reasons only the server's own events record: a party's end giving one is recorded
as ``END_BY_USER`` (``helpdesk.lifecycle.SERVER_REASONS``, the same set)."""

MAX_PARTY_REASON: Final = 100
"""A party ending a session may give its own words, this long at most."""

# Why the relay refused a connection (the payload of its REFUSED frame).
REFUSE_TOKEN_INVALID: Final = "token-invalid"
REFUSE_TOKEN_EXPIRED: Final = "token-expired"
REFUSE_TOKEN_REUSED: Final = "token-reused"
REFUSE_OVERSIZE_FIRST_FRAME: Final = "oversize-first-frame"
REFUSE_FIRST_FRAME_NOT_TOKEN: Final = "first-frame-not-token"
REFUSE_EOF_BEFORE_TOKEN: Final = "eof-before-token"
REFUSE_FIRST_FRAME_TIMEOUT: Final = "first-frame-timeout"
REFUSE_SESSION_FULL: Final = "session-full"
REFUSE_SAME_ROLE: Final = "same-role"
REFUSE_PARK_TIMEOUT: Final = "park-timeout"
REFUSE_SESSION_ENDED: Final = "session-ended"
"""The helpdesk ended the session (cancelled, expired) before both sides joined."""
