"""The desktop app's error tree, grafted onto the root in ``remotewire.errors``.

Callers catch the branch they can act on; foreign exceptions (zstd, mss, socket) are
mapped to these at the boundary with ``raise ... from exc`` so the cause stays visible.
The wire branch (framing, tokens, the relay's refusal) is drawn in ``remotewire.errors``::

    RemoteappError                      (remotewire.errors)
     ├── ProtocolError                  (remotewire.errors)
     │    ├── LocalProtocolError        (remotewire.errors)
     │    └── RemoteProtocolError       (remotewire.errors)
     │         ├── MalformedUpdate      a screen update that fails validation
     │         └── DecoderDesynchronized  earlier damage; only a key frame recovers
     ├── CaptureError                   the screen cannot be read
     │    ├── NoDisplayError            no display server to capture (no DISPLAY, headless)
     │    └── UnsupportedSessionError   a display we cannot capture (Wayland)
     └── InputUnavailableError          keyboard/mouse cannot be injected on this desktop
"""

from __future__ import annotations

from remotewire.errors import (
    LocalProtocolError,
    ProtocolError,
    RemoteappError,
    RemoteProtocolError,
)

__all__ = [
    "CaptureError",
    "DecoderDesynchronized",
    "InputUnavailableError",
    "LocalProtocolError",
    "MalformedUpdate",
    "NoDisplayError",
    "ProtocolError",
    "RemoteProtocolError",
    "RemoteappError",
    "UnsupportedSessionError",
]


class MalformedUpdate(RemoteProtocolError):
    """A screen update is truncated, oversize, out of bounds or otherwise invalid."""


class DecoderDesynchronized(RemoteProtocolError):
    """An earlier update failed, so the compression stream is lost until a key frame."""


class CaptureError(RemoteappError):
    """The screen cannot be captured."""


class NoDisplayError(CaptureError):
    """There is no display to capture."""


class UnsupportedSessionError(CaptureError):
    """The display exists but cannot be captured (for example a Wayland session)."""


class InputUnavailableError(RemoteappError):
    """Input cannot be injected here (no X connection for pynput, missing permission)."""
