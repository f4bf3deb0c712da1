"""Refuse what is not a whole BGRA frame the encoder can take, with a clear error.

Every update checks its frame, so a good one passes in one test (a typed key's update
runs this too)."""

from __future__ import annotations

import numpy as np

from remoteapp.codec.pixels import Pixels
from remoteapp.codec.update_format import BYTES_PER_PIXEL, MAX_DIMENSION
from remoteapp.errors import LocalProtocolError


def check_frame(frame: Pixels) -> None:
    """Refuse what is not a whole BGRA frame (a good one passes in one test: every
    update checks its frame)."""
    good = isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 3
    shape = frame.shape if good else (0, 0, 0)
    if (
        good
        and shape[2] == BYTES_PER_PIXEL
        and frame.flags.c_contiguous
        and (1 <= shape[0] <= MAX_DIMENSION and 1 <= shape[1] <= MAX_DIMENSION)
    ):
        return
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
        raise LocalProtocolError("a frame must be a uint8 numpy array")
    if frame.ndim != 3 or frame.shape[2] != BYTES_PER_PIXEL:
        raise LocalProtocolError(f"a frame must be (height, width, 4) BGRA, not {frame.shape}")
    height, width = frame.shape[:2]
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise LocalProtocolError(f"frame size {width}x{height} is out of range")
    if not frame.flags.c_contiguous:
        raise LocalProtocolError("a frame must be C-contiguous")
