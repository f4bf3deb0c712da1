"""Screen update codec: tile delta detection, motion (scroll/move) copies, zstd stream.

``ScreenEncoder`` turns a sequence of BGRA frames into update messages; ``ScreenDecoder``
applies them to a framebuffer.  Both are sans-IO: bytes in, bytes out.  The wire format
is in ``update_format`` and documented in ``docs/protocol.md``.
"""

from remoteapp.codec.decoder import DecodedUpdate, ScreenDecoder
from remoteapp.codec.encoder import EncodeStats, ScreenEncoder
from remoteapp.codec.geometry import Rect

__all__ = ["DecodedUpdate", "EncodeStats", "Rect", "ScreenDecoder", "ScreenEncoder"]
