"""Lossless BGRA rectangles (codec id 0): the pixels themselves, squeezed by the session's
zstd stream, which is what makes them small."""

from __future__ import annotations

from typing import Final

import numpy as np

from remoteapp.codec.pixels import Pixels
from remoteapp.codec.rect_codec import CodecInfo, register
from remoteapp.codec.update_format import BYTES_PER_PIXEL
from remoteapp.errors import MalformedUpdate

RAW_BGRA_ID: Final = 0


class RawBGRA:
    """Stateless: rows top to bottom, 4 bytes per pixel, no padding."""

    def encode(self, pixels: Pixels) -> bytes | memoryview:
        # one copy of a block narrower than its frame (not two: ``tobytes`` after it)
        return np.ascontiguousarray(pixels).reshape(-1).data

    def decode_into(self, payload: memoryview, out: Pixels) -> None:
        h, w = out.shape[:2]
        if len(payload) != w * h * BYTES_PER_PIXEL:
            raise MalformedUpdate(f"raw-bgra payload of {len(payload)} bytes for {w}x{h}")
        out[...] = np.frombuffer(payload, dtype=np.uint8).reshape(h, w, BYTES_PER_PIXEL)


def _exact(width: int, height: int) -> tuple[int, int]:
    size = width * height * BYTES_PER_PIXEL
    return size, size


RAW_BGRA: Final = register(
    CodecInfo(
        RAW_BGRA_ID, "raw-bgra", lossy=False, supported=True, payload_limits=_exact, new=RawBGRA
    )
)
