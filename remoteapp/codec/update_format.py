"""Wire format of one screen update (version 1); see ``docs/protocol.md``.

An update is a fixed header, a table of fixed-size operations, and one body: the pixel
bytes of every PIXELS operation, concatenated in table order and compressed as the next
flushed block of the session's single zstd stream.  The op table is not compressed, so a
receiver can check every rectangle and the body size *before* it decompresses anything.

Pure data and struct packing: no numpy, no zstd, no I/O.
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
VERSION: Final = 1

#: magic, version, flags, reserved, seq, width, height, op_count, body_len, raw_len
HEADER: Final = struct.Struct("<4sBBHIHHIII")
#: kind, arg, then six 16-bit fields whose meaning depends on the kind
OP: Final = struct.Struct("<BB6H")

MAX_DIMENSION: Final = 16384
MAX_OPS: Final = 65535


class Flag(enum.IntFlag):
    """Header flags."""

    KEY = 1  #: reset: new framebuffer size, new compression stream


class OpKind(enum.IntEnum):
    """What an entry of the op table does, applied in table order."""

    COPY = 1  #: copy a rectangle of the framebuffer (scroll, moved window); overlap-safe
    PIXELS = 2  #: replace a rectangle with pixels from the body
    CURSOR = 3  #: pointer position (hot spot) and visibility


class PixelEncoding(enum.IntEnum):
    """How a PIXELS rectangle's bytes are laid out in the body."""

    BGRA = 0  #: 4 bytes per pixel, row-major, no padding


BYTES_PER_PIXEL: Final = {PixelEncoding.BGRA: 4}


@dataclass(frozen=True, slots=True)
class CopyOp:
    """Copy ``src`` (as it is before this op) to ``dst``; both are the same size."""

    src_x: int
    src_y: int
    dst: Rect


@dataclass(frozen=True, slots=True)
class PixelsOp:
    """Fill ``rect`` with the next ``rect.area * bpp`` body bytes."""

    rect: Rect
    encoding: PixelEncoding = PixelEncoding.BGRA

    @property
    def nbytes(self) -> int:
        return self.rect.area * BYTES_PER_PIXEL[self.encoding]


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
    raw_len: int

    @property
    def is_key(self) -> bool:
        return bool(self.flags & Flag.KEY)


_CURSOR_BIAS: Final = 32768  # cursor coordinates are stored as unsigned x + bias


def pack_update(header: UpdateHeader, ops: list[Op], body: bytes) -> bytes:
    """Serialize an update; raise LocalProtocolError if it would not be valid."""
    if len(ops) != header.op_count or len(body) != header.body_len:
        raise LocalProtocolError("op count or body length disagrees with the header")
    if not (1 <= header.width <= MAX_DIMENSION and 1 <= header.height <= MAX_DIMENSION):
        raise LocalProtocolError(f"frame size {header.width}x{header.height} is out of range")
    if header.op_count > MAX_OPS:
        raise LocalProtocolError(f"{header.op_count} ops exceed the limit of {MAX_OPS}")
    parts = [
        HEADER.pack(
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
    ]
    for op in ops:
        parts.append(_pack_op(op))
    parts.append(body)
    return b"".join(parts)


def _pack_op(op: Op) -> bytes:
    try:
        if isinstance(op, CopyOp):
            d = op.dst
            return OP.pack(OpKind.COPY, 0, op.src_x, op.src_y, d.x, d.y, d.w, d.h)
        if isinstance(op, PixelsOp):
            r = op.rect
            return OP.pack(OpKind.PIXELS, op.encoding, r.x, r.y, r.w, r.h, 0, 0)
        x = min(max(op.x, -_CURSOR_BIAS), _CURSOR_BIAS - 1) + _CURSOR_BIAS
        y = min(max(op.y, -_CURSOR_BIAS), _CURSOR_BIAS - 1) + _CURSOR_BIAS
        return OP.pack(OpKind.CURSOR, int(op.visible), x, y, 0, 0, 0, 0)
    except struct.error as exc:
        raise LocalProtocolError(f"cannot pack {op!r}: {exc}") from exc


def parse_header(data: Buffer) -> UpdateHeader:
    """Read and check the fixed header; raise MalformedUpdate on anything off."""
    if len(data) < HEADER.size:
        raise MalformedUpdate(f"update of {len(data)} bytes is shorter than its header")
    magic, version, flags, _res, seq, width, height, op_count, body_len, raw_len = (
        HEADER.unpack_from(data)
    )
    if magic != MAGIC:
        raise MalformedUpdate("not a screen update (bad magic)")
    if version != VERSION:
        raise MalformedUpdate(f"update format version {version} is not supported")
    if flags & ~int(Flag.KEY):
        raise MalformedUpdate(f"unknown header flags {flags:#x}")
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise MalformedUpdate(f"frame size {width}x{height} is out of range")
    if op_count > MAX_OPS:
        raise MalformedUpdate(f"{op_count} ops exceed the limit of {MAX_OPS}")
    expected = HEADER.size + op_count * OP.size + body_len
    if len(data) != expected:
        raise MalformedUpdate(f"update is {len(data)} bytes, its header says {expected}")
    return UpdateHeader(Flag(flags), seq, width, height, op_count, body_len, raw_len)


def parse_ops(data: Buffer, header: UpdateHeader) -> list[Op]:
    """Decode the op table and check every rectangle against the frame size."""
    ops: list[Op] = []
    offset = HEADER.size
    raw_total = 0
    width, height = header.width, header.height
    for index in range(header.op_count):
        kind, arg, a, b, c, d, e, f = OP.unpack_from(data, offset)
        offset += OP.size
        if kind == OpKind.COPY:
            dst = Rect(c, d, e, f)
            if dst.is_empty() or not dst.inside(width, height):
                raise MalformedUpdate(f"op {index}: copy target {dst} is outside the frame")
            if not Rect(a, b, e, f).inside(width, height):
                raise MalformedUpdate(f"op {index}: copy source at ({a},{b}) is outside the frame")
            ops.append(CopyOp(a, b, dst))
        elif kind == OpKind.PIXELS:
            if arg not in BYTES_PER_PIXEL:
                raise MalformedUpdate(f"op {index}: unknown pixel encoding {arg}")
            rect = Rect(a, b, c, d)
            if rect.is_empty() or not rect.inside(width, height):
                raise MalformedUpdate(f"op {index}: rectangle {rect} is outside the frame")
            op = PixelsOp(rect, PixelEncoding(arg))
            raw_total += op.nbytes
            ops.append(op)
        elif kind == OpKind.CURSOR:
            ops.append(CursorOp(a - _CURSOR_BIAS, b - _CURSOR_BIAS, bool(arg & 1)))
        else:
            raise MalformedUpdate(f"op {index}: unknown kind {kind}")
    if raw_total != header.raw_len:
        raise MalformedUpdate(f"pixel ops need {raw_total} bytes, header says {header.raw_len}")
    return ops


def body_of(data: Buffer, header: UpdateHeader) -> memoryview:
    """The compressed body of an update whose header was already parsed."""
    start = HEADER.size + header.op_count * OP.size
    return memoryview(data)[start : start + header.body_len]
