"""The interface every pixel-rectangle codec implements, and the registry that finds them.

Like TigerVNC's ``Encoder.h``: one interface, and capability flags (``lossy``,
``supported``) instead of special cases in the callers.  Like noVNC's
``core/decoders/*``: one codec per module, which registers itself when it is imported
(``remoteapp/codec/__init__.py`` imports every codec module).  The decoder looks a PIXELS
op's codec up here by the id the op carries and calls it, so a new codec (a lossy one
for video regions) never touches the decoder's loop.

A receiver refuses an id nobody registered, and one whose codec cannot run here
(``supported`` False, e.g. its native library is missing), with a ``MalformedUpdate``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

from remoteapp.errors import MalformedUpdate

if TYPE_CHECKING:
    from remoteapp.codec.pixels import Pixels

#: Codec ids travel in one byte of the PIXELS op.
MAX_CODEC_ID: Final = 255


class RectCodec(Protocol):
    """One session's coder for one codec.

    The encoder and the decoder each make a fresh one (``CodecInfo.new``) at every key
    frame, so a codec that keeps state between updates (a video codec's reference
    picture) starts over exactly when the shared zstd stream does.
    """

    def encode(self, pixels: Pixels) -> bytes | memoryview:
        """The payload for an (h, w, 4) BGRA block; its length goes into the PIXELS op."""
        ...

    def decode_into(self, payload: memoryview, out: Pixels) -> None:
        """Write the block into ``out`` (a framebuffer view of the op's rectangle).

        ``payload``'s length is already within ``payload_limits`` of the rectangle; a
        payload that still does not decode raises MalformedUpdate, never anything else.
        """
        ...


@dataclass(frozen=True, slots=True)
class CodecInfo:
    """A registered codec: its wire id, capability flags and a factory for coders."""

    id: int  #: the PIXELS op's codec byte, 0..255, never reused for another codec
    name: str  #: for messages and logs ("raw-bgra")
    #: decode(encode(block)) may differ from block: an encoder must then keep what the
    #: decoder shows (decode its own payload), not the captured pixels, as its reference
    lossy: bool
    #: this machine can run it (its library imported); a receiver refuses it otherwise
    supported: bool
    #: (fewest, most) payload bytes for a (width, height) rectangle, checked before the
    #: body is decompressed: a raw codec's is exact, a lossy codec's a bound
    payload_limits: Callable[[int, int], tuple[int, int]]
    new: Callable[[], RectCodec]  #: a fresh coder for one session's stream


_REGISTRY: dict[int, CodecInfo] = {}


def register(info: CodecInfo) -> CodecInfo:
    """Add a codec (at its module's import); an id or name already taken is our bug."""
    if not 0 <= info.id <= MAX_CODEC_ID:
        raise ValueError(f"codec id {info.id} does not fit the op's byte")
    taken = _REGISTRY.get(info.id)
    if taken is not None and taken != info:
        raise ValueError(f"codec id {info.id} is already {taken.name!r}")
    if any(c.name == info.name and c.id != info.id for c in _REGISTRY.values()):
        raise ValueError(f"codec name {info.name!r} is already registered")
    _REGISTRY[info.id] = info
    return info


def unregister(codec_id: int) -> None:
    """Remove a codec (tests, a plug-in unloaded); unknown ids are ignored."""
    _REGISTRY.pop(codec_id, None)


def registered() -> list[CodecInfo]:
    """Every registered codec, by id."""
    return [_REGISTRY[i] for i in sorted(_REGISTRY)]


def lookup(codec_id: int) -> CodecInfo:
    """The codec a received op names; MalformedUpdate if unknown or not runnable here."""
    info = _REGISTRY.get(codec_id)
    if info is None:
        known = ", ".join(f"{c.id} {c.name}" for c in registered() if c.supported)
        raise MalformedUpdate(
            f"pixel codec {codec_id} is unknown to this remoteapp (it knows {known}); "
            "the sender may run a newer version"
        )
    if not info.supported:
        raise MalformedUpdate(f"pixel codec {codec_id} ({info.name}) cannot run on this computer")
    return info
