"""The transport's send queue and its policy, as a plain class (the transport holds its
lock around every call and does the waiting).

The queue is bounded: ``max_events`` events, and ``max_bytes`` bytes for the large ones
(above ``SMALL_EVENT``: updates, clipboard text; input and control events are counted by
number only, so bulk data waiting never refuses a key).  Its policy:

- pointer moves coalesce: a move replaces a move at the tail of the queue (nothing is
  reordered), and on a full queue the older queued moves are dropped (each is a frame of
  its own that changes no protocol state, and button and wheel events carry their own
  position, so only the path in between is lost);
- nothing else is dropped: buttons, keys, text, wheel, clipboard, acks, pings, Bye.  When
  the queue is full of those, ``push`` says so and the transport ends the session;
- a forced push (bulk data whose sender already waited for room, our Bye) is queued even
  if its one event overshoots the byte bound.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

MAX_EVENTS: Final = 1024  #: undroppable events queued before the session is given up
MAX_BYTES: Final = 8 << 20  #: bytes of large events queued (one is taken on an empty queue)
SMALL_EVENT: Final = 64 << 10  #: events up to this size are bounded by number only


@dataclass(slots=True)
class Queued:
    """One encoded event waiting for the writer."""

    data: bytes
    move: bool = False  #: a pointer move: may be replaced or dropped
    last: bool = False  #: our Bye: the writer closes the socket after it
    queued_at: float = 0.0
    on_write: Callable[[float], None] | None = None
    sealed: bool = False  #: the rest of a direct write: already sealed, on_write called


class SendQueue:
    """Events in encoding order, bounded by number and bytes (the policy above)."""

    def __init__(self, max_events: int = MAX_EVENTS, max_bytes: int = MAX_BYTES) -> None:
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.coalesced = 0  #: pointer moves replaced or dropped (a bench/test figure)
        self._items: deque[Queued] = deque()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def room(self) -> bool:
        """Room for one more event of any size (what a waiting bulk sender waits for)."""
        return len(self._items) < self.max_events and self._bytes < self.max_bytes

    def _has_room(self, size: int) -> bool:
        if len(self._items) >= self.max_events:
            return False
        return size <= SMALL_EVENT or not self._items or self._bytes + size <= self.max_bytes

    def push(self, item: Queued, *, force: bool = False) -> bool:
        """Queue ``item`` by the policy; False if it is undroppable and there is no room."""
        if item.move and self._items and self._items[-1].move:
            self._bytes += len(item.data) - len(self._items[-1].data)
            self._items[-1] = item
            self.coalesced += 1
            return True
        if not force and not self._has_room(len(item.data)):
            self._drop_moves()  # (a new deque)
            if not self._has_room(len(item.data)) and not item.move:
                return False  # a move is always taken: at most one past the bound
        self._items.append(item)
        self._bytes += len(item.data)
        return True

    def put_back(self, item: Queued) -> None:
        """The rest of an event a sender began to write itself: first out, whatever the
        bounds (part of it is on the wire already)."""
        self._items.appendleft(item)
        self._bytes += len(item.data)

    def pop(self) -> Queued:
        item = self._items.popleft()
        self._bytes -= len(item.data)
        return item

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0

    def _drop_moves(self) -> None:
        kept = deque(item for item in self._items if not item.move)
        self.coalesced += len(self._items) - len(kept)
        self._items = kept
        self._bytes = sum(len(item.data) for item in kept)
