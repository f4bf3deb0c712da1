"""ScreenCaptureKit's frame metadata, decoded (sans-IO, runs on any OS): what a macOS
damage source reports with each grab.  The source itself (``sck.py``: the ``SCStream``,
its output handler on a dispatch queue, through PyObjC) is designed in docs/capture.md
and not written: it cannot run on this project's CI.

Each sample buffer of an ``SCStream`` carries ``SCStreamFrameInfo`` attachments: a
status (``SCFrameStatus``) and, for a complete frame, ``dirtyRects``: CGRects in points
of the captured display, which ``scaleFactor`` turns into the pixels the frame holds
(2 on a Retina display, 1.5 on some scaled modes).  A rect is rounded outward to whole
pixels, so a fractional edge never leaves a changed pixel out, and clipped to the frame.

What each status means for the capture loop (``frame_damage``):

    complete    the dirty rects
    idle        nothing changed: ``[]`` (the stream repeats the last frame)
    blank       nothing to show (the display asleep): ``[]``; never a black screen sent
    suspended   the stream paused: ``[]``
    started     the first frame: everything (``None``)
    stopped     ``[]``; the source reports the end on its own

A status this module does not know, or a rect that is not finite (NaN, infinity), is
everything: a full diff is always right.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import IntEnum

from remoteapp.capture.damage import RectTuple

CGRectTuple = tuple[float, float, float, float]  #: x, y, width, height in points


class FrameStatus(IntEnum):
    """``SCFrameStatus``."""

    COMPLETE = 0
    IDLE = 1
    BLANK = 2
    SUSPENDED = 3
    STARTED = 4
    STOPPED = 5


_NOTHING_NEW = frozenset(
    {FrameStatus.IDLE, FrameStatus.BLANK, FrameStatus.SUSPENDED, FrameStatus.STOPPED}
)


def dirty_pixels(
    rects: Sequence[CGRectTuple], scale: float, width: int, height: int
) -> list[RectTuple] | None:
    """The dirty rects (points) as pixel rects (x, y, w, h), rounded outward and clipped
    to ``width`` x ``height``; empty ones are left out.  None (everything) when a value
    is not finite (scaled too), or the scale is not positive."""
    if not (math.isfinite(scale) and scale > 0):
        return None
    out: list[RectTuple] = []
    for x, y, w, h in rects:
        # (a CGRect may have a negative size: its origin is then the far corner)
        x0, x1 = sorted((x * scale, (x + w) * scale))
        y0, y1 = sorted((y * scale, (y + h) * scale))
        if not all(math.isfinite(v) for v in (x0, x1, y0, y1)):  # (NaN, or too large)
            return None
        left, top = max(0, math.floor(x0)), max(0, math.floor(y0))
        right, bottom = min(width, math.ceil(x1)), min(height, math.ceil(y1))
        if right > left and bottom > top:
            out.append((left, top, right - left, bottom - top))
    return out


def frame_damage(
    status: int, rects: Sequence[CGRectTuple], scale: float, width: int, height: int
) -> list[RectTuple] | None:
    """One sample buffer's damage in pixels: ``[]`` nothing new, None everything (see
    the module docstring for each status)."""
    if status == FrameStatus.COMPLETE:
        return dirty_pixels(rects, scale, width, height)
    if status in _NOTHING_NEW:
        return []
    return None  # started, or a status added after this was written
