"""Lossless BGRA rectangles: the pixels themselves, squeezed by the session zstd stream."""

from __future__ import annotations

import numpy as np

from remoteapp.codec.rect_codec import Pixels
from remoteapp.codec.update_format import PixelEncoding


class RawBGRA:
    encoding = PixelEncoding.BGRA

    def encode(self, pixels: Pixels) -> bytes | memoryview:
        if pixels.flags.c_contiguous:
            return pixels.reshape(-1).data
        return np.ascontiguousarray(pixels).tobytes()

    def decode_into(self, data: memoryview, out: Pixels) -> None:
        h, w = out.shape[:2]
        out[...] = np.frombuffer(data, dtype=np.uint8, count=w * h * 4).reshape(h, w, 4)
