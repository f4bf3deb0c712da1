"""The key lane: typed keys served in a tight loop on the customer's capture thread.

While the screen changes only by small damage (typing into a text field, a blinking
caret, a clock's seconds) and nothing else happens, each change is waited for, grabbed
(``capture.key_grabs``), encoded (``ScreenEncoder.encode_key``) and sent
(``Transport.send_update``) by this loop, instead of a pass of the general loop with its
pacing, its look at the session's state and its dispatch through the backend: about a
third of a typed key's Python lines (docs/capture.md, "The key lane").

Any change of the session's state comes with a ``wake`` (a key frame request, a monitor
switch, the codecs, an ack a credit wait needs, the end), which ends the lane's wait, so
the general loop sees each change as before.  The agent's input wakes it too, and only
that the lane keeps on through (``LaneHost.input_wake``): damage and pointer moves end
its waits anyway, so what the input changes is grabbed as it comes, at the active
session's rate (``Pace``); the agent's typing is served here.  The lane also returns when no
credit is free, when its grab hands back (a pointer move, other events, large damage,
the safety check due) and when an update leaves something lossy to refresh.  The same
bytes go out either way: the lane calls what the general loop calls.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from remoteapp.capture.key_grabs import KeyGrabs
    from remoteapp.codec import ScreenEncoder
    from remoteapp.codec.sent_times import SentTimesBooks
    from remoteapp.session.transport import Transport


class LaneHost(Protocol):
    """The session the lane serves: the figures it adds to as it sends (read live by
    tests), and what a wake was."""

    frames_sent: int
    lane_updates: int

    def input_wake(self, changes: int) -> float | None:
        """After a wake: the agent's last input (taken: the lane answers it), or -inf
        with none, if nothing but input happened since the session's state was read
        (``changes``: its count of changes then); None if the general loop must look."""


@dataclass
class Pace:
    """The general loop's pacing, as the lane keeps it: a grab at least ``active_gap`` s
    after the one before while the agent is active (``active_for`` s after its last
    input), ``calm_gap`` s otherwise."""

    active_gap: float
    calm_gap: float
    active_for: float
    last_input: float  #: the agent's last input the lane knows of (it answers later ones)

    def active(self, now: float) -> bool:
        """The agent counts as active at ``now`` (its last input is recent)."""
        return now - self.last_input < self.active_for

    def gap(self, now: float) -> float:
        """The least time from one grab to the next at ``now`` (``active``'s test inline;
        the key lane's take works the same rule out in C, ``_xwire.take_key``)."""
        return self.active_gap if now - self.last_input < self.active_for else self.calm_gap


def serve_keys(
    grabs: KeyGrabs, encoder: ScreenEncoder, transport: Transport, times: SentTimesBooks,
    host: LaneHost, changes: int, seq: int, started: float, pace: Pace, send_wait: float,
) -> tuple[int, float] | None:  # fmt: skip
    """Serve typed keys until the general loop must look: the next update's ``seq`` and
    the last grab's start; None if the session ended (a send failed).
    ``started``/``pace``: as the general loop's pacing (``pace.last_input`` is kept up
    to date); ``changes``: ``host``'s count of changes when the loop read its state."""

    def keep_on() -> bool:
        at = host.input_wake(changes)
        if at is None:
            return False
        pace.last_input = max(pace.last_input, at)
        return True

    conn = transport.conn
    while conn.credits > 0 and not transport.closed:
        got = grabs.take(started, pace, keep_on)
        if got is None:
            break
        frame, boxes, started = got
        update = encoder.encode_key(frame, grabs.cursor, boxes)
        grabs.adopted(encoder.changed)
        stats = encoder.last_stats
        assert stats is not None  # (every encode sets it)
        if not stats.key and not stats.rects and not stats.copies:
            continue  # (drawn again as it was: nothing for the viewer)
        times.sent(seq, len(update), time.monotonic())
        # (counted first: whoever sees the update at the viewer finds it counted)
        host.frames_sent += 1
        host.lane_updates += 1
        if not transport.send_update(seq, update, functools.partial(times.local, seq), send_wait):
            return None
        seq = (seq + 1) & 0xFFFFFFFF
        # (only a lossy rectangle leaves something to refresh: the lane starts clean)
        if stats.lossy and encoder.refresh_due_in() is not None:
            break
    return seq, started
