"""Screen update codec: tile delta detection, motion (scroll/move) copies, zstd stream.

``ScreenEncoder`` turns a sequence of BGRA frames into update messages; ``ScreenDecoder``
applies them to a framebuffer.  Both are sans-IO: bytes in, bytes out.  The wire format
is in ``update_format`` and documented in ``docs/protocol.md``.  Pixel rectangles go
through codecs that register themselves in ``rect_codec`` when their module is imported;
every codec module is imported here, so importing any part of the package registers them.
"""

from remoteapp.codec import (
    jpeg_codec,  # noqa: F401  (registers codec 2, jpeg)
    raw_bgra,  # noqa: F401  (registers codec 0, raw-bgra)
    vp8_codec,  # noqa: F401  (registers codec 1, vp8; av loads lazily)
)
from remoteapp.codec.decoder import DecodedUpdate, ScreenDecoder
from remoteapp.codec.encode_stats import EncodeStats
from remoteapp.codec.encoder import ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.lossy import LossyMode
from remoteapp.codec.pixels import Pixels

__all__ = [
    "DecodedUpdate",
    "EncodeStats",
    "LossyMode",
    "Pixels",
    "Rect",
    "ScreenDecoder",
    "ScreenEncoder",
]
