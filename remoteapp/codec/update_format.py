"""Wire format of one screen update (version 2); see ``docs/protocol.md``.

An update is a fixed header, a table of fixed-size operations, and one body: the payload
of every PIXELS operation, concatenated in table order and compressed as the next flushed
block of the session's single zstd stream.  The op table is not compressed and every
PIXELS op carries its codec id and payload length, so a receiver checks every rectangle,
every codec and the body size *before* it decompresses anything, and can find each
payload without knowing what the codec does with it.

Pure data and struct packing: no numpy, no zstd, no codec registry, no I/O.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import Final

from remoteapp.codec.geometry import Rect
from remoteapp.errors import LocalProtocolError, MalformedUpdate

#: What the parsers accept: an update as received, without copying it.
Buffer = bytes | bytearray | memoryview

MAGIC: Final = b"RAUP"
VERSION: Final = 2

#: magic, version, flags, reserved, seq, width, height, op_count, body_len, raw_len
HEADER: Final = struct.Struct("<4sBBHIHHIII")
#: Every op is OP_SIZE bytes: kind u8, arg u8, then 12 bytes laid out by kind.
OP_SIZE: Final = 14
#: COPY: kind, 0, src_x, src_y, x, y, w, h
COPY_OP: Final = struct.Struct("<BB6H")
#: PIXELS: kind, codec id, x, y, w, h, payload length
PIXELS_OP: Final = struct.Struct("<BB4HI")
#: CURSOR: kind, flags (bit 0 visible), x + 32768, y + 32768, 8 reserved zero bytes
CURSOR_OP: Final = struct.Struct("<BBHH8s")

MAX_DIMENSION: Final = 16384
MAX_OPS: Final = 65535
#: The body may decompress to this much more than the frame's raw pixels: room for the
#: headers a lossy codec puts in front of a tiny rectangle.
MAX_BODY_OVERHEAD: Final = 1024 * 1024
BYTES_PER_PIXEL: Final = 4  #: of the framebuffer (BGRA), whatever a codec sends


class Flag(enum.IntFlag):
    """Header flags."""

    KEY = 1  #: reset: new framebuffer size, new compression stream, new codec state


class OpKind(enum.IntEnum):
    """What an entry of the op table does, applied in table order."""

    COPY = 1  #: copy a rectangle of the framebuffer (scroll, moved window); overlap-safe
    PIXELS = 2  #: replace a rectangle with a codec's payload from the body
    CURSOR = 3  #: pointer position (hot spot) and visibility


@dataclass(frozen=True, slots=True)
class CopyOp:
    """Copy ``src`` (as it is before this op) to ``dst``; both are the same size."""

    src_x: int
    src_y: int
    dst: Rect


@dataclass(frozen=True, slots=True)
class PixelsOp:
    """Fill ``rect`` by decoding the next ``length`` body bytes with codec ``codec``."""

    rect: Rect
    codec: int  #: id in ``remoteapp.codec.rect_codec``'s registry
    length: int  #: payload bytes in the decompressed body


@dataclass(frozen=True, slots=True)
class CursorOp:
    """Pointer hot spot in framebuffer coordinates; may lie outside it (other monitor)."""

    x: int
    y: int
    visible: bool = True


Op = CopyOp | PixelsOp | CursorOp


@dataclass(frozen=True, slots=True)
class UpdateHeader:
    flags: Flag
    seq: int
    width: int
    height: int
    op_count: int
    body_len: int
    raw_len: int  #: bytes the body decompresses to: the PIXELS ops' lengths summed

    @property
    def is_key(self) -> bool:
        return bool(self.flags & Flag.KEY)


_CURSOR_BIAS: Final = 32768  # cursor coordinates are stored as unsigned x + bias
_NO_RESERVED: Final = bytes(8)


def pack_update(header: UpdateHeader, ops: list[Op], body: bytes) -> bytes:
    """Serialize an update; raise LocalProtocolError if it would not be valid."""
    if len(ops) != header.op_count or len(body) != header.body_len:
        raise LocalProtocolError("op count or body length disagrees with the header")
    if not (1 <= header.width <= MAX_DIMENSION and 1 <= header.height <= MAX_DIMENSION):
        raise LocalProtocolError(f"frame size {header.width}x{header.height} is out of range")
    if header.op_count > MAX_OPS:
        raise LocalProtocolError(f"{header.op_count} ops exceed the limit of {MAX_OPS}")
    if header.raw_len != sum(op.length for op in ops if isinstance(op, PixelsOp)):
        raise LocalProtocolError("raw length disagrees with the PIXELS ops")
    try:
        head = HEADER.pack(
            MAGIC,
            VERSION,
            int(header.flags),
            0,
            header.seq & 0xFFFFFFFF,
            header.width,
            header.height,
            header.op_count,
            header.body_len,
            header.raw_len,
        )
    except struct.error as exc:
        raise LocalProtocolError(f"cannot pack {header!r}: {exc}") from exc
    return b"".join([head, *map(_pack_op, ops), body])


def _pack_op(op: Op) -> bytes:
    try:
        if isinstance(op, CopyOp):
            d = op.dst
            return COPY_OP.pack(OpKind.COPY, 0, op.src_x, op.src_y, d.x, d.y, d.w, d.h)
        if isinstance(op, PixelsOp):
            r = op.rect
            return PIXELS_OP.pack(OpKind.PIXELS, op.codec, r.x, r.y, r.w, r.h, op.length)
        x = min(max(op.x, -_CURSOR_BIAS), _CURSOR_BIAS - 1) + _CURSOR_BIAS
        y = min(max(op.y, -_CURSOR_BIAS), _CURSOR_BIAS - 1) + _CURSOR_BIAS
        return CURSOR_OP.pack(OpKind.CURSOR, int(op.visible), x, y, _NO_RESERVED)
    except struct.error as exc:
        raise LocalProtocolError(f"cannot pack {op!r}: {exc}") from exc


def parse_header(data: Buffer) -> UpdateHeader:
    """Read and check the fixed header; raise MalformedUpdate on anything off."""
    if len(data) < HEADER.size:
        raise MalformedUpdate(f"update of {len(data)} bytes is shorter than its header")
    magic, version, flags, reserved, seq, width, height, op_count, body_len, raw_len = (
        HEADER.unpack_from(data)
    )
    if magic != MAGIC:
        raise MalformedUpdate("not a screen update (bad magic)")
    if version != VERSION:
        raise MalformedUpdate(
            f"update format version {version} is not supported (this remoteapp reads {VERSION})"
        )
    if flags & ~int(Flag.KEY) or reserved:
        raise MalformedUpdate(f"unknown header flags {flags:#x} or reserved bits {reserved:#x}")
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise MalformedUpdate(f"frame size {width}x{height} is out of range")
    if op_count > MAX_OPS:
        raise MalformedUpdate(f"{op_count} ops exceed the limit of {MAX_OPS}")
    if raw_len > width * height * BYTES_PER_PIXEL + MAX_BODY_OVERHEAD:
        raise MalformedUpdate(f"declared body of {raw_len} bytes exceeds the frame")
    expected = HEADER.size + op_count * OP_SIZE + body_len
    if len(data) != expected:
        raise MalformedUpdate(f"update is {len(data)} bytes, its header says {expected}")
    return UpdateHeader(Flag(flags), seq, width, height, op_count, body_len, raw_len)


def parse_ops(data: Buffer, header: UpdateHeader) -> list[Op]:
    """Decode the op table and check every rectangle against the frame size.

    Codecs are not looked up here: that is the decoder's registry's business, so this
    module knows the layout only.
    """
    ops: list[Op] = []
    offset = HEADER.size
    raw_total = 0
    width, height = header.width, header.height
    for index in range(header.op_count):
        kind, arg = data[offset], data[offset + 1]
        if kind == OpKind.COPY:
            _, _, sx, sy, x, y, w, h = COPY_OP.unpack_from(data, offset)
            dst = Rect(x, y, w, h)
            if arg:
                raise MalformedUpdate(f"op {index}: copy with argument {arg}")
            if dst.is_empty() or not dst.inside(width, height):
                raise MalformedUpdate(f"op {index}: copy target {dst} is outside the frame")
            if not Rect(sx, sy, w, h).inside(width, height):
                raise MalformedUpdate(
                    f"op {index}: copy source at ({sx},{sy}) is outside the frame"
                )
            ops.append(CopyOp(sx, sy, dst))
        elif kind == OpKind.PIXELS:
            _, _, x, y, w, h, length = PIXELS_OP.unpack_from(data, offset)
            rect = Rect(x, y, w, h)
            if rect.is_empty() or not rect.inside(width, height):
                raise MalformedUpdate(f"op {index}: rectangle {rect} is outside the frame")
            raw_total += length
            ops.append(PixelsOp(rect, arg, length))
        elif kind == OpKind.CURSOR:
            _, _, x, y, reserved = CURSOR_OP.unpack_from(data, offset)
            if arg & ~1 or reserved != _NO_RESERVED:
                raise MalformedUpdate(f"op {index}: cursor with unknown bits set")
            ops.append(CursorOp(x - _CURSOR_BIAS, y - _CURSOR_BIAS, bool(arg & 1)))
        else:
            raise MalformedUpdate(f"op {index}: unknown kind {kind}")
        offset += OP_SIZE
    if raw_total != header.raw_len:
        raise MalformedUpdate(f"pixel ops need {raw_total} bytes, header says {header.raw_len}")
    return ops


def body_of(data: Buffer, header: UpdateHeader) -> memoryview:
    """The compressed body of an update whose header was already parsed."""
    start = HEADER.size + header.op_count * OP_SIZE
    return memoryview(data)[start : start + header.body_len]
