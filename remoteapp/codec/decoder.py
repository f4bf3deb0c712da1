"""Update messages in, framebuffer out; never trusts its input.

Everything in the header and op table is checked before anything is allocated or
decompressed: rectangles, and for every PIXELS op its codec (looked up in the registry
of ``rect_codec`` by id) and its payload length against that codec's limits.
Decompression is bounded by what the header declares, which is itself bounded by the
framebuffer size.  Then one loop applies the ops, handing each PIXELS payload to its
codec: a new codec registers itself and never changes this loop.  Any failure raises a
RemoteProtocolError and leaves the decoder desynchronized (the shared zstd stream has
lost a block) until a key frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from remoteapp.codec.framebuffer import copy_rect
from remoteapp.codec.geometry import Rect
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.rect_codec import RectCodec, lookup
from remoteapp.codec.update_format import (
    BYTES_PER_PIXEL,
    Buffer,
    CopyOp,
    CursorOp,
    Op,
    PixelsOp,
    body_of,
    parse_header,
    parse_ops,
)
from remoteapp.codec.zstd_stream import StreamDecompressor
from remoteapp.errors import DecoderDesynchronized, MalformedUpdate, RemoteProtocolError

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
        self._coders: dict[int, RectCodec] = {}  # codec id -> this stream's coder
        self._fb: Pixels | None = None
        self._in_sync = False
        self.cursor: CursorOp | None = None

    @property
    def framebuffer(self) -> Pixels | None:
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
        ops = parse_ops(update, header)
        if header.is_key:
            self._stream.reset()
            self._coders.clear()
        coders = self._coders_for(ops)
        size = (header.height, header.width)
        if header.is_key and (self._fb is None or self._fb.shape[:2] != size):
            self._fb = np.zeros((*size, BYTES_PER_PIXEL), dtype=np.uint8)
        fb = self._fb
        assert fb is not None  # in sync implies a key frame was applied
        if fb.shape[:2] != size:
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
                coders[op.codec].decode_into(
                    raw[offset : offset + op.length], fb[r.y : r.bottom, r.x : r.right]
                )
                offset += op.length
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

    def _coders_for(self, ops: list[Op]) -> dict[int, RectCodec]:
        """This stream's coder for every codec the ops name, each payload length checked
        against its codec's limits; MalformedUpdate before anything is decompressed."""
        for index, op in enumerate(ops):
            if not isinstance(op, PixelsOp):
                continue
            info = lookup(op.codec)  # unknown or unsupported: MalformedUpdate
            fewest, most = info.payload_limits(op.rect.w, op.rect.h)
            if not fewest <= op.length <= most:
                raise MalformedUpdate(
                    f"op {index}: {info.name} payload of {op.length} bytes for a "
                    f"{op.rect.w}x{op.rect.h} rectangle (allowed {fewest}..{most})"
                )
            if op.codec not in self._coders:
                self._coders[op.codec] = info.new()
        return self._coders
