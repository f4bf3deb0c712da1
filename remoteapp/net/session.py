"""The remote-session protocol between agent and customer, sans-IO (like h11).

Bytes in (``receive_data``), events out (``next_event``), events in (``send``), bytes
out.  No sockets, threads or Qt: the app's network thread, the tests' in-memory pipes
and real TCP all drive the same class.  Messages ride on ``remotewire.framing``
frames (types 16 and up); the wire layout of each is in ``docs/protocol.md``.

Every message has a size bound checked before its bytes are buffered; a screen update
larger than one frame travels as chunks, reassembled up to ``max_update`` bytes.  The
customer may have at most ``window`` updates unacknowledged (credit flow control): a slow
link lowers the frame rate instead of growing queues.

Each Hello carries the screen update format its sender speaks (``remoteapp.codec``); a
peer with another one, or none (remoteapp before format 2), is refused with a reason
that says which side must update, readable on either side as the Bye reason.
"""

from __future__ import annotations

import enum
import json
import struct
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from remoteapp.codec.update_format import VERSION as UPDATE_FORMAT
from remoteapp.errors import LocalProtocolError, RemoteProtocolError
from remoteapp.net.session_state import Role, State, next_state
from remotewire.framing import NEED_DATA, FrameReader, NeedData, pack_frame

VERSION: Final = 1  #: session messages; the update format they carry is UPDATE_FORMAT
#: A Hello without "update_format" comes from a remoteapp before format 2 (it had 1).
UNANNOUNCED_UPDATE_FORMAT: Final = 1
CHUNK: Final = 256 * 1024  #: update bytes per frame
DEFAULT_MAX_UPDATE: Final = 7680 * 4320 * 4 + 1024 * 1024  #: one raw 8K frame plus headers
DEFAULT_WINDOW: Final = 2  #: updates in flight before the customer waits for an ack


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


#: Largest payload each message may have; checked from the frame header, before buffering.
MAX_PAYLOAD: Final[dict[Msg, int]] = {
    Msg.HELLO: 4096,
    Msg.SCREEN_INFO: 16384,
    Msg.UPDATE_CHUNK: 5 + CHUNK,
    Msg.UPDATE_ACK: 4,
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
}

MODIFIERS: Final = ("shift", "ctrl", "alt", "meta", "altgr")
BUTTONS: Final = ("left", "right", "middle", "back", "forward")


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
    seq: int  #: the update the viewer has decoded; returns one credit


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
    | Ping
    | Pong
    | Bye
)

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_POINT = struct.Struct(">ii")
_BUTTON = struct.Struct(">iiBB")
_WHEEL = struct.Struct(">iihh")
_KEY = struct.Struct(">BH")
_CHUNK_HEAD = struct.Struct(">IB")
_FIRST, _LAST = 1, 2


class SessionConnection:
    """One side of a session.  Not thread-safe: one owner drives it."""

    def __init__(
        self,
        role: Role,
        *,
        max_update: int = DEFAULT_MAX_UPDATE,
        window: int = DEFAULT_WINDOW,
    ) -> None:
        self.our_role = role
        self.our_state = State.HANDSHAKE
        self.their_state = State.HANDSHAKE
        self.peer_hello: Hello | None = None
        self._reader = FrameReader(max_payload=max(MAX_PAYLOAD.values()))
        self._max_update = max_update
        self._window = window
        self._in_flight: deque[int] = deque()  # seqs sent, not yet acknowledged
        self._assembly: bytearray | None = None
        self._assembly_seq = 0
        self._eof = False
        self._closed_event_sent = False
        self._bye_reason = ""

    # -- flow control

    @property
    def credits(self) -> int:
        """Updates the customer may still send before an ack comes back."""
        return self._window - len(self._in_flight)

    def can_send_update(self) -> bool:
        return self.our_state is State.ACTIVE and self.credits > 0

    # -- sending

    def send(self, event: Event) -> bytes:
        """Bytes for ``event``; LocalProtocolError if this side may not send it now."""
        name = type(event).__name__
        new_state = next_state(self.our_state, self.our_role, name)
        if new_state is None:
            raise LocalProtocolError(
                f"{self.our_role.value} cannot send {name} in state {self.our_state.value}"
            )
        if isinstance(event, Hello) and event.role is not self.our_role:
            raise LocalProtocolError("Hello must carry our own role")
        if isinstance(event, Hello) and event.update_format != UPDATE_FORMAT:
            raise LocalProtocolError(f"this remoteapp speaks update format {UPDATE_FORMAT}")
        if isinstance(event, ScreenUpdate):
            if self.credits <= 0:
                raise LocalProtocolError("no credit: wait for the viewer's ack")
            data = self._pack_update(event)
            self._in_flight.append(event.seq)
        else:
            msg, payload = _encode(event)
            if len(payload) > MAX_PAYLOAD[msg]:
                raise LocalProtocolError(f"{name} of {len(payload)} bytes is over its limit")
            data = pack_frame(msg, payload, max_payload=MAX_PAYLOAD[msg])
        self.our_state = new_state
        return data

    def _pack_update(self, event: ScreenUpdate) -> bytes:
        if len(event.data) > self._max_update:
            raise LocalProtocolError(f"update of {len(event.data)} bytes is over the limit")
        parts = []
        view = memoryview(event.data)
        count = max(1, -(-len(view) // CHUNK))
        for i in range(count):
            flags = (_FIRST if i == 0 else 0) | (_LAST if i == count - 1 else 0)
            payload = (
                _CHUNK_HEAD.pack(event.seq & 0xFFFFFFFF, flags) + view[i * CHUNK : (i + 1) * CHUNK]
            )
            parts.append(pack_frame(Msg.UPDATE_CHUNK, payload, max_payload=5 + CHUNK))
        return b"".join(parts)

    # -- receiving

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the peer; ``b""`` means the stream ended."""
        if not data:
            self._eof = True
        else:
            self._reader.receive_data(data)

    def next_event(self) -> Event | ConnectionClosed | NeedData:
        """The next event, NEED_DATA, or ConnectionClosed once; RemoteProtocolError if the
        peer broke the protocol (end the session with that error's message as reason)."""
        frame = self._reader.next_frame()
        if frame is NEED_DATA:
            if self._eof:
                return self._closed()
            return NEED_DATA
        if self.their_state is State.CLOSED:
            raise RemoteProtocolError("peer sent data after Bye")
        try:
            msg = Msg(frame.type)
        except ValueError as exc:
            raise RemoteProtocolError(f"unknown message type {frame.type}") from exc
        if len(frame.payload) > MAX_PAYLOAD[msg]:
            raise RemoteProtocolError(f"{msg.name} of {len(frame.payload)} bytes is over its limit")
        if msg is Msg.UPDATE_CHUNK:
            event: Event | None = self._take_chunk(frame.payload)
            if event is None:
                return self.next_event()
        else:
            event = _decode(msg, frame.payload)
        self._their_transition(event)
        return event

    def _closed(self) -> ConnectionClosed | NeedData:
        if self._closed_event_sent:
            return NEED_DATA
        self._closed_event_sent = True
        clean = self.their_state is State.CLOSED and self._reader.buffered == 0
        self.their_state = State.CLOSED
        if clean:
            return ConnectionClosed(True, self._bye_reason)
        return ConnectionClosed(False, "connection lost")

    def _take_chunk(self, payload: bytes) -> ScreenUpdate | None:
        if len(payload) < _CHUNK_HEAD.size:
            raise RemoteProtocolError("update chunk without its header")
        seq, flags = _CHUNK_HEAD.unpack_from(payload)
        data = payload[_CHUNK_HEAD.size :]
        if flags & ~(_FIRST | _LAST):
            raise RemoteProtocolError(f"unknown update chunk flags {flags:#x}")
        if flags & _FIRST:
            if self._assembly is not None:
                raise RemoteProtocolError("new update started before the last one ended")
            self._assembly, self._assembly_seq = bytearray(), seq
        elif self._assembly is None or seq != self._assembly_seq:
            raise RemoteProtocolError("update chunk out of sequence")
        if len(self._assembly) + len(data) > self._max_update:
            raise RemoteProtocolError(f"update exceeds {self._max_update} bytes")
        self._assembly += data
        if not flags & _LAST:
            return None
        done = ScreenUpdate(seq, bytes(self._assembly))
        self._assembly = None
        return done

    def _their_transition(self, event: Event) -> None:
        name = type(event).__name__
        peer = self.our_role.peer
        new_state = next_state(self.their_state, peer, name)
        if new_state is None:
            raise RemoteProtocolError(
                f"{peer.value} may not send {name} in state {self.their_state.value}"
            )
        if isinstance(event, Hello):
            if event.version != VERSION:
                raise RemoteProtocolError(f"peer speaks session protocol {event.version}")
            if event.role is not peer:
                raise RemoteProtocolError(f"both sides claim to be {event.role.value}")
            if event.update_format != UPDATE_FORMAT:
                raise RemoteProtocolError(_format_mismatch(peer, event.update_format))
            self.peer_hello = event
        elif isinstance(event, UpdateAck):
            if not self._in_flight or self._in_flight[0] != event.seq:
                raise RemoteProtocolError(f"ack for update {event.seq} that is not outstanding")
            self._in_flight.popleft()
        elif isinstance(event, Bye):
            self._bye_reason = event.reason
        self.their_state = new_state


def _format_mismatch(peer: Role, theirs: int) -> str:
    """Names the side that must update, so the text reads right on both sides."""
    if theirs < UPDATE_FORMAT:
        older, old, newer, new = peer, theirs, peer.peer, UPDATE_FORMAT
    else:
        older, old, newer, new = peer.peer, UPDATE_FORMAT, peer, theirs
    return (
        f"the {older.value} runs an older remoteapp (screen update format {old}, the "
        f"{newer.value}'s uses {new}): update remoteapp on the {older.value}'s computer"
    )


def _json(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _encode(event: Event) -> tuple[Msg, bytes]:
    match event:
        case Hello():
            return Msg.HELLO, _json(
                {
                    "version": event.version,
                    "role": event.role.value,
                    "name": event.name,
                    "capabilities": list(event.capabilities),
                    "update_format": event.update_format,
                }
            )
        case ScreenInfo():
            return Msg.SCREEN_INFO, _json(
                {"monitors": [asdict(m) for m in event.monitors], "active": event.active}
            )
        case UpdateAck():
            return Msg.UPDATE_ACK, _U32.pack(event.seq & 0xFFFFFFFF)
        case KeyFrameRequest():
            return Msg.KEYFRAME_REQUEST, b""
        case SelectMonitor():
            return Msg.SELECT_MONITOR, _pack(struct.Struct(">B"), event.index)
        case PointerMove():
            return Msg.POINTER_MOVE, _pack(_POINT, event.x, event.y)
        case PointerButton():
            if event.button not in BUTTONS:
                raise LocalProtocolError(f"unknown button {event.button!r}")
            return Msg.POINTER_BUTTON, _pack(
                _BUTTON, event.x, event.y, BUTTONS.index(event.button), event.pressed
            )
        case Wheel():
            return Msg.WHEEL, _pack(_WHEEL, event.x, event.y, event.dx, event.dy)
        case Key():
            unknown = set(event.modifiers) - set(MODIFIERS)
            if unknown or not event.key:
                raise LocalProtocolError(f"bad key event {event!r}")
            mask = sum(1 << MODIFIERS.index(m) for m in event.modifiers)
            return Msg.KEY, _KEY.pack(event.pressed, mask) + event.key.encode()
        case Text():
            return Msg.TEXT, event.text.encode()
        case Clipboard():
            return Msg.CLIPBOARD, event.text.encode()
        case Ping():
            return Msg.PING, _pack(_U64, event.nonce)
        case Pong():
            return Msg.PONG, _pack(_U64, event.nonce)
        case Bye():
            return Msg.BYE, event.reason.encode()[: MAX_PAYLOAD[Msg.BYE]]
    raise LocalProtocolError(f"cannot send {event!r}")


def _pack(fmt: struct.Struct, *values: int | bool) -> bytes:
    try:
        return fmt.pack(*values)
    except struct.error as exc:
        raise LocalProtocolError(f"value out of range: {values}") from exc


def _decode(msg: Msg, payload: bytes) -> Event:
    try:
        return _decode_unchecked(msg, payload)
    except RemoteProtocolError:
        raise
    except (
        struct.error,
        UnicodeDecodeError,
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        RecursionError,
    ) as exc:
        raise RemoteProtocolError(f"malformed {msg.name}: {exc}") from exc


def _decode_unchecked(msg: Msg, payload: bytes) -> Event:
    match msg:
        case Msg.HELLO:
            obj = _object(payload)
            caps = obj.get("capabilities", [])
            if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
                raise ValueError("capabilities must be a list of strings")
            update_format = _int(obj.get("update_format", UNANNOUNCED_UPDATE_FORMAT))
            return Hello(
                Role(obj["role"]),
                _str(obj["name"]),
                _int(obj["version"]),
                tuple(caps),
                update_format,
            )
        case Msg.SCREEN_INFO:
            obj = _object(payload)
            monitors = tuple(
                MonitorInfo(
                    _int(m["index"]),
                    _int(m["left"]),
                    _int(m["top"]),
                    _int(m["width"]),
                    _int(m["height"]),
                    bool(m.get("primary", False)),
                    _str(m.get("name", "")),
                )
                for m in obj["monitors"]
            )
            active = _int(obj["active"])
            if not 0 <= active < len(monitors):
                raise ValueError(f"active monitor {active} is not listed")
            return ScreenInfo(monitors, active)
        case Msg.UPDATE_ACK:
            return UpdateAck(*_U32.unpack(payload))
        case Msg.KEYFRAME_REQUEST:
            return KeyFrameRequest()
        case Msg.SELECT_MONITOR:
            return SelectMonitor(payload[0]) if len(payload) == 1 else _short(msg)
        case Msg.POINTER_MOVE:
            return PointerMove(*_POINT.unpack(payload))
        case Msg.POINTER_BUTTON:
            x, y, button, pressed = _BUTTON.unpack(payload)
            return PointerButton(x, y, BUTTONS[button], _bool(pressed))
        case Msg.WHEEL:
            return Wheel(*_WHEEL.unpack(payload))
        case Msg.KEY:
            pressed, mask = _KEY.unpack_from(payload)
            key = payload[_KEY.size :].decode()
            if not key or mask >= 1 << len(MODIFIERS):
                raise ValueError("empty key or unknown modifier bits")
            mods = frozenset(m for i, m in enumerate(MODIFIERS) if mask & (1 << i))
            return Key(key, _bool(pressed), mods)
        case Msg.TEXT:
            return Text(payload.decode())
        case Msg.CLIPBOARD:
            return Clipboard(payload.decode())
        case Msg.PING:
            return Ping(*_U64.unpack(payload))
        case Msg.PONG:
            return Pong(*_U64.unpack(payload))
        case Msg.BYE:
            return Bye(payload.decode())
    raise RemoteProtocolError(f"{msg.name} cannot be received here")


def _object(payload: bytes) -> dict[str, Any]:
    obj = json.loads(payload)
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    return obj


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _bool(value: int) -> bool:
    if value not in (0, 1):
        raise ValueError(f"expected 0 or 1, got {value}")
    return bool(value)


def _short(msg: Msg) -> Event:
    raise ValueError(f"{msg.name} has the wrong size")
