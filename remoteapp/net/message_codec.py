"""Session messages to payload bytes and back (the payload of one framing frame).

Decoding maps every malformed payload to ``RemoteProtocolError`` at this boundary, so a
hostile peer gets a clear refusal and never an unexpected exception.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from remoteapp.errors import LocalProtocolError, RemoteProtocolError
from remoteapp.net.messages import (
    BUTTONS,
    MAX_CAPABILITIES,
    MAX_CAPABILITY_LENGTH,
    MAX_COORDINATE,
    MAX_HELD_US,
    MAX_MONITOR_SIDE,
    MAX_MONITORS,
    MAX_NAME,
    MAX_PAYLOAD,
    MAX_VERSION,
    MIN_COORDINATE,
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
    """``event``'s message and payload; LocalProtocolError for what the peer would refuse."""
    match event:
        case Hello():
            _local(_check_hello, event)
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
            _local(_check_screen_info, event)
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
            if unknown or not event.key or not _is_unicode(event.key):
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
            if not isinstance(caps, list):
                raise ValueError("capabilities must be a list of strings")
            hello = Hello(
                Role(obj["role"]),
                obj["name"],
                obj["version"],
                tuple(caps),
                obj.get("update_format", UNANNOUNCED_UPDATE_FORMAT),
            )
            _check_hello(hello)
            return hello
        case Msg.SCREEN_INFO:
            obj = _object(payload)
            monitors = obj["monitors"]
            if not isinstance(monitors, list) or not all(isinstance(m, dict) for m in monitors):
                raise ValueError("monitors must be a list of objects")
            info = ScreenInfo(
                tuple(
                    MonitorInfo(
                        m["index"],
                        m["left"],
                        m["top"],
                        m["width"],
                        m["height"],
                        m.get("primary", False),
                        m.get("name", ""),
                    )
                    for m in monitors
                ),
                obj["active"],
            )
            _check_screen_info(info)
            return info
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
    obj = json.loads(payload.decode())  # (UTF-8 only: json.loads would take UTF-16 too)
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    return obj


# -- the JSON messages' bounds (messages.py): one check for both directions, so what one
# side may send the other accepts; ValueError here is the peer's or our own bug.

_CAPABILITY = re.compile(f"[!-~]{{1,{MAX_CAPABILITY_LENGTH}}}", re.ASCII)


def _local(check: Callable[[Any], None], event: Event) -> None:
    """``check(event)``, its refusal as ours: a peer would refuse what we send."""
    try:
        check(event)
    except ValueError as exc:
        raise LocalProtocolError(f"cannot send {type(event).__name__}: {exc}") from exc


def _check_hello(hello: Hello) -> None:
    if not isinstance(hello.role, Role):
        raise ValueError(f"role {hello.role!r} is not a role")
    _check_text(hello.name, MAX_NAME, "name")
    _check_int(hello.version, 1, MAX_VERSION, "version")
    _check_int(hello.update_format, 1, MAX_VERSION, "update_format")
    caps = hello.capabilities
    if not isinstance(caps, tuple) or len(caps) > MAX_CAPABILITIES:
        raise ValueError(f"more than {MAX_CAPABILITIES} capabilities, or not a tuple")
    for cap in caps:
        if not isinstance(cap, str) or not _CAPABILITY.fullmatch(cap):
            shown = repr(cap) if isinstance(cap, str) else type(cap).__name__
            raise ValueError(f"capability {shown} is not 1..{MAX_CAPABILITY_LENGTH} of [!-~]")


def _check_screen_info(info: ScreenInfo) -> None:
    monitors = info.monitors
    if not isinstance(monitors, tuple) or not 1 <= len(monitors) <= MAX_MONITORS:
        raise ValueError(f"not 1..{MAX_MONITORS} monitors")
    for m in monitors:
        if not isinstance(m, MonitorInfo):
            raise ValueError(f"{m!r} is not a MonitorInfo")
        _check_int(m.index, 0, MAX_MONITORS - 1, "monitor index")
        _check_int(m.left, MIN_COORDINATE, MAX_COORDINATE, "monitor left")
        _check_int(m.top, MIN_COORDINATE, MAX_COORDINATE, "monitor top")
        _check_int(m.width, 1, MAX_MONITOR_SIDE, "monitor width")
        _check_int(m.height, 1, MAX_MONITOR_SIDE, "monitor height")
        if not isinstance(m.primary, bool):
            raise ValueError(f"monitor primary {m.primary!r} is not a boolean")
        _check_text(m.name, MAX_NAME, "monitor name")
    _check_int(info.active, 0, len(monitors) - 1, "active monitor")


def _check_int(value: object, low: int, high: int, what: str) -> None:
    """An integer (not a bool) in ``low..high``: JSON numbers have no bound of their own."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{what}: expected an integer, got {type(value).__name__}")
    if not low <= value <= high:  # (not the value itself: it may have 4,000 digits)
        raise ValueError(f"{what} is out of {low}..{high}")


def _check_text(value: object, limit: int, what: str) -> None:
    """At most ``limit`` characters that UTF-8 can carry, no NUL: a lone surrogate (JSON
    says "\\ud800") fails every later encode, and the helpdesk refuses both in a record."""
    if not isinstance(value, str):
        raise ValueError(f"{what}: expected a string, got {type(value).__name__}")
    if len(value) > limit or "\x00" in value or not _is_unicode(value):
        raise ValueError(f"{what} is over {limit} characters, or has NUL or a lone surrogate")


def _is_unicode(text: str) -> bool:
    """``text`` is characters UTF-8 can carry (no lone surrogate)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _bool(value: int) -> bool:
    if value not in (0, 1):
        raise ValueError(f"expected 0 or 1, got {value}")
    return bool(value)


def _short(msg: Msg) -> Event:
    raise ValueError(f"{msg.name} has the wrong size")
