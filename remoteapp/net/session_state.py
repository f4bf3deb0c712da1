"""Who may send what, and when, in a remote session (the h11 ``_state.py`` of our protocol).

Each side moves HANDSHAKE -> ACTIVE (once its Hello is through) -> CLOSED (Bye or end of
stream).  While ACTIVE a side may send only the messages its role allows: the customer
serves its screen, the agent drives input and flow control.
"""

from __future__ import annotations

import enum
from typing import Final

from remotewire.roles import Role

__all__ = ["ALLOWED", "TRANSITIONS", "Role", "State", "next_state"]


class State(enum.Enum):
    HANDSHAKE = "handshake"  #: nothing but Hello may come
    ACTIVE = "active"
    CLOSED = "closed"  #: said Bye or its stream ended; nothing more may come


# Message names (the event classes' names in remoteapp.net.session).
BOTH: Final = frozenset({"Clipboard", "Ping", "Pong", "Bye"})
ALLOWED: Final[dict[Role, frozenset[str]]] = {
    Role.CUSTOMER: BOTH | {"ScreenInfo", "ScreenUpdate"},
    Role.AGENT: BOTH
    | {
        "UpdateAck",
        "KeyFrameRequest",
        "SelectMonitor",
        "PointerMove",
        "PointerButton",
        "Wheel",
        "Key",
        "Text",
        "SetQuality",
    },
}

#: (state, message) -> next state; a pair missing here is a protocol violation.
TRANSITIONS: Final[dict[tuple[State, str], State]] = {
    (State.HANDSHAKE, "Hello"): State.ACTIVE,
    (State.HANDSHAKE, "Bye"): State.CLOSED,
    (State.ACTIVE, "Bye"): State.CLOSED,
}


def next_state(state: State, role: Role, message: str) -> State | None:
    """The state after ``role`` sends ``message`` in ``state``; None if not allowed."""
    if (state, message) in TRANSITIONS:
        return TRANSITIONS[(state, message)]
    if state is State.ACTIVE and message in ALLOWED[role]:
        return State.ACTIVE
    return None
