"""The key lane: typed keys served in a tight loop on the customer's capture thread.

While the screen changes only by small damage (typing into a text field, a blinking
caret, a clock's seconds) and nothing else happens, each change is waited for, grabbed
(``capture.key_grabs``), encoded (``ScreenEncoder.encode_key``) and sent
(``Transport.send_update``) by this loop, instead of a pass of the general loop with its
pacing, its look at the session's state and its dispatch through the backend: about a
third of a typed key's Python lines (docs/capture.md, "The key lane").

Any change of the session's state comes with a ``wake`` (input, a key frame request, a
monitor switch, the codecs, an ack a credit wait needs, the end), which ends the lane's
wait, so the general loop sees each change as before; the lane also returns when no
credit is free, when its grab hands back (a pointer move, other events, large damage,
the safety check due) and when an update leaves something lossy to refresh.  The same
bytes go out either way: the lane calls what the general loop calls.
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from remoteapp.capture.key_grabs import KeyGrabs
    from remoteapp.codec import ScreenEncoder
    from remoteapp.codec.sent_times import SentTimesBooks
    from remoteapp.session.transport import Transport


class Counts(Protocol):
    """The session's figures the lane adds to as it sends (read live by tests)."""

    frames_sent: int
    lane_updates: int


def serve_keys(
    grabs: KeyGrabs, encoder: ScreenEncoder, transport: Transport, times: SentTimesBooks,
    counts: Counts, seq: int, started: float, gap: float, send_wait: float,
) -> tuple[int, float] | None:  # fmt: skip
    """Serve typed keys until the general loop must look: the next update's ``seq`` and
    the last grab's start; None if the session ended (a send failed).
    ``started``/``gap``: as the general loop's pacing (a grab at least ``gap`` s after
    the one before)."""
    conn = transport.conn
    while conn.credits > 0 and not transport.closed:
        got = grabs.take(started, gap)
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
        written = functools.partial(times.local, seq)
        if not transport.send_update(seq, update, written, send_wait):
            return None
        seq = (seq + 1) & 0xFFFFFFFF
        counts.frames_sent += 1
        counts.lane_updates += 1
        # (only a lossy rectangle leaves something to refresh: the lane starts clean)
        if stats.lossy and encoder.refresh_due_in() is not None:
            break
    return seq, started
