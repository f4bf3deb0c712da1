"""Frame builders for codec tests: text-like content, scrolls, moved blocks."""

from __future__ import annotations

import numpy as np

from remoteapp.codec.pixels import Pixels


def texty(height: int, width: int, seed: int = 0) -> Pixels:
    """Light background with dark glyph-like blobs in lines: compressible, distinctive."""
    rng = np.random.default_rng(seed)
    frame = np.full((height, width, 4), 245, dtype=np.uint8)
    frame[..., 3] = 255
    for top in range(4, height - 12, 18):
        x = 6
        while x < width - 10:
            glyph_w = int(rng.integers(4, 9))
            mask = rng.random((11, glyph_w)) < 0.45
            shade = rng.integers(0, 90, size=3, dtype=np.uint8)
            block = frame[top : top + 11, x : x + glyph_w]
            block[mask, :3] = shade
            x += glyph_w + int(rng.integers(1, 3)) + (8 if rng.random() < 0.15 else 0)
    return frame


def noise(height: int, width: int, seed: int = 0) -> Pixels:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 4), dtype=np.uint8)
