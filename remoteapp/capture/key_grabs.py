"""The key lane's grabs: a typed key's damage waited for, taken and read with the fewest
Python steps, on the capture thread (docs/capture.md, "The key lane").

A typed key's update costs its Python lines (some 280 on the general path, each about a
microsecond with the caches gone cold between keys).  While nothing but small damage
comes, ``KeyGrabs.take`` waits on the X connection and the wake pipe in one C call
(``wait_damage``), then fetches the damage and reads its boxes into the back kept frame
in another (``take_boxes``), with everything it needs looked up once, when the lane
starts.  Anything else hands the connection back to ``XDamageSource`` as its own
``wait`` would have left it (``saw``): a wake the caller does not keep on through (another
thread changed the session's state; the agent's input alone is kept on through), a
pointer move, any other event, the safety check due, damage the C read will
not take (many rectangles, a wide box: given back as rectangles), or a failure.  The
caller's general loop then runs as if the lane had never been there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

from remoteapp.capture import x11_link
from remoteapp.capture.x11_damage import RECV_BYTES, SEEN_DAMAGE, XDamageSource
from remoteapp.capture.x11_link import XLink
from remoteapp.codec.geometry import Rect
from remoteapp.codec.pixels import Pixels

if TYPE_CHECKING:
    from remoteapp.capture.grabber import Monitor, ScreenGrabber
    from remoteapp.capture.kept_frames import KeptFrames
    from remoteapp.capture.safety import SafetyChecks
    from remoteapp.capture.x11_link import BoxLane

#: ``XDamageSource.lane_parts``: wait_damage's descriptors and events (the event
#: connection, the wake pipe, DamageNotify, XInput's opcode, RawMotion), the fetch, its link
LaneParts = tuple[tuple[int, int, int, int, int], bytes, XLink]

#: the longest one wait of the lane lasts (it then looks at the safety check's clock)
WAIT_BOUND_S: Final = 1.0


def key_grabs(
    source: object, kept: KeptFrames, screen: ScreenGrabber, safety: SafetyChecks,
    monitor: Monitor, cursor: tuple[int, int] | None, clock: Callable[[], float],
) -> KeyGrabs | None:  # fmt: skip
    """``DamageGrabber.key_grabs``' X11 half: the lane where the source, the screen's C
    box read and the kept frames can take it (``kept``: adopted, of ``monitor``)."""
    if not isinstance(source, XDamageSource):
        return None
    lane = screen.box_lane()
    parts = None if lane is None else source.lane_parts()
    if parts is None or lane is None:
        return None
    return KeyGrabs(source, parts, kept, lane, screen, safety, monitor, cursor, clock)


class KeyGrabs:
    """Typed keys' grabs for one monitor, while the lane runs (``DamageGrabber.key_grabs``
    makes one when it can; it is good for one run of the lane)."""

    def __init__(
        self, source: XDamageSource, parts: LaneParts, kept: KeptFrames, lane: BoxLane,
        screen: ScreenGrabber, safety: SafetyChecks, monitor: Monitor,
        cursor: tuple[int, int] | None, clock: Callable[[], float],
    ) -> None:  # fmt: skip
        self._source = source
        self._clock = clock  #: the safety check's clock (the grabber's)
        self._waits, self._fetch, self._link = parts
        self._kept = kept
        self._lane = lane
        self._screen = screen
        self._safety = safety
        self._left, self._top = monitor.left, monitor.top
        self.cursor = cursor  #: where the pointer is: any move of it ends the lane
        assert x11_link.native is not None  # (lane_parts: only with the C extension)
        self._native = x11_link.native
        #: the last frame taken is the encoder's reference now (``KeptFrames.adopted``:
        #: its changed rectangles)
        self.adopted: Callable[[Sequence[Rect]], None] = kept.adopted

    def take(
        self, started: float, gap: Callable[[float], float], keep_on: Callable[[], bool]
    ) -> tuple[Pixels, tuple[Rect, ...], float] | None:
        """Wait for the next damage, at least ``gap(now)`` s after the grab at ``started``,
        and read it: the frame, its boxes and when the grab began; None when the general
        loop must look (the connection handed back first).  A grab that found nothing
        new waits again; so does a wake for which ``keep_on()`` says so (asked only when
        nothing else came with it; ``gap`` is asked again after it, with the time then)."""
        event_fd, wake_fd, damage_event, xi_opcode, raw_motion = self._waits
        source, safety, native, clock = self._source, self._safety, self._native, self._clock
        while True:
            timeout = min(safety.due - clock(), WAIT_BOUND_S)
            if timeout <= 0:
                return None
            try:
                woken, seen, data = native.wait_damage(
                    event_fd, wake_fd, timeout, RECV_BYTES, damage_event, xi_opcode, raw_motion
                )
            except OSError as exc:
                source.saw(0, None, error=exc)
                return None
            if seen not in (0, SEEN_DAMAGE) or data is not None or (woken and not keep_on()):
                source.saw(seen, data)  # (a wake with something else: keep_on not asked,
                return None  # the general loop answers the input)
            if seen == 0:
                continue  # (the bound, or a wake kept on through: the safety check's clock
                # looked at again)
            now = time.monotonic()
            kept_on = True
            while kept_on and now < started + gap(now):  # (a fast typist: a wake ends the gap)
                try:
                    woken, _ = native.wait_events(-1, wake_fd, started + gap(now) - now, RECV_BYTES)
                except OSError as exc:  # (as ``wait``: the damage seen is in EVERYTHING)
                    source.saw(0, None, error=exc)
                    return None
                now = time.monotonic()
                kept_on = not woken or keep_on()
            if not kept_on or clock() >= safety.due:  # (the gap's wait did not read the
                source.saw(SEEN_DAMAGE, None, read=False)  # connection: take gathers)
                return None
            got = self._take_boxes()
            if got is None:
                return None
            if got:
                return self._kept.box_read_done(got), got, now
            started = now  # (nothing new: the reference as it is, nothing to send)

    def _take_boxes(self) -> tuple[Rect, ...] | None:
        """The damage fetched and its boxes read into the back frame; None (the damage
        handed back) where the C read does not take it."""
        read = self._kept.box_read(self._lane)
        if read is None:
            self._source.saw(SEEN_DAMAGE, None, read=False)
            return None
        try:
            got = self._link.take_boxes(self._fetch, self._left, self._top, read)
        except Exception as exc:  # the link broke: as ``take_read``, everything, to be safe
            self._source.saw(0, None, error=exc)
            return None
        if got is None:  # (nothing done: the damage is still the server's)
            self._source.saw(SEEN_DAMAGE, None, read=False)
            return None
        boxes, outcome = got
        if outcome is None:  # many rectangles or a wide box (the reply's, as the root's)
            self._source.saw(0, None, boxes, read=False)
            return None
        if not isinstance(outcome, int):  # the read failed: as ``DamageGrabber.grab``
            self._screen.box_lane_failed(outcome)  # (coalesced: the monitor's coordinates)
            left, top = self._left, self._top
            self._source.saw(
                0, None, [(x + left, y + top, w, h) for x, y, w, h in boxes], read=False
            )
            return None
        return boxes  # type: ignore[return-value]  # (read: the C made them ``Rect``s)
