"""DXGI Desktop Duplication's frame metadata, decoded (sans-IO, runs on any OS): what a
Windows damage source reports with each grab.  The source itself (``dxgi.py``: the COM
calls, the staging texture, the thread blocked in ``AcquireNextFrame``) is designed in
docs/capture.md and not written: it cannot run on this project's CI.

``AcquireNextFrame`` hands over a frame whose metadata two calls copy out as arrays of
little-endian structures (every Windows target is little-endian):

    GetFrameMoveRects    DXGI_OUTDUPL_MOVE_RECT   POINT SourcePoint; RECT DestinationRect
                                                  6 x LONG, 24 bytes
    GetFrameDirtyRects   RECT                     left, top, right, bottom: 4 x LONG, 16 bytes

in the pixels of the output's desktop image.  The moves come first: the OS moved those
areas, then drew the dirty ones, which is also the order the source applies them to its
kept frame.  For the encoder a move is a hint, verified like ConfigureNotify's, and its
destination is damage as much as a dirty rect is: DXGI does not list it again among the
dirty rects.  A rotated output (``DXGI_OUTDUPL_DESC.Rotation`` 90, 180 or 270) is
reported as damaged everywhere, without moves: mapping the rects through the rotation
waits until it can be tried on a rotated display, and a full diff is always right.

Errors: a buffer that is not a whole number of structures is the driver's fault and
raises ``CaptureError``; the source then reports the whole output (``EVERYTHING``) for
that frame, as the X11 source does when its connection breaks.  Values outside the
output (negative, or up to 2**31 - 1) are clipped, never trusted.
"""

from __future__ import annotations

import logging
import struct
from enum import IntEnum
from typing import Final

from remoteapp.capture.damage import EVERYTHING, RectTuple
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion
from remoteapp.errors import CaptureError

log = logging.getLogger("remoteapp.capture")

_MOVE: Final = struct.Struct("<6l")
_RECT: Final = struct.Struct("<4l")
MOVE_RECT_SIZE: Final = _MOVE.size  #: bytes of one DXGI_OUTDUPL_MOVE_RECT
DIRTY_RECT_SIZE: Final = _RECT.size  #: bytes of one RECT


class Rotation(IntEnum):
    """``DXGI_MODE_ROTATION``."""

    UNSPECIFIED = 0
    IDENTITY = 1
    ROTATE90 = 2
    ROTATE180 = 3
    ROTATE270 = 4


def _whole(buf: bytes | memoryview, size: int, what: str) -> None:
    if len(buf) % size:
        raise CaptureError(f"{what}: {len(buf)} bytes is not a whole number of {size}-byte records")


def decode_dirty(buf: bytes | memoryview, width: int, height: int) -> list[RectTuple]:
    """The dirty rects of ``GetFrameDirtyRects`` as (x, y, w, h), clipped to the output
    (``width`` x ``height``); empty ones are left out."""
    _whole(buf, DIRTY_RECT_SIZE, "dirty rects")
    out: list[RectTuple] = []
    screen = Rect(0, 0, width, height)
    for left, top, right, bottom in _RECT.iter_unpack(buf):
        r = Rect(left, top, right - left, bottom - top).intersect(screen)
        if not r.is_empty():
            out.append((r.x, r.y, r.w, r.h))
    return out


def decode_moves(buf: bytes | memoryview, width: int, height: int) -> list[Motion]:
    """The move rects of ``GetFrameMoveRects`` as motions (``dst`` now equals ``dst``
    shifted by (-dx, -dy) before), cut to where both the destination and the source lie
    inside the output; empty ones are left out."""
    _whole(buf, MOVE_RECT_SIZE, "move rects")
    out: list[Motion] = []
    screen = Rect(0, 0, width, height)
    for sx, sy, left, top, right, bottom in _MOVE.iter_unpack(buf):
        dx, dy = left - sx, top - sy
        dst = Rect(left, top, right - left, bottom - top).intersect(screen)
        dst = dst.intersect(screen.shifted(dx, dy))  # (the source on the output too)
        if not dst.is_empty():
            out.append(Motion(dx, dy, dst))
    return out


def frame_hints(
    move_buf: bytes | memoryview,
    dirty_buf: bytes | memoryview,
    width: int,
    height: int,
    rotation: int = Rotation.IDENTITY,
) -> tuple[list[RectTuple], list[Motion]]:
    """One acquired frame's damage (the moves' destinations, then the dirty rects) and
    move hints.  A rotated output, or metadata that does not decode, is everything."""
    if rotation not in (Rotation.UNSPECIFIED, Rotation.IDENTITY):
        return [EVERYTHING], []
    try:
        moves = decode_moves(move_buf, width, height)
        dirty = decode_dirty(dirty_buf, width, height)
    except CaptureError as exc:
        log.warning("capture event=bad-metadata reason=%r", str(exc))
        return [EVERYTHING], []
    return [(m.dst.x, m.dst.y, m.dst.w, m.dst.h) for m in moves] + dirty, moves
