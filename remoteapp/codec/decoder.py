"""Update messages in, framebuffer out; never trusts its input.

Everything in the header and op table is checked before anything is allocated or
decompressed; decompression is bounded by what the header declares, which is itself
bounded by the framebuffer size.  Any failure raises a RemoteProtocolError and leaves the
decoder desynchronized (the shared zstd stream has lost a block) until a key frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from remoteapp.codec.framebuffer import copy_rect
from remoteapp.codec.geometry import Rect
from remoteapp.codec.rect_codec import codec_for
from remoteapp.codec.update_format import (
    Buffer,
    CopyOp,
    CursorOp,
    PixelsOp,
    body_of,
    parse_header,
    parse_ops,
)
from remoteapp.codec.zstd_stream import StreamDecompressor
from remoteapp.errors import DecoderDesynchronized, MalformedUpdate, RemoteProtocolError

Frame = npt.NDArray[np.uint8]

#: 8K UHD; a peer announcing a larger framebuffer is refused before anything is allocated.
DEFAULT_MAX_PIXELS: Final = 7680 * 4320


@dataclass(frozen=True, slots=True)
class DecodedUpdate:
    seq: int
    key: bool
    damage: list[Rect]  #: framebuffer rectangles this update changed (paint these)
    cursor: CursorOp | None


class ScreenDecoder:
    """Apply a session's updates, in order, to a BGRA framebuffer."""

    def __init__(self, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self._max_pixels = max_pixels
        self._stream = StreamDecompressor()
        self._fb: Frame | None = None
        self._in_sync = False
        self.cursor: CursorOp | None = None

    @property
    def framebuffer(self) -> Frame | None:
        """The current screen as (height, width, 4) BGRA; None before the first key frame."""
        return self._fb

    def decode(self, update: Buffer) -> DecodedUpdate:
        """Apply one update; raise a RemoteProtocolError subclass if it is invalid."""
        try:
            return self._decode(update)
        except RemoteProtocolError:
            self._in_sync = False
            raise

    def _decode(self, update: Buffer) -> DecodedUpdate:
        header = parse_header(update)
        if not header.is_key and not self._in_sync:
            raise DecoderDesynchronized("waiting for a key frame after an earlier failure")
        if header.width * header.height > self._max_pixels:
            raise MalformedUpdate(
                f"frame {header.width}x{header.height} exceeds the {self._max_pixels}-pixel limit"
            )
        if header.raw_len > header.width * header.height * 4:
            raise MalformedUpdate(f"declared body of {header.raw_len} bytes exceeds the frame")
        ops = parse_ops(update, header)
        if header.is_key:
            self._stream.reset()
            if self._fb is None or self._fb.shape[:2] != (header.height, header.width):
                self._fb = np.zeros((header.height, header.width, 4), dtype=np.uint8)
        fb = self._fb
        assert fb is not None  # in sync implies a key frame was applied
        if fb.shape[:2] != (header.height, header.width):
            raise MalformedUpdate(
                f"update for {header.width}x{header.height} without a key frame "
                f"(framebuffer is {fb.shape[1]}x{fb.shape[0]})"
            )
        raw = memoryview(self._stream.decompress(body_of(update, header), header.raw_len))
        damage: list[Rect] = []
        cursor = None
        offset = 0
        for op in ops:
            if isinstance(op, PixelsOp):
                r = op.rect
                n = op.nbytes
                codec_for(op.encoding).decode_into(
                    raw[offset : offset + n], fb[r.y : r.bottom, r.x : r.right]
                )
                offset += n
                damage.append(r)
            elif isinstance(op, CopyOp):
                copy_rect(fb, op.src_x, op.src_y, op.dst)
                damage.append(op.dst)
            else:
                cursor = op
        if cursor is not None:
            self.cursor = cursor
        self._in_sync = True
        return DecodedUpdate(header.seq, header.is_key, damage, cursor)
