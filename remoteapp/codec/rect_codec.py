"""The interface every pixel-rectangle codec implements, and the registry of them.

One codec per module (``raw_bgra`` today; a lossy codec for video regions later), like
noVNC's ``core/decoders``: the encoder picks a codec per rectangle, the decoder looks the
codec up by the ``PixelEncoding`` carried in the op.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from remoteapp.codec.update_format import PixelEncoding

Pixels = npt.NDArray[np.uint8]


class RectCodec(Protocol):
    """Turns an (h, w, 4) BGRA block into body bytes and back."""

    encoding: PixelEncoding

    def encode(self, pixels: Pixels) -> bytes | memoryview:
        """Bytes to append to the update body for ``pixels``."""
        ...

    def decode_into(self, data: memoryview, out: Pixels) -> None:
        """Write the decoded rectangle into ``out`` (a framebuffer view of its size)."""
        ...


_CODECS: dict[PixelEncoding, RectCodec] = {}


def codec_for(encoding: PixelEncoding) -> RectCodec:
    """The codec for ``encoding`` (its size rule is ``update_format.BYTES_PER_PIXEL``)."""
    if not _CODECS:
        from remoteapp.codec.raw_bgra import RawBGRA

        _CODECS[PixelEncoding.BGRA] = RawBGRA()
    return _CODECS[encoding]
