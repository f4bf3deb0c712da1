"""When the agent acknowledges screen updates (sans-IO: the caller passes the time).

Every ack wakes the customer's reader thread, which on a typed key costs it about as
much as a third of the key's capture.  With a customer that takes held acks
(``HELD_ACKS``), the agent acks a small update only once

- half the customer's small window of small updates are waiting (so it never runs out
  of credits while this side holds them: 8 of its 16, or 4 of an older customer's 8), or
- the first of them has waited the hold (1 s; 0.5 s for an older customer),

and a large one (a scroll, a key frame) at once, with every held one before it.  Each ack
says how long it was held after its newest update was decoded, so rate control's round
trips stay the link's.  Typing at 8 keys a second sends one ack for about eight keys.
"""

from __future__ import annotations

from typing import Final

from remoteapp.net.messages import (
    LEGACY_SMALL_WINDOW,
    MAX_HELD_US,
    SMALL_UPDATE,
    SMALL_WINDOW,
    UpdateAck,
)

ACK_HOLD_S: Final = 1.0
ACK_BATCH: Final = SMALL_WINDOW // 2
#: an older customer's (LEGACY_SMALL_WINDOW): the same hold per credit
LEGACY_HOLD_S: Final = ACK_HOLD_S * LEGACY_SMALL_WINDOW / SMALL_WINDOW


class AckPolicy:
    """Feed it each decoded update; send what ``decoded`` returns at once, and what
    ``take`` returns once ``due`` has come."""

    def __init__(self, *, hold_s: float = ACK_HOLD_S, batch: int = ACK_BATCH) -> None:
        self._hold_s = hold_s
        self._batch = batch
        self._held = 0  #: small updates decoded and not acked
        self._newest = 0  #: the newest of them
        self._newest_at = 0.0  #: when it was decoded
        self._first_at = 0.0  #: when the oldest of them was

    def decoded(self, seq: int, size: int, now: float) -> UpdateAck | None:
        """Update ``seq`` of ``size`` bytes decoded at ``now``: its ack to send now (also
        acking those held before it), or None: held, see ``due``."""
        if size > SMALL_UPDATE or self._held + 1 >= self._batch:
            self._held = 0
            return UpdateAck(seq)
        if not self._held:
            self._first_at = now
        self._held += 1
        self._newest, self._newest_at = seq, now
        return None

    def due(self) -> float | None:
        """When the held ack must go (None: nothing held)."""
        return self._first_at + self._hold_s if self._held else None

    def take(self, now: float) -> UpdateAck | None:
        """The ack of everything held, saying how long the newest waited (None: nothing
        held)."""
        if not self._held:
            return None
        self._held = 0
        held_us = round((now - self._newest_at) * 1e6)
        return UpdateAck(self._newest, min(MAX_HELD_US, max(1, held_us)))


def policy_for(small_window: int, hold_s: float | None = None) -> AckPolicy:
    """The policy for a customer with this small window (``peer_small_window``);
    ``hold_s`` overrides the hold (tests)."""
    if hold_s is None:
        hold_s = ACK_HOLD_S if small_window >= SMALL_WINDOW else LEGACY_HOLD_S
    return AckPolicy(hold_s=hold_s, batch=max(1, small_window // 2))
