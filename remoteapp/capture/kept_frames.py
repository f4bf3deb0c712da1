"""The damage grabber's kept frames of one monitor: one, or two that take turns.

The damage grabber reads only the damaged boxes, into a frame it keeps.  With one kept
frame the encoder needs a reference of its own, and every change it sends is copied into
that reference: for a full-screen scroll, 8 MB a frame.  With two (``two=True``) the
encoder adopts the grabbed frame as its reference (``ScreenEncoder.encode(adopt=True)``)
and the next grab writes into the other one:

    front   the frame the encoder holds as its reference (the last one handed over)
    back    the frame being written; it equals ``front`` except where the last update
            changed things (``stale``), which are brought over before the boxes are read

A grab with damage reads into ``back`` and hands it over; the caller encodes it, adopting
it, and reports where the update changed the reference (``adopted``): the two swap.  A
grab the caller dropped (not adopted) makes the next one read everything again.
Stale areas the next read rewrites anyway (inside its boxes, or in rows the X server
rewrites whole) cost nothing; the others are copied from ``front`` (a dragged window's
last place is inside the next grab's box; a typed character's, mostly, in its tile).

Boxes at least 3/4 of the monitor's width are read as whole rows straight into a frame
that is a MIT-SHM segment (``SharedFrame``).  With two frames the reference's pixels are
then put back beside the box in those rows (two thin strips): the frame becomes the
reference, so a change there that the X server never reported (a driver that
under-reports) must not slip into it unsent.  It stays unseen until the safety check,
as with one frame, where the encoder's own reference keeps the old pixels.
"""

from __future__ import annotations

import contextlib
import logging
import operator
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import numpy as np

from remoteapp.capture.grabber import Monitor, ScreenGrabber
from remoteapp.capture.shm_frame import SharedFrame
from remoteapp.codec.compare import frames_equal
from remoteapp.codec.geometry import Rect
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.tiles import as_words, changed_rects
from remoteapp.errors import CaptureError

if TYPE_CHECKING:
    from remoteapp.capture.x11_link import BoxLane, BoxRead

log = logging.getLogger("remoteapp.capture")
_WIDTH: Final = operator.attrgetter("w")

#: A damage box at least this share of the monitor's width is read as whole rows into the
#: shared frame (the X server reads at most a third more, and no copy follows).
WIDEN_NUMERATOR: Final = 3
WIDEN_DENOMINATOR: Final = 4


class _Frame:
    """One kept frame: the pixels, and the segment they live in when there is one."""

    def __init__(
        self, screen: ScreenGrabber, monitor: Monitor, pixels: Pixels, *, own: bool
    ) -> None:
        self.shared: SharedFrame | None = None
        self.pixels = pixels
        with contextlib.suppress(CaptureError):  # no MIT-SHM: every box is copied in
            self.shared = screen.shared_frame(monitor)
            self.pixels = self.shared.pixels
            np.copyto(self.pixels, pixels)
        if self.shared is None and not own:  # (another frame keeps ``pixels``)
            self.pixels = pixels.copy()

    def close(self) -> None:
        if self.shared is not None:
            self.shared.close()
            self.shared = None


class KeptFrames:
    """What the damage grabber has read of one monitor (see the module docstring)."""

    def __init__(
        self, screen: ScreenGrabber, monitor: Monitor, pixels: Pixels, *, two: bool
    ) -> None:
        self._screen, self._monitor = screen, monitor
        #: the narrowest wide box: w * WIDEN_DENOMINATOR >= width * WIDEN_NUMERATOR
        self._wide_from = -(-monitor.width * WIDEN_NUMERATOR // WIDEN_DENOMINATOR)
        self._front = _Frame(screen, monitor, pixels, own=True)
        self._back = _Frame(screen, monitor, pixels, own=False) if two else None
        self._stale: list[Rect] = []  #: where back differs from front
        self._handed = False  #: back was returned and not adopted yet
        self.in_place_grabs = 0  #: boxes the X server wrote into a shared frame (tests)

    @property
    def front(self) -> Pixels:
        return self._front.pixels

    @property
    def wide_from(self) -> int:
        """The narrowest box read as whole rows (``damage.cut_to_damage`` cuts those in
        their rows only)."""
        return self._wide_from

    def read(self, boxes: Sequence[Rect] | None) -> tuple[Pixels, tuple[Rect, ...] | None]:
        """Read ``boxes`` (None: the whole monitor) from the screen; return the frame
        they went into and the damage to report with it (None: diff everything)."""
        back = self._back
        if back is None:
            reported = self._read_boxes(self._front, boxes)
            return self._front.pixels, None if boxes is None else reported
        if self._handed:
            boxes = None  # the last grab was dropped (not adopted): read everything again
        elif boxes is not None and not boxes:
            return self._front.pixels, ()  # nothing new: the reference as it is
        elif (
            boxes is not None
            and max(map(_WIDTH, boxes)) < self._wide_from  # (no Python per box)
            and self._screen.bring_and_grab(
                self._monitor, boxes, back.pixels, self._front.pixels, self._stale
            )
        ):  # (a typed key: the bring-over and the read in one C call)
            self._stale, self._handed = [], True
            return back.pixels, tuple(boxes)
        self._bring_over(back, boxes)
        self._handed = True
        reported = self._read_boxes(back, boxes)
        return back.pixels, None if boxes is None else reported

    def box_read(self, lane: BoxLane) -> BoxRead | None:
        """What the C damage grab needs to read this grab's boxes as ``read`` does (into
        back, the stale areas brought over first), or None where ``read`` must: one
        frame, or the last grab not adopted (``x11_link.XLink.take_boxes``)."""
        back = self._back
        if back is None or self._handed:
            return None
        mon = self._monitor
        return (mon.width, mon.height, self._wide_from, lane, back.pixels, self._front.pixels,
                self._stale)  # fmt: skip

    def box_read_done(self, boxes: tuple[Rect, ...]) -> Pixels:
        """The C damage grab read ``boxes`` (all narrower than ``_wide_from``) into back
        (``box_read``): the frame to hand over, as ``read`` returns it."""
        if not boxes:
            return self._front.pixels  # nothing new: the reference as it is
        self._stale, self._handed = [], True
        return self._back.pixels  # type: ignore[union-attr]  # (box_read: two frames)

    @property
    def dropped(self) -> bool:
        """The last grab's frame was not adopted (the caller dropped it): the reference
        lacks its changes, whose damage that grab took."""
        return self._handed

    def read_checked(self) -> tuple[Pixels, tuple[Rect, ...] | None]:
        """The safety check's read: everything, as ``read(None)``.  With two frames the
        read is compared with the reference first, in one pass: unchanged (nearly
        always), it reports ``()``; changed, the rectangles where it differs (the whole
        diff, which the encoder then need not make), so the check can tell a change the
        damage never reported.  With one frame: None (not compared)."""
        pixels, damage = self.read(None)  # (with two frames: into back)
        if self._back is None:
            return pixels, damage
        if frames_equal(pixels, self.front):
            self._handed = False  # back equals front: nothing to hand over
            return self.front, ()
        return pixels, tuple(changed_rects(as_words(pixels), as_words(self.front)))

    def adopted(self, changed: Sequence[Rect]) -> None:
        """The frame the last grab returned is now the encoder's reference, which the
        update changed in ``changed``: swap, and remember what the old one lacks."""
        if self._back is None or not self._handed:
            return  # the grab returned the reference itself (nothing new was read)
        self._front, self._back = self._back, self._front
        self._stale, self._handed = list(changed), False

    def close(self) -> None:
        self._front.close()
        if self._back is not None:
            self._back.close()

    def _bring_over(self, back: _Frame, boxes: Sequence[Rect] | None) -> None:
        """Copy the stale areas from front into back, except where this read rewrites
        them anyway: inside its boxes, and in the rows a wide box reads whole."""
        if boxes is None:
            self._stale = []
            return
        width = self._monitor.width
        reads = [
            Rect(0, b.y, width, b.h) if back.shared is not None and self._wide(b) else b
            for b in boxes
        ]
        front = self._front.pixels
        for stale in self._stale:
            parts = [stale]
            for read in reads:  # (a dragged window's last place is in this grab's box)
                parts = [p for part in parts for p in part.minus(read)]
            for r in parts:
                area = (slice(r.y, r.bottom), slice(r.x, r.right))
                np.copyto(back.pixels[area], front[area])
        self._stale = []

    def _read_boxes(self, frame: _Frame, boxes: Sequence[Rect] | None) -> tuple[Rect, ...] | None:
        """Read ``boxes`` (None: all) into ``frame``; return them, or None when the whole
        monitor was read instead (the shared segment failed: report everything)."""
        mon = self._monitor
        whole = Rect(0, 0, mon.width, mon.height)
        # narrow boxes are read together after the wide ones (one send with the C
        # extension), so a wide box's restored strips never overwrite one of them
        narrow: list[Rect] = []
        for box in [whole] if boxes is None else boxes:
            shared = frame.shared
            if shared is None or not self._wide(box):
                narrow.append(box)
                continue
            try:
                shared.grab_rows(box.y, box.h)
                self.in_place_grabs += 1
                if frame is not self._front:
                    self._restore_beside(frame, box)
                continue
            except CaptureError as exc:  # keep this frame a plain array from now on,
                # and read it all: those rows may hold stale pixels left to this read
                log.info("capture event=shared-frame-off reason=%r", str(exc))
                frame.close()
                self._screen.grab_into(mon, whole, frame.pixels)
                return None
        self._screen.grab_boxes_into(mon, narrow, frame.pixels)
        return None if boxes is None else tuple(boxes)

    def _restore_beside(self, frame: _Frame, box: Rect) -> None:
        """Put the reference's pixels back beside ``box`` in the rows just read whole:
        the frame becomes the reference, and a change there the X server never reported
        must stay unseen until the safety check reads it (as with one frame), not slip
        into the reference unsent."""
        rows = slice(box.y, box.bottom)
        front = self._front.pixels
        for cols in (slice(0, box.x), slice(box.right, self._monitor.width)):
            if cols.start < cols.stop:
                np.copyto(frame.pixels[rows, cols], front[rows, cols])

    def _wide(self, box: Rect) -> bool:
        return box.w >= self._wide_from
