"""The error tree shared by every Qt-free part of remoteapp.

Callers catch the branch they can act on; foreign exceptions (zstd, mss, socket) are
mapped to these at the boundary with ``raise ... from exc`` so the cause stays visible::

    RemoteappError
     ├── ProtocolError                  bytes on the wire are wrong
     │    ├── LocalProtocolError        we were asked to send something invalid (our bug)
     │    └── RemoteProtocolError       the peer sent something invalid (their bug or an attack)
     │         ├── MalformedUpdate      a screen update that fails validation
     │         └── DecoderDesynchronized  earlier damage; only a key frame recovers
     ├── CaptureError                   the screen cannot be read
     │    ├── NoDisplayError            no display server to capture (no DISPLAY, headless)
     │    └── UnsupportedSessionError   a display we cannot capture (Wayland)
     └── InputUnavailableError          keyboard/mouse cannot be injected on this desktop
"""

from __future__ import annotations


class RemoteappError(Exception):
    """Base of every error remoteapp raises on purpose."""


class ProtocolError(RemoteappError):
    """Bytes exchanged between the two ends violate the protocol."""


class LocalProtocolError(ProtocolError):
    """This side tried to produce something the protocol does not allow."""


class RemoteProtocolError(ProtocolError):
    """The other side sent something the protocol does not allow."""


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
