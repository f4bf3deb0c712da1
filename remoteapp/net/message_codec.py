"""Session messages to payload bytes and back (the payload of one framing frame).

Decoding maps every malformed payload to ``RemoteProtocolError`` at this boundary, so a
hostile peer gets a clear refusal and never an unexpected exception.
"""

from __future__ import annotations

import json
import struct
from dataclasses import asdict
from typing import Any

from remoteapp.errors import LocalProtocolError, RemoteProtocolError
from remoteapp.net.messages import (
    BUTTONS,
    MAX_HELD_US,
    MAX_PAYLOAD,
    MODIFIERS,
    QUALITY_MODES,
    UNANNOUNCED_UPDATE_FORMAT,
    Bye,
    Clipboard,
    Event,
    Hello,
    Key,
    KeyFrameRequest,
    MonitorInfo,
    Msg,
    Ping,
    PointerButton,
    PointerMove,
    Pong,
    ScreenInfo,
    SelectMonitor,
    SetQuality,
    Text,
    UpdateAck,
    Wheel,
)
from remoteapp.net.session_state import Role

_U32 = struct.Struct(">I")
_HELD_ACK = struct.Struct(">II")
_U64 = struct.Struct(">Q")
_POINT = struct.Struct(">ii")
_BUTTON = struct.Struct(">iiBB")
_WHEEL = struct.Struct(">iihh")
_KEY = struct.Struct(">BH")


def _json(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def encode(event: Event) -> tuple[Msg, bytes]:
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
            if not event.held_us:  # (the 4 bytes every customer reads)
                return Msg.UPDATE_ACK, _U32.pack(event.seq & 0xFFFFFFFF)
            if not 0 < event.held_us <= MAX_HELD_US:
                raise LocalProtocolError(f"ack held {event.held_us} us: over its bound")
            return Msg.UPDATE_ACK, _pack(_HELD_ACK, event.seq & 0xFFFFFFFF, event.held_us)
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
            return Msg.TEXT, _utf8(event.text)
        case Clipboard():
            return Msg.CLIPBOARD, _utf8(event.text)
        case SetQuality():
            if event.mode not in QUALITY_MODES:
                raise LocalProtocolError(f"unknown quality mode {event.mode!r}")
            return Msg.SET_QUALITY, bytes([QUALITY_MODES.index(event.mode)])
        case Ping():
            return Msg.PING, _pack(_U64, event.nonce)
        case Pong():
            return Msg.PONG, _pack(_U64, event.nonce)
        case Bye():  # (cut whole characters only: the peer reads the reason as UTF-8)
            reason = _utf8(event.reason)[: MAX_PAYLOAD[Msg.BYE]]
            return Msg.BYE, reason.decode(errors="ignore").encode()
    raise LocalProtocolError(f"cannot send {event!r}")


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8, a lone surrogate (a broken clipboard, say: not a character) as
    ``?``, so that what goes out always decodes on the other side."""
    return text.encode(errors="replace")


def _pack(fmt: struct.Struct, *values: int | bool) -> bytes:
    try:
        return fmt.pack(*values)
    except struct.error as exc:
        raise LocalProtocolError(f"value out of range: {values}") from exc


def decode(msg: Msg, payload: bytes) -> Event:
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
            if len(payload) == _U32.size:
                return UpdateAck(*_U32.unpack(payload))
            seq, held_us = _HELD_ACK.unpack(payload)
            if held_us > MAX_HELD_US:
                raise ValueError(f"ack held {held_us} us, over {MAX_HELD_US}")
            return UpdateAck(seq, held_us)
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
        case Msg.SET_QUALITY:
            if len(payload) != 1:
                return _short(msg)
            return SetQuality(QUALITY_MODES[payload[0]])  # IndexError: unknown mode
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
