"""One zstd stream per session carries every update body.

The compression context persists across updates (each update is one flushed block), so a
change that repeats something sent before (a blinking caret, a window coming back) costs
a few bytes.  The decompressor never produces more than the update declares: output is
bounded by ``max_length`` and the window by ``window_log_max``.

The compressor is ``_zstream.Stream`` (C, on libzstd: an optional extension built by
setup.py), which also packs a whole lossless update in one call, or without it
``backports.zstd``'s.  The two decode identically; their bytes may differ where the
libzstd versions do (the system's and the wheel's: a key frame, here).
"""

from __future__ import annotations

import sys
from typing import Final

if sys.version_info >= (3, 14):
    from compression import zstd
else:  # pragma: no cover - depends on the interpreter
    from backports import zstd

from remoteapp.errors import MalformedUpdate

try:  # the C stream (setup.py); without it, backports.zstd's below
    from remoteapp.codec import _zstream as native
except ImportError:  # pragma: no cover - depends on the build
    native = None  # type: ignore[assignment]

__all__ = ["DEFAULT_LEVEL", "WINDOW_LOG", "StreamCompressor", "StreamDecompressor", "native"]

#: Level 1, from ``bench.pipeline --level``: level 3 spends ~20% more zstd time on a full-screen
#: change for ~4% fewer bytes; level -1 sends ~24% more on video for ~15% less time.
DEFAULT_LEVEL: Final = 1
#: 16 MiB window: two 1080p frames, so content that reappears after a drag is still in reach.
WINDOW_LOG: Final = 24


class StreamCompressor:
    """Compress update bodies as consecutive flushed blocks of one zstd frame."""

    def __init__(self, level: int = DEFAULT_LEVEL, window_log: int = WINDOW_LOG) -> None:
        self._options: dict[int, int] = {
            zstd.CompressionParameter.compression_level: level,
            zstd.CompressionParameter.window_log: window_log,
        }
        #: the C stream, which can also pack a lossless update (``pack_raw``)
        self.native = None if native is None else native.Stream(level, window_log)
        self._zc = zstd.ZstdCompressor(options=self._options) if self.native is None else None

    def reset(self) -> None:
        """Start a new stream (key frame): the peer's decompressor resets too."""
        if self.native is not None:
            self.native.reset()
        else:
            self._zc = zstd.ZstdCompressor(options=self._options)

    def compress(self, chunks: list[bytes | memoryview]) -> bytes:
        """Compress ``chunks`` as one body; the result decodes only after every earlier body."""
        if self.native is not None:
            return self.native.compress(chunks)
        zc = self._zc
        assert zc is not None
        out = [zc.compress(chunk) for chunk in chunks]
        out.append(zc.compress(b"", zstd.ZstdCompressor.FLUSH_BLOCK))
        return b"".join(out)


class StreamDecompressor:
    """Inverse of StreamCompressor, refusing to expand past what the header declares."""

    def __init__(self, window_log_max: int = WINDOW_LOG + 1) -> None:
        self._options: dict[int, int] = {zstd.DecompressionParameter.window_log_max: window_log_max}
        self._zd = zstd.ZstdDecompressor(options=self._options)

    def reset(self) -> None:
        self._zd = zstd.ZstdDecompressor(options=self._options)

    def decompress(self, body: bytes | memoryview, raw_len: int) -> bytes:
        """Return exactly ``raw_len`` bytes or raise MalformedUpdate."""
        zd = self._zd
        try:
            raw = zd.decompress(body, max_length=raw_len) if body else b""
            if len(raw) != raw_len:
                raise MalformedUpdate(f"body holds {len(raw)} bytes, header says {raw_len}")
            if not zd.needs_input and zd.decompress(b"", max_length=1):
                raise MalformedUpdate(f"body holds more than the {raw_len} bytes declared")
            if zd.eof:
                raise MalformedUpdate("body ends the compression stream")
        except (zstd.ZstdError, EOFError) as exc:
            # EOFError: a forged "last block" bit ended the stream in an earlier call
            raise MalformedUpdate(f"body does not decompress: {exc}") from exc
        return raw
