"""Lossy VP8 video regions (codec id 1) through PyAV (libvpx encoder, FFmpeg's decoder).

One VP8 stream per video region: the payload names its stream, so a session can have a
few regions playing at once, each with its own reference pictures.  A stream starts with
a key picture and restarts with one when its region's size changes, when the rate
controller changes its bitrate (libvpx keeps the rate it was opened with) or on demand.

Payload: ``stream u8, flags u8`` (bit 0: key picture, which (re)starts the stream at the
op's rectangle size; other bits 0), then one VP8 frame.  A non-key payload must continue
a stream of the same size.

The encoder: realtime deadline, high cpu-used, error resilient, no lag, no automatic key
pictures; BGRA to I420 through one reused swscale context per stream, chroma point-
sampled.  Measured (640x360, same run): numpy integer arithmetic 8-9 ms, a fresh
``VideoFrame.reformat`` per picture 3.4 ms (it rebuilds the context), a reused context
0.5 ms bilinear, 0.2-0.4 ms point (1080p: 15.7 vs 11.2 ms); luma is the same either way.

``av`` is imported only when a coder is made, so the app starts without it;
``available()`` says whether this computer can decode VP8 (the agent lists ``vp8`` in its
Hello capabilities only then, and the customer never sends it otherwise).  Every failure
of FFmpeg on received data becomes a MalformedUpdate.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

import numpy as np

from remoteapp.codec.pixels import Pixels
from remoteapp.codec.rect_codec import CodecInfo, register
from remoteapp.errors import MalformedUpdate

log = logging.getLogger("remoteapp.codec")

VP8_ID: Final = 1
CAPABILITY: Final = "vp8"  #: listed in the Hello of a side that can decode it
MAX_STREAMS: Final = 8  #: stream ids a receiver accepts (0..7)
HEAD: Final = struct.Struct("<BB")
KEY_FLAG: Final = 1
#: bits/s of a 640x360 region: bench.lossy's movie (a 640x368 region) lands at ~1.45
#: Mbit/s over its whole run with SSIM ~.955 (with ``SHARPNESS``); the encoder scales it
#: by area (``lossy.AREA_EXPONENT``)
DEFAULT_BITRATE: Final = 1_350_000
DEFAULT_FPS: Final = 30
#: realtime speed; measured on bench.lossy's 640x360 movie at 1.5 Mbit/s: 8 gives SSIM
#: .949 in ~5 ms a picture, 16 .917 in ~2.5 ms, 4 no better than 8.  Positive: libvpx
#: picks each picture's speed (4-16) from how long the last ones took, aiming at
#: (16 - 8) / 16 of a frame's time (``vp8_auto_select_speed``): the same pictures may
#: give other bytes from run to run (tests that compare bytes fix it: negative)
CPU_USED: Final = "8"
#: loop filter sharpness (0-7): measured on bench.lossy's movie (grain, a pan), 5 keeps
#: its texture: SSIM .948 -> .954 at the same rate (0 is libvpx's default)
SHARPNESS: Final = "5"
#: a VP8 frame (even a key picture at the highest quality) stays below this per pixel
MAX_BYTES_PER_PIXEL: Final = 3
HEADER_ROOM: Final = 4096


@functools.cache
def available() -> bool:
    """True if PyAV imports and can make a VP8 decoder and libvpx encoder here (asked
    once a process: the first call imports PyAV, ~0.1 s)."""
    try:
        import av

        av.CodecContext.create("vp8", "r")
        av.CodecContext.create("libvpx", "w")
    except Exception as exc:  # any failure (no libvpx, no PyAV) means "not here"
        log.info("codec event=vp8-unavailable reason=%r", str(exc))
        return False
    return True


@dataclass(slots=True)
class _EncStream:
    ctx: Any  # av.VideoCodecContext
    reformatter: Any  # av.video.reformatter.VideoReformatter
    width: int
    height: int
    bitrate: int
    pts: int = 0


class Vp8Coder:
    """One session's VP8 streams, as encoder or as decoder (each side uses one half)."""

    def __init__(self) -> None:
        import av  # lazily: the app runs (losslessly) without PyAV

        self._av = av
        self._enc: dict[int, _EncStream] = {}
        self._dec: dict[int, tuple[Any, tuple[int, int]]] = {}
        self._dec_reformatter: Any = None
        self.bitrate = DEFAULT_BITRATE
        self.fps = DEFAULT_FPS

    # -- encoding

    def encode(self, pixels: Pixels) -> bytes:
        """The ``RectCodec`` entry: stream 0, a key picture when its size changes."""
        return self.encode_stream(0, pixels, pts_ms=None)

    def encode_stream(
        self, stream: int, pixels: Pixels, *, pts_ms: int | None, key: bool = False
    ) -> bytes:
        """One picture of ``stream``; ``pts_ms`` is the capture time (for libvpx's rate
        control; None: one frame period after the last).  Width and height must be even."""
        h, w = pixels.shape[:2]
        enc = self._enc.get(stream)
        if enc is None or (enc.width, enc.height) != (w, h) or enc.bitrate != self.bitrate:
            enc = self._open(stream, w, h)
            key = True
        av = self._av
        frame = av.VideoFrame.from_ndarray(
            pixels if pixels.flags.c_contiguous else np.ascontiguousarray(pixels), format="bgra"
        )
        frame = enc.reformatter.reformat(frame, format="yuv420p", interpolation="POINT")
        if pts_ms is None:
            pts_ms = enc.pts + 1000 // max(1, self.fps)
        enc.pts = max(enc.pts + 1, pts_ms)
        frame.pts = enc.pts
        if key:
            frame.pict_type = av.video.frame.PictureType.I
        packets = enc.ctx.encode(frame)
        data = b"".join(bytes(p) for p in packets)
        is_key = any(p.is_keyframe for p in packets)
        return HEAD.pack(stream, KEY_FLAG if is_key else 0) + data

    def close_stream(self, stream: int) -> None:
        """Forget a stream (its region ended); the next picture on its id is a key one."""
        self._enc.pop(stream, None)

    def _open(self, stream: int, width: int, height: int) -> _EncStream:
        av = self._av
        ctx = av.CodecContext.create("libvpx", "w")
        ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
        ctx.time_base = Fraction(1, 1000)
        ctx.framerate = Fraction(max(1, self.fps))
        ctx.bit_rate = self.bitrate
        ctx.gop_size = 1 << 30  # key pictures only on demand
        ctx.thread_count = 1
        # measured (same movie): max-intra-rate and tight under/overshoot cost .01-.02 SSIM
        # at the same rate, so libvpx's realtime defaults stay; error resilience is free
        ctx.options = {
            "deadline": "realtime",
            "cpu-used": CPU_USED,
            "error-resilient": "1",
            "lag-in-frames": "0",
            "auto-alt-ref": "0",
            "static-thresh": "100",
            "sharpness": SHARPNESS,
        }
        ctx.open()
        enc = _EncStream(ctx, av.video.reformatter.VideoReformatter(), width, height, self.bitrate)
        self._enc[stream] = enc
        return enc

    # -- decoding

    def decode_into(self, payload: memoryview, out: Pixels) -> None:
        h, w = out.shape[:2]
        if len(payload) <= HEAD.size:
            raise MalformedUpdate(f"vp8 payload of {len(payload)} bytes")
        stream, flags = HEAD.unpack_from(payload)
        if stream >= MAX_STREAMS or flags & ~KEY_FLAG:
            raise MalformedUpdate(f"vp8 stream {stream} or flags {flags:#x} out of range")
        _check_frame_tag(payload[HEAD.size :], w, h, key=bool(flags & KEY_FLAG))
        av = self._av
        dec = self._dec.get(stream)
        if flags & KEY_FLAG:
            try:
                ctx = av.CodecContext.create("vp8", "r")
                ctx.thread_count = 1
            except Exception as exc:  # the library went missing under us: not the peer's doing
                raise MalformedUpdate(f"cannot make a vp8 decoder here: {exc}") from exc
            dec = (ctx, (w, h))
            self._dec[stream] = dec
        elif dec is None or dec[1] != (w, h):
            raise MalformedUpdate(f"vp8 stream {stream} continues without its key picture")
        try:
            frames = dec[0].decode(av.Packet(bytes(payload[HEAD.size :])))
            if len(frames) != 1:
                raise MalformedUpdate(f"vp8 payload holds {len(frames)} pictures, not 1")
            frame = frames[0]
            if (frame.width, frame.height) != (w, h):
                raise MalformedUpdate(
                    f"vp8 picture of {frame.width}x{frame.height} for a {w}x{h} rectangle"
                )
            if self._dec_reformatter is None:
                self._dec_reformatter = av.video.reformatter.VideoReformatter()
            bgra = self._dec_reformatter.reformat(frame, format="bgra").to_ndarray()
        except MalformedUpdate:
            self._dec.pop(stream, None)
            raise
        except (av.FFmpegError, ValueError, TypeError, MemoryError) as exc:
            self._dec.pop(stream, None)
            raise MalformedUpdate(f"vp8 payload does not decode: {exc}") from exc
        out[...] = bgra
        out[..., 3] = 255


def _check_frame_tag(frame: memoryview, width: int, height: int, *, key: bool) -> None:
    """Read the VP8 frame tag (RFC 6386 9.1) before FFmpeg does: a key picture must be
    one and say the op's size, so a hostile size never reaches the decoder's allocator."""
    if len(frame) < 3:
        raise MalformedUpdate("vp8 frame shorter than its tag")
    is_key = not frame[0] & 1
    if is_key != key:
        raise MalformedUpdate("vp8 key flag disagrees with the frame tag")
    if not key:
        return
    if len(frame) < 10 or bytes(frame[3:6]) != b"\x9d\x01\x2a":
        raise MalformedUpdate("vp8 key picture without its start code")
    fw, fh = _DIMS.unpack_from(frame, 6)
    if fw & 0xC000 or fh & 0xC000 or (fw, fh) != (width, height):
        raise MalformedUpdate(f"vp8 key picture of {fw}x{fh} for a {width}x{height} rectangle")


_DIMS: Final = struct.Struct("<HH")


def _limits(width: int, height: int) -> tuple[int, int]:
    return HEAD.size + 1, HEAD.size + width * height * MAX_BYTES_PER_PIXEL + HEADER_ROOM


VP8: Final = register(
    CodecInfo(
        VP8_ID,
        "vp8",
        lossy=True,
        supported=importlib.util.find_spec("av") is not None,
        payload_limits=_limits,
        new=Vp8Coder,
    )
)
