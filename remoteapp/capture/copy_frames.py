"""The copy grabber's frames of one monitor while it follows the copies (sans-IO).

Two frames take turns as with ``KeptFrames``: the encoder adopts the one a grab returns
(``back``), which becomes ``front``, and the other catches up on what the update changed
(``stale``) before the next grab writes into it.  ``reads`` holds the grab's reads, each
box at its place.  A grab writes back from front and the reads by the composed copies
(``copy_pieces``); the safety check's grab compares what the ops before its whole read
predict with the read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from remoteapp.capture.copy_model import Move, Paste
from remoteapp.capture.copy_pieces import FRAME, Piece, apply_in_order, apply_pieces, compose
from remoteapp.capture.grabber import Monitor
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.tiles import as_words, changed_rects

#: the most pieces stale areas are cut into before they are brought over whole
MAX_STALE_CUTS: Final = 256


class FollowedFrames:
    """front, back and reads of ``monitor`` (module docstring)."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        shape = (monitor.height, monitor.width, 4)
        self.front: Pixels = np.zeros(shape, np.uint8)
        self.back: Pixels = np.zeros(shape, np.uint8)
        self.reads: Pixels = np.zeros(shape, np.uint8)
        self.whole = Rect(0, 0, monitor.width, monitor.height)
        self.stale: list[Rect] = []  #: where back differs from front
        self.handed = False  #: back was returned and not adopted yet
        #: no frame adopted yet: the encoder's reference is another backend's frame, so
        #: the first ``changed`` says nothing of back, and front (all zeros) predicts
        #: nothing a safety check could judge
        self.anew = True

    def adopted(self, changed: Sequence[Rect]) -> None:
        """The encoder adopted back; ``changed``: where its update changed the frame."""
        if self.handed:
            self.front, self.back = self.back, self.front
            self.stale, self.handed = [self.whole] if self.anew else list(changed), False
            self.anew = False

    def dropped(self) -> bool:
        """Whether the last frame handed over was never adopted (the caller dropped it):
        the reference lacks its changes.  Back is then to be rewritten whole."""
        if not self.handed:
            return False
        self.handed, self.stale = False, [self.whole]
        return True

    def apply(self, ops: Sequence[Move | Paste]) -> tuple[Pixels, tuple[Piece, ...] | None]:
        """Back written from front and the reads by ``ops``: the frame to hand over and
        its pieces (None: applied one by one, every pixel may have changed; empty: back
        equals front, which is returned, nothing handed over)."""
        pieces = compose(ops)
        if pieces is None:  # (too many pieces: one by one, the encoder diffs it all)
            self.back[...] = self.front
            self.stale = []
            apply_in_order(ops, self.back, self.reads)
            self.handed = True
            return self.back, None
        if not pieces:  # (back is left as it is: its stale parts stay to bring over)
            return self.front, ()
        self._bring_over([p.dst for p in pieces])
        apply_pieces(pieces, self.back, self.front, self.reads)
        self.handed = True
        return self.back, tuple(pieces)

    def check(self, ops: Sequence[Move | Paste]) -> list[Rect] | None:
        """The safety check's grab (its read of the whole monitor among ``ops``): back
        is first what the ops before the read predict, compared with the read (the
        rectangles that differ; None without the read among the ops), then the frame
        the ops make."""
        whole = next(
            (i for i, op in enumerate(ops) if isinstance(op, Paste) and op.box == self.whole),
            None,
        )
        if whole is None:
            return None
        self._bring_over()
        before = compose(ops[:whole])
        if before is None:
            apply_in_order(ops[:whole], self.back, self.reads)
        else:
            apply_pieces(before, self.back, self.front, self.reads)
        changed = changed_rects(as_words(self.reads), as_words(self.back))
        apply_in_order(ops[whole:], self.back, self.reads)
        self.handed = True
        return changed

    def _bring_over(self, rewritten: Sequence[Rect] = ()) -> None:
        """Back catches up with front where the last update changed it (``stale``), but
        where the pieces about to be written cover it (``rewritten``: a scroll's window,
        which would otherwise be copied twice)."""
        stale = self.stale
        for cut in rewritten:
            stale = [part for box in stale for part in box.minus(cut)]
            if len(stale) > MAX_STALE_CUTS:  # (cut to crumbs: copy it whole, once)
                stale = self.stale
                break
        for box in stale:
            rows, cols = slice(box.y, box.bottom), slice(box.x, box.right)
            self.back[rows, cols] = self.front[rows, cols]
        self.stale = []


def exact_copies(pieces: Sequence[Piece]) -> tuple[Motion, ...]:
    """The largest piece moved from the previous frame, as the encoder's exact copy (one:
    the viewer applies copies one after another, and a second one's source may be the
    first one's destination)."""
    largest = max((p for p in pieces if p.source == FRAME), key=lambda p: p.dst.area, default=None)
    return () if largest is None else (Motion(largest.dx, largest.dy, largest.dst),)
