"""The encoder's small path: a typed key's damage box in one C call.

A typed key damages the 64-px tiles its glyph and caret touch: one, two, or four
(128x128) where they straddle a tile corner.  ``Stream.encode_small`` (``_zsmall.c``)
diffs such a box, keeps the region tracker's books and packs the update in one call;
its Python twin is ``tiles.small_box_rects`` then ``ScreenEncoder._finish``, and the
two take the same boxes (``SMALL_SIDE``) and send the same bytes.  ``SmallPath`` is a
part of ``ScreenEncoder`` kept apart, with the encoder's state it reads and writes named
in its class body.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from remoteapp.codec.copy_guesses import MOTION_MIN_AREA
from remoteapp.codec.encode_stats import stats_of
from remoteapp.codec.geometry import Rect
from remoteapp.codec.lossy import NEVER_LOSSY
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.tiles import TILE

if TYPE_CHECKING:
    from remoteapp.codec.encode_stats import EncodeStats
    from remoteapp.codec.lossy import LossyPlanner
    from remoteapp.codec.update_format import Op
    from remoteapp.codec.zstd_stream import StreamCompressor

#: Which damage the small path takes (``min_area, max_side`` of ``small_box_rects`` and
#: ``encode_small``: ``MOTION_MIN_AREA, SMALL_SIDE``): bounds of an area under the motion
#: search's, which the general path would not search, and bounds that fit in four tiles,
#: 128x128, the search's area exactly (a glyph and its caret over a tile corner).  Not
#: any bounds of that area: a scrolled row of four tiles (256x64) goes the general way,
#: where the motion search may send it as a copy.
SMALL_SIDE: Final = 2 * TILE
#: ``LossyPlanner.small_lane``'s answer without a planner: every rectangle goes raw
_NO_PLANNER: Final = (NEVER_LOSSY, Rect, None)


class SmallPath:
    """``ScreenEncoder``'s small path: the encoder's state it uses, and the method."""

    _stream: StreamCompressor
    _planner: LossyPlanner | None
    _seq: int  #: the next update's
    last_stats: EncodeStats | None
    #: the small path is tried (False: the general path takes every update, as without
    #: the C extension; tests compare the two)
    small_path: bool
    small_taken: int  #: updates the small path packed whole
    small_handed: int  #: updates it handed to the planner with tiles due for their measure

    if TYPE_CHECKING:  # (``ScreenEncoder``'s, which the small path ends with)

        def _finish(
            self, frame: Pixels, ref: Pixels, rects: list[Rect], ops: list[Op],
            cursor: tuple[int, int] | None, adopting: bool, copies: int = 0,
            counted: list[tuple[int, int]] | None = None,
        ) -> bytes: ...  # fmt: skip

        def _took(self, frame: Pixels, ref: Pixels, rects: list[Rect], adopting: bool) -> None: ...

    def _small(
        self, frame: Pixels, ref: Pixels, damage: Sequence[Rect],
        cursor: tuple[int, int] | None, adopting: bool,
    ) -> bytes | None:  # fmt: skip
        """A typed key's box in one C call (``Stream.encode_small``: the diff, the region
        tracker's books and the packing, as ``small_box_rects``, ``_finish`` and
        ``_pack_raw`` would), where the planner has nothing to add; None where the other
        paths take it (not built, not a small box)."""
        if not self.small_path:
            return None
        packer, planner = self._stream.native, self._planner
        lane = _NO_PLANNER if planner is None else planner.small_lane()
        if packer is None or lane is None:
            return None
        height, width = frame.shape[:2]
        got = packer.encode_small(
            frame, ref, width, height, damage, cursor, self._seq, MOTION_MIN_AREA, SMALL_SIDE, *lane
        )
        if got is None:
            return None
        update, rects, due, body_len, raw_len = got
        if update is None:  # (the planner's turn: a due tile photo-like, JPEG's size)
            self.small_handed += bool(due)
            return self._finish(frame, ref, rects, [], cursor, adopting, counted=due)
        if due is not None:  # (its due tiles measured: none photo-like)
            planner.tracker.counted(rects)  # type: ignore[union-attr]  # (lane: a planner)
        self._seq = (self._seq + 1) & 0xFFFFFFFF
        self._took(frame, ref, rects, adopting)
        self.last_stats = stats_of((False, 0, len(rects), raw_len, body_len, len(update), 0))
        self.small_taken += 1
        return update
