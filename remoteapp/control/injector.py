"""Inject the agent's pointer and keyboard events into this desktop with pynput.

Coordinates arrive relative to the monitor being shared and are mapped to the virtual
desktop here, clamped to that monitor so a stale or hostile event cannot click elsewhere.
Key names are pynput's ``Key`` names ("enter", "f5", "page_up", "ctrl", ...) or a single
character; modifiers named in a Key event are brought in line before the key goes down,
so a lost key-up on the agent side cannot leave Ctrl stuck here for long.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from remoteapp.errors import InputUnavailableError
from remoteapp.net.session import Key, PointerButton, PointerMove, Text, Wheel

log = logging.getLogger("remoteapp.control")

MODIFIER_KEYS: Final = {
    "shift": "shift",
    "ctrl": "ctrl",
    "alt": "alt",
    "meta": "cmd",
    "altgr": "alt_gr",
}
BUTTON_NAMES: Final = {
    "left": "left",
    "right": "right",
    "middle": "middle",
    "back": "button8",
    "forward": "button9",
}
MAX_TEXT: Final = 4096


class InputInjector:
    """Apply session input events to the local desktop."""

    def __init__(self, monitor: tuple[int, int, int, int] = (0, 0, 1 << 15, 1 << 15)) -> None:
        try:
            from pynput import keyboard, mouse
        except Exception as exc:  # pynput raises ImportError or Xlib errors with no display
            raise InputUnavailableError(f"cannot inject input on this desktop: {exc}") from exc
        self._keyboard_mod = keyboard
        self._mouse_mod = mouse
        self._keyboard = keyboard.Controller()
        self._mouse = mouse.Controller()
        self._held: set[str] = set()  # modifier names (session names) we pressed
        self._buttons: set[str] = set()  # mouse buttons we pressed
        self.monitor = monitor

    def __enter__(self) -> InputInjector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release what we hold and close pynput's X connections now, while the display
        is alive (pynput's own ``__del__`` would close them at exit, maybe too late)."""
        self.release_all()
        for controller in (self._keyboard, self._mouse):
            display = getattr(controller, "_display", None)
            if display is not None:
                display.close()
                del controller._display

    def set_monitor(self, left: int, top: int, width: int, height: int) -> None:
        """The shared monitor's rectangle in virtual-desktop coordinates."""
        self.monitor = (left, top, width, height)

    def _absolute(self, x: int, y: int) -> tuple[int, int]:
        left, top, width, height = self.monitor
        return left + min(max(x, 0), width - 1), top + min(max(y, 0), height - 1)

    def apply(self, event: PointerMove | PointerButton | Wheel | Key | Text) -> None:
        """Inject one event; unknown key names are logged and skipped, never raised."""
        match event:
            case PointerMove():
                self._mouse.position = self._absolute(event.x, event.y)
            case PointerButton():
                self._mouse.position = self._absolute(event.x, event.y)
                button = getattr(self._mouse_mod.Button, BUTTON_NAMES[event.button])
                if event.pressed:
                    self._mouse.press(button)
                    self._buttons.add(event.button)
                elif event.button in self._buttons:
                    self._mouse.release(button)
                    self._buttons.discard(event.button)
            case Wheel():
                self._mouse.position = self._absolute(event.x, event.y)
                self._mouse.scroll(event.dx, event.dy)
            case Key():
                self._key(event)
            case Text():
                self._keyboard.type(event.text[:MAX_TEXT])

    def _key(self, event: Key) -> None:
        key = self._resolve(event.key)
        if key is None:
            log.warning("control event=unknown-key key=%r", event.key[:32])
            return
        if event.key in MODIFIER_KEYS:
            (self._held.add if event.pressed else self._held.discard)(event.key)
        elif event.pressed:
            self._sync_modifiers(event.modifiers)
        if event.pressed:
            self._keyboard.press(key)
        else:
            self._keyboard.release(key)

    def _sync_modifiers(self, wanted: frozenset[str]) -> None:
        for name in sorted(set(MODIFIER_KEYS) & (wanted ^ self._held)):
            key = self._resolve(name)
            if name in wanted:
                self._keyboard.press(key)
                self._held.add(name)
            else:
                self._keyboard.release(key)
                self._held.discard(name)

    def _resolve(self, name: str) -> Any:
        if len(name) == 1:
            return self._keyboard_mod.KeyCode.from_char(name)
        return getattr(self._keyboard_mod.Key, MODIFIER_KEYS.get(name, name), None)

    def release_all(self) -> None:
        """Let go of every modifier and button we hold (session end, focus loss)."""
        for name in sorted(self._held):
            self._keyboard.release(self._resolve(name))
        self._held.clear()
        for button in sorted(self._buttons):
            self._mouse.release(getattr(self._mouse_mod.Button, BUTTON_NAMES[button]))
        self._buttons.clear()
