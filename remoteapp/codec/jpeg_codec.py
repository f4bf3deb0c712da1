"""Lossy JPEG rectangles (codec id 2) through simplejpeg (libjpeg-turbo).

For photo-like content that changes now and then (the wallpaper a dragged window
uncovers): one JPEG per rectangle, no state between updates, so it needs nothing from the
session but the rectangle and no per-stream setup.  Measured against VP8 intra on a
512x256 block of ``bench.desktop_photo``'s grainy wallpaper: VP8 is far smaller at the
same PSNR (0.7 KB vs 11.7 KB at ~32 dB: both drop the grain) and at high quality (SSIM
.975 in 44 KB vs JPEG q95's .957 in 50 KB), but every rectangle a drag uncovers has a new
size, so VP8 needs a new encoder each time (1.5-25 ms with its key picture on a busy
machine) where JPEG takes 0.4 ms; JPEG already brings the photo drag under its 3 Mbit/s
target (``bench.lossy``).  The encoder refreshes what it sent this way losslessly once
the area is still (``remoteapp.codec.lossy``).

Decoding reads the JPEG header first and refuses a picture whose size is not the op's
rectangle before any pixel memory is allocated; every libjpeg complaint becomes a
MalformedUpdate.
"""

from __future__ import annotations

import importlib.util
from typing import Final

import numpy as np

from remoteapp.codec.pixels import Pixels
from remoteapp.codec.rect_codec import CodecInfo, register
from remoteapp.errors import MalformedUpdate

JPEG_ID: Final = 2
DEFAULT_QUALITY: Final = 75
#: Smallest JPEG: SOI, a few segments, EOI; anything shorter cannot be a picture.
MIN_PAYLOAD: Final = 64
#: A baseline JPEG at quality 100 stays well under 4 bytes a pixel; plus headers.
HEADER_ROOM: Final = 4096


class JpegCoder:
    """Stateless per-rectangle JPEG; ``quality`` may change between rectangles."""

    def __init__(self, quality: int = DEFAULT_QUALITY) -> None:
        self.quality = quality

    def encode(self, pixels: Pixels) -> bytes:
        import simplejpeg

        block = pixels if pixels.flags.c_contiguous else np.ascontiguousarray(pixels)
        return bytes(
            simplejpeg.encode_jpeg(
                block, quality=self.quality, colorspace="BGRA", colorsubsampling="420"
            )
        )

    def decode_into(self, payload: memoryview, out: Pixels) -> None:
        import simplejpeg

        h, w = out.shape[:2]
        data = bytes(payload)
        try:
            height, width, _, _ = simplejpeg.decode_jpeg_header(data)
            if (width, height) != (w, h):
                raise MalformedUpdate(f"jpeg of {width}x{height} for a {w}x{h} rectangle")
            picture = simplejpeg.decode_jpeg(data, colorspace="BGRA")
        except (ValueError, TypeError, RuntimeError) as exc:
            raise MalformedUpdate(f"jpeg payload does not decode: {exc}") from exc
        if picture.shape != (h, w, 4):
            raise MalformedUpdate(f"jpeg decoded to {picture.shape}, expected {(h, w, 4)}")
        out[...] = picture


def _limits(width: int, height: int) -> tuple[int, int]:
    return MIN_PAYLOAD, width * height * 4 + HEADER_ROOM


JPEG: Final = register(
    CodecInfo(
        JPEG_ID,
        "jpeg",
        lossy=True,
        supported=importlib.util.find_spec("simplejpeg") is not None,
        payload_limits=_limits,
        new=JpegCoder,
    )
)
