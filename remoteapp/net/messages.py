"""The messages of the remote-session protocol: their ids, size bounds and event types.

Plain data, no I/O. ``remoteapp.net.message_codec`` turns them into payload bytes and back;
``remoteapp.net.session`` frames them and enforces who may send what, when. The wire
layout of each is in ``docs/protocol.md``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final

from remoteapp.codec.update_format import VERSION as UPDATE_FORMAT
from remoteapp.net.session_state import Role
from remotewire.customer_fields import MAX_FIELD_LENGTH

VERSION: Final = 1  #: session messages; the update format they carry is UPDATE_FORMAT
#: A Hello without "update_format" comes from a remoteapp before format 2 (it had 1).
UNANNOUNCED_UPDATE_FORMAT: Final = 1
CHUNK: Final = 256 * 1024  #: update bytes per frame
DEFAULT_MAX_UPDATE: Final = 7680 * 4320 * 4 + 1024 * 1024  #: one raw 8K frame plus headers
DEFAULT_WINDOW: Final = 2  #: updates in flight before the customer waits for an ack
#: ... unless all in flight are small (a typed key's): then up to SMALL_WINDOW of them,
#: at most SMALL_WINDOW x SMALL_UPDATE bytes, so an agent may hold its acks (HELD_ACKS)
SMALL_UPDATE: Final = 1024
SMALL_WINDOW: Final = 16
#: The customer's HELLO capability: it takes cumulative acks that say how long the agent
#: held them (UPDATE_ACK ``seq u32, held_us u32``); without it an agent acks every update
#: at once, in order, with the 4-byte ack of remoteapp before it (no version change).
HELD_ACKS: Final = "held-acks"
#: The customer's HELLO capability: its small window is SMALL_WINDOW; a customer that
#: announces HELD_ACKS without it (remoteapp before it) has LEGACY_SMALL_WINDOW.
WIDE_SMALL_WINDOW: Final = "small-window-16"
LEGACY_SMALL_WINDOW: Final = 8
MAX_HELD_US: Final = 10_000_000  #: an ack held longer is a broken or hostile agent


class Msg(enum.IntEnum):
    HELLO = 16
    SCREEN_INFO = 17
    UPDATE_CHUNK = 18
    UPDATE_ACK = 19
    KEYFRAME_REQUEST = 20
    SELECT_MONITOR = 21
    POINTER_MOVE = 22
    POINTER_BUTTON = 23
    WHEEL = 24
    KEY = 25
    TEXT = 26
    CLIPBOARD = 27
    PING = 28
    PONG = 29
    BYE = 30
    SET_QUALITY = 31


#: Largest payload each message may have; checked from the frame header, before buffering.
MAX_PAYLOAD: Final[dict[Msg, int]] = {
    Msg.HELLO: 4096,
    Msg.SCREEN_INFO: 16384,
    Msg.UPDATE_CHUNK: 5 + CHUNK,
    Msg.UPDATE_ACK: 8,
    Msg.KEYFRAME_REQUEST: 0,
    Msg.SELECT_MONITOR: 1,
    Msg.POINTER_MOVE: 8,
    Msg.POINTER_BUTTON: 10,
    Msg.WHEEL: 12,
    Msg.KEY: 3 + 64,
    Msg.TEXT: 4096,
    Msg.CLIPBOARD: 1024 * 1024,
    Msg.PING: 8,
    Msg.PONG: 8,
    Msg.BYE: 1024,
    Msg.SET_QUALITY: 1,
}

#: The name each message's event has in ``session_state`` (who may send it, and when):
#: the session judges a frame by it from its header, before its payload is buffered.
EVENT_NAME: Final[dict[Msg, str]] = {
    Msg.HELLO: "Hello",
    Msg.SCREEN_INFO: "ScreenInfo",
    Msg.UPDATE_CHUNK: "ScreenUpdate",
    Msg.UPDATE_ACK: "UpdateAck",
    Msg.KEYFRAME_REQUEST: "KeyFrameRequest",
    Msg.SELECT_MONITOR: "SelectMonitor",
    Msg.POINTER_MOVE: "PointerMove",
    Msg.POINTER_BUTTON: "PointerButton",
    Msg.WHEEL: "Wheel",
    Msg.KEY: "Key",
    Msg.TEXT: "Text",
    Msg.CLIPBOARD: "Clipboard",
    Msg.PING: "Ping",
    Msg.PONG: "Pong",
    Msg.BYE: "Bye",
    Msg.SET_QUALITY: "SetQuality",
}

# Bounds of the JSON messages' fields (JSON holds any integer, any length, and "\ud800",
# which is no character): the encoder refuses what is outside them (LocalProtocolError),
# the decoder too (RemoteProtocolError), so what one side sends the other accepts.
#: Characters of a display name (Hello) or a monitor's: as a customer's form field or a
#: helpdesk user's name (the name ends up in the helpdesk's ticket records).
MAX_NAME: Final = MAX_FIELD_LENGTH
#: Capabilities in a Hello, each 1..MAX_CAPABILITY_LENGTH printable ASCII characters
#: (no space); a worst-case Hello fits in its 4 KiB.
MAX_CAPABILITIES: Final = 16
MAX_CAPABILITY_LENGTH: Final = 32
#: Hello's version and update_format: a larger number is garbage, not a newer remoteapp.
MAX_VERSION: Final = 0xFFFF
#: Monitors in a ScreenInfo: their index is 0..255 (SELECT_MONITOR carries a u8).
MAX_MONITORS: Final = 256
#: A monitor's left and top: i32, as POINTER_MOVE's coordinates.
MIN_COORDINATE: Final = -(2**31)
MAX_COORDINATE: Final = 2**31 - 1
#: A monitor's width and height (1 at least). Above the codec's MAX_DIMENSION on purpose:
#: monitor 0 is all of them together, and a wide desk's is listed even if no update can
#: hold it (X11's own bound: a screen's sides are 16-bit).
MAX_MONITOR_SIDE: Final = 0xFFFF


def fit_name(text: str) -> str:
    """``text`` as a Hello or a monitor may carry it (``MAX_NAME``): what UTF-8 cannot
    carry (a lone surrogate: an undecodable byte of a command line) and NUL replaced,
    cut to length. A name is shown, never matched, so a session must not fail on one."""
    clean = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    return clean[:MAX_NAME]


def fit_side(pixels: int) -> int:
    """A monitor's width or height as a ScreenInfo may carry it (1..MAX_MONITOR_SIDE): a
    screen the OS lists with no area (being unplugged) must not end the session."""
    return max(1, min(pixels, MAX_MONITOR_SIDE))


MODIFIERS: Final = ("shift", "ctrl", "alt", "meta", "altgr")
BUTTONS: Final = ("left", "right", "middle", "back", "forward")
#: SetQuality modes, by wire value: automatic lossy regions, lossless only, lossy everywhere
QUALITY_MODES: Final = ("auto", "quality", "speed")


# -- events (frozen dataclasses; the class name is the message name in session_state)


@dataclass(frozen=True, slots=True)
class Hello:
    role: Role
    name: str  #: agent's or customer's display name, shown on the other side
    version: int = VERSION
    capabilities: tuple[str, ...] = ()
    update_format: int = UPDATE_FORMAT  #: screen updates this side encodes and decodes


@dataclass(frozen=True, slots=True)
class MonitorInfo:
    index: int
    left: int
    top: int
    width: int
    height: int
    primary: bool = False
    name: str = ""


@dataclass(frozen=True, slots=True)
class ScreenInfo:
    monitors: tuple[MonitorInfo, ...]
    active: int  #: index into ``monitors`` of the one being sent


@dataclass(frozen=True, slots=True)
class ScreenUpdate:
    seq: int
    data: bytes  #: one update in the format of remoteapp.codec (docs/protocol.md)


@dataclass(frozen=True, slots=True)
class UpdateAck:
    """The viewer has decoded update ``seq`` and, with HELD_ACKS, every one before it."""

    seq: int  #: returns its credit (and, cumulative, those of the updates before it)
    held_us: int = 0  #: between decoding ``seq`` and sending this (rate control's rtt)


@dataclass(frozen=True, slots=True)
class KeyFrameRequest:
    pass


@dataclass(frozen=True, slots=True)
class SelectMonitor:
    index: int


@dataclass(frozen=True, slots=True)
class PointerMove:
    x: int  #: framebuffer pixels of the active monitor
    y: int


@dataclass(frozen=True, slots=True)
class PointerButton:
    x: int
    y: int
    button: str  #: one of BUTTONS
    pressed: bool


@dataclass(frozen=True, slots=True)
class Wheel:
    x: int
    y: int
    dx: int  #: steps (120ths are the caller's business): + right
    dy: int  #: + up


@dataclass(frozen=True, slots=True)
class Key:
    key: str  #: a character ("a", "?") or a key name ("enter", "f5", "ctrl", "delete")
    pressed: bool
    modifiers: frozenset[str] = field(default_factory=frozenset)  #: subset of MODIFIERS


@dataclass(frozen=True, slots=True)
class Text:
    text: str  #: typed text with no key semantics (paste-as-typing, IME result)


@dataclass(frozen=True, slots=True)
class Clipboard:
    text: str


@dataclass(frozen=True, slots=True)
class SetQuality:
    """The agent's picture-quality choice for the session (the viewer's toggle)."""

    mode: str  #: one of QUALITY_MODES


@dataclass(frozen=True, slots=True)
class Ping:
    nonce: int


@dataclass(frozen=True, slots=True)
class Pong:
    nonce: int


@dataclass(frozen=True, slots=True)
class Bye:
    reason: str


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The byte stream ended (``receive_data(b"")``); ``clean`` if a Bye came first."""

    clean: bool
    reason: str


Event = (
    Hello
    | ScreenInfo
    | ScreenUpdate
    | UpdateAck
    | KeyFrameRequest
    | SelectMonitor
    | PointerMove
    | PointerButton
    | Wheel
    | Key
    | Text
    | Clipboard
    | SetQuality
    | Ping
    | Pong
    | Bye
)
