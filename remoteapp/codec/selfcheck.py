"""``remoteapp codecs``: a self-check of the lossy codecs on this computer.

A frozen build can import PyAV and still miss a shared library that only loads when a
codec is opened (PyInstaller collects what the extension modules link against; an
excluded or deduplicated library shows up as late as that).  This encodes a few moving
pictures in each codec that ``lossy.decodable()`` finds, decodes them with a fresh
decoder as the agent would, and prints one line per codec with its size and PSNR, so a
test can run it from the built binary (tests/distribution/test_codecs.py).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from remoteapp.codec.pixels import Pixels

WIDTH: Final = 320
HEIGHT: Final = 192
FRAMES: Final = 8
MIN_PSNR_DB: Final = 25.0  #: a working codec at its default rate is far above this


def _picture(step: int) -> Pixels:
    """A gradient with a moving bar: smooth enough for any codec, never the same twice."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    out = np.empty((HEIGHT, WIDTH, 4), np.uint8)
    out[..., 0] = (x * 255 // WIDTH).astype(np.uint8)
    out[..., 1] = (y * 255 // HEIGHT).astype(np.uint8)
    out[..., 2] = ((x + y + step * 8) % 256).astype(np.uint8)
    out[..., 3] = 255
    bar = (step * 24) % (WIDTH - 32)
    out[:, bar : bar + 32, :3] = 240
    return out


def _psnr(a: Pixels, b: Pixels) -> float:
    diff = a[..., :3].astype(np.int32) - b[..., :3].astype(np.int32)
    mse = float(np.mean(diff * diff))
    return math.inf if mse == 0 else 10 * math.log10(255 * 255 / mse)


def _round_trip(name: str) -> tuple[int, float]:
    """Bytes of ``FRAMES`` pictures coded in ``name`` and their worst PSNR."""
    from remoteapp.codec.jpeg_codec import JpegCoder
    from remoteapp.codec.vp8_codec import Vp8Coder

    if name == "vp8":
        encoder, decoder = Vp8Coder(), Vp8Coder()
        encode = encoder.encode
        decode = decoder.decode_into
    else:
        jpeg = JpegCoder()
        encode, decode = jpeg.encode, jpeg.decode_into
    total, worst = 0, math.inf
    for step in range(FRAMES):
        picture = _picture(step)
        payload = encode(picture)
        out = np.zeros_like(picture)
        decode(memoryview(payload), out)
        total += len(payload)
        worst = min(worst, _psnr(picture, out))
    return total, worst


def run() -> int:
    """Print what decodes here and each codec's round trip; 0 if every codec works."""
    from remoteapp.codec.lossy import LOSSY_CAPABILITIES, decodable

    found = decodable()
    print(f"codecs decodable={','.join(sorted(found)) or '-'}", flush=True)
    failed = 0
    for name in sorted(LOSSY_CAPABILITIES):
        if name not in found:
            print(f"codec={name} ok=0 reason=unavailable", flush=True)
            failed += 1
            continue
        try:
            size, psnr = _round_trip(name)
        except Exception as exc:  # the point is to say what broke, whatever it is
            print(f"codec={name} ok=0 reason={exc!r}", flush=True)
            failed += 1
            continue
        ok = psnr >= MIN_PSNR_DB
        failed += not ok
        print(
            f"codec={name} ok={int(ok)} frames={FRAMES} size={WIDTH}x{HEIGHT} "
            f"bytes={size} psnr_min={psnr:.1f}",
            flush=True,
        )
    return 1 if failed else 0
