"""Framebuffer operations shared by encoder and decoder, so both sides do the same thing."""

from __future__ import annotations

import numpy as np

from remoteapp.codec.geometry import Rect
from remoteapp.codec.pixels import Pixels


def copy_rect(fb: Pixels, src_x: int, src_y: int, dst: Rect) -> None:
    """Copy the ``dst``-sized block at (src_x, src_y) onto ``dst``, overlap-safe.

    numpy would route an overlapping assignment through a temporary copy of the whole
    block; a vertical scroll instead goes in bands no taller than the shift, in the order
    that never reads a row already written, so each byte moves once.
    """
    dy = dst.y - src_y
    if dy == 0 or abs(dy) >= dst.h:
        fb[dst.y : dst.bottom, dst.x : dst.right] = fb[src_y : src_y + dst.h, src_x : src_x + dst.w]
        return
    step = abs(dy)
    offsets = range(0, dst.h, step) if dy < 0 else range(((dst.h - 1) // step) * step, -1, -step)
    for off in offsets:
        rows = min(step, dst.h - off)
        np.copyto(
            fb[dst.y + off : dst.y + off + rows, dst.x : dst.right],
            fb[src_y + off : src_y + off + rows, src_x : src_x + dst.w],
        )
