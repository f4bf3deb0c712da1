"""The key lane's grabs: a typed key's damage waited for, taken and read with the fewest
Python steps, on the capture thread (docs/capture.md, "The key lane").

A typed key's update costs its Python lines (some 280 on the general path, each about a
microsecond with the caches gone cold between keys).  While nothing but small damage
comes, ``KeyGrabs.take`` waits on the X connection and the wake pipe, waits out the
pacing gap, fetches the damage and reads its boxes into the back kept frame in one C
call (``_xwire.take_key``), with everything it needs looked up once, when the lane
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
from typing import TYPE_CHECKING, Any, Final, Protocol

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

#: what ``_xwire.take_key`` answers (its first item)
TOOK, WAITED, GAP_WOKEN, HAND_BACK, TAKE_FAILED = range(5)


class LanePace(Protocol):
    """The lane's pacing (``session.key_lane.Pace``): a grab at least ``active_gap`` s
    after the one before while the agent's ``last_input`` is under ``active_for`` s old,
    ``calm_gap`` s otherwise."""

    active_gap: float
    calm_gap: float
    active_for: float
    last_input: float


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
        self._at = (monitor.left, monitor.top)
        self.cursor = cursor  #: where the pointer is: any move of it ends the lane
        assert x11_link.native is not None  # (lane_parts: only with the C extension)
        self._native = x11_link.native
        #: the last frame taken is the encoder's reference now (``KeptFrames.adopted``:
        #: its changed rectangles)
        self.adopted: Callable[[Sequence[Rect]], None] = kept.adopted

    def take(
        self, started: float, pace: LanePace, keep_on: Callable[[], bool]
    ) -> tuple[Pixels, tuple[Rect, ...], float] | None:
        """Wait for the next damage, at least ``pace``'s gap after the grab at ``started``,
        and read it: the frame, its boxes and when the grab began; None when the general
        loop must look (the connection handed back first).  A grab that found nothing
        new waits again; so does a wake for which ``keep_on()`` says so (asked only when
        nothing else came with it; the gap is worked out again after it, with ``pace``'s
        last input then).  The waits, the gap and the read are one C call a key
        (``_xwire.take_key``)."""
        source, safety, native, clock, link = (
            self._source, self._safety, self._native, self._clock, self._link
        )  # fmt: skip
        pending = False  # (damage seen, the gap still to wait out)
        while True:
            left = safety.due - clock()
            if left <= 0 and not pending:
                return None
            read = self._kept.box_read(self._lane)
            args = None if read is None else link.take_args(self._fetch, *self._at, read)
            try:
                got = native.take_key(
                    self._waits, RECV_BYTES, pending, min(max(left, 0.0), WAIT_BOUND_S),
                    time.monotonic() + left,
                    (started, pace.last_input, pace.active_gap, pace.calm_gap, pace.active_for),
                    args,
                )  # fmt: skip
            except OSError as exc:  # (a wait's: the damage seen is in EVERYTHING)
                source.saw(0, None, error=exc)
                return None
            kind = got[0]
            if kind == TOOK:
                boxes = self._took(got[2])
                if boxes is None:
                    return None
                if boxes:
                    return self._kept.box_read_done(boxes), boxes, got[1]
                started, pending = got[1], False  # (nothing new: nothing to send)
            elif kind == WAITED:
                _, woken, seen, data = got
                if seen not in (0, SEEN_DAMAGE) or data is not None or (woken and not keep_on()):
                    source.saw(seen, data)  # (a wake with something else: keep_on not
                    return None  # asked, the general loop answers the input)
                pending = seen == SEEN_DAMAGE  # (0: the bound, or a wake kept on through:
                # the safety check's clock looked at again)
            elif kind == GAP_WOKEN and keep_on():
                pending = True  # (a fast typist: the gap worked out again)
            else:
                if kind == TAKE_FAILED:
                    try:
                        link.take_failed(got[2])
                    except Exception as exc:  # the link broke: as ``take_read``, everything
                        source.saw(0, None, error=exc)
                        return None
                # (the safety check due, a wake not kept on through in the gap, a read
                # the C does not take: the connection is to be read again by the next take)
                source.saw(SEEN_DAMAGE, None, read=False)
                return None

    def _took(self, result: tuple[int, Any, Any]) -> tuple[Rect, ...] | None:
        """The boxes ``take_key`` read into the back frame (``()``: none were new); None
        (the damage handed back) where the C read did not take them."""
        boxes, outcome = self._link.took(result)
        if outcome is None:  # many rectangles or a wide box (the reply's, as the root's)
            self._source.saw(0, None, boxes, read=False)
            return None
        if not isinstance(outcome, int):  # the read failed: as ``DamageGrabber.grab``
            self._screen.box_lane_failed(outcome)  # (coalesced: the monitor's coordinates)
            left, top = self._at
            self._source.saw(
                0, None, [(x + left, y + top, w, h) for x, y, w, h in boxes], read=False
            )
            return None
        return boxes  # type: ignore[no-any-return]  # (read: the C made them ``Rect``s)
