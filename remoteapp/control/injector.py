"""Inject the agent's pointer and keyboard events into this desktop with pynput.

Coordinates arrive relative to the monitor being shared and are mapped to the virtual
desktop here, clamped to that monitor so a stale or hostile event cannot click elsewhere.
Key names are pynput's ``Key`` names ("enter", "f5", "page_up", "ctrl", ...) or a single
character; modifiers named in a Key event are brought in line before the key goes down,
so a lost key-up on the agent side cannot leave Ctrl stuck here for long.

On X11, characters go through the XTEST extension like a real keyboard's: pynput sends
them with XSendEvent, which many X programs ignore (xterm, games, keyboard grabs and
global shortcuts).  Characters the keymap cannot produce with at most Shift (an AltGr
level, a letter of another layout) are left to pynput, which remaps a spare keycode.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
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
MAX_DOWN: Final = 32  #: keys held down at once (besides modifiers); a keyboard holds far fewer
CONTROL_CHARS: Final = {"\n": "enter", "\r": "enter", "\t": "tab", "\b": "backspace"}


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
        self._xtest = _XTestChars.for_controller(self._keyboard)
        self._held: set[str] = set()  # modifier names (session names) we pressed
        self._down: set[str] = set()  # the other keys we pressed and have not released
        self._buttons: set[str] = set()  # mouse buttons we pressed
        self._moved_to: tuple[int, int] | None = None  # where we last put the pointer
        self.monitor = monitor

    def __enter__(self) -> InputInjector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release what we hold and close pynput's X connections now, while the display
        is alive (pynput's own ``__del__`` would close them at exit, maybe too late).
        The releases are run by the X server before it returns (settled: a client that
        looks next finds no key held).  Never raises: it runs on the way out of a session,
        maybe one that ended because the X session did, whose error must not be hidden
        (and a server that is gone holds no key)."""
        try:
            self.release_all()
            if self._xtest is not None:
                self._xtest.settle()
        except Exception:  # (Xlib's ConnectionClosedError, an OSError: the display is gone)
            log.warning("control event=release-failed", exc_info=True)
        finally:
            for controller in (self._keyboard, self._mouse):
                display = getattr(controller, "_display", None)
                if display is not None:
                    del controller._display
                    try:
                        display.close()
                    except Exception:  # (flushing to a server that is gone)
                        log.debug("control event=close-failed", exc_info=True)

    def set_monitor(self, left: int, top: int, width: int, height: int) -> None:
        """The shared monitor's rectangle in virtual-desktop coordinates."""
        self.monitor = (left, top, width, height)

    def _absolute(self, x: int, y: int) -> tuple[int, int]:
        left, top, width, height = self.monitor
        return left + min(max(x, 0), width - 1), top + min(max(y, 0), height - 1)

    def apply(self, event: PointerMove | PointerButton | Wheel | Key | Text) -> None:
        """Inject one event; unknown key names are logged and skipped, never raised."""
        if self._xtest is not None and not isinstance(event, Key | Text):
            self._xtest.settle()  # (the pointer's events go on pynput's other connection)
        match event:
            case PointerMove():
                self._move_to(self._absolute(event.x, event.y))
            case PointerButton():
                self._point_at(self._absolute(event.x, event.y))
                button = getattr(self._mouse_mod.Button, BUTTON_NAMES[event.button])
                if event.pressed:
                    self._mouse.press(button)
                    self._buttons.add(event.button)
                elif event.button in self._buttons:
                    self._mouse.release(button)
                    self._buttons.discard(event.button)
            case Wheel():
                self._point_at(self._absolute(event.x, event.y))
                self._mouse.scroll(event.dx, event.dy)
            case Key():
                self._key(event)
            case Text():
                for char in event.text[:MAX_TEXT]:
                    self._char(char, True, exact=True)
                    self._char(char, False, exact=True)

    def _move_to(self, at: tuple[int, int]) -> None:
        self._mouse.position = at
        self._moved_to = at

    def _point_at(self, at: tuple[int, int]) -> None:
        """The pointer at ``at`` for a button or the wheel, moved only if it is not there:
        the viewer moves it there first, and a move that moves nothing still makes motion
        events (on X, raw motion wakes the capture thread for a grab that finds nothing:
        two a click).  Asking where it is costs what a move does (a round trip); only
        where the last move went, as someone at this desktop may have moved it since.
        X11 only (elsewhere a move that moves nothing wakes nobody): there it always moves."""
        if self._xtest is None or at != self._moved_to or self._mouse.position != at:
            self._move_to(at)

    def _key(self, event: Key) -> None:
        key = self._resolve(event.key)
        if key is None:
            log.warning("control event=unknown-key key=%r", event.key[:32])
            return
        if event.key in MODIFIER_KEYS:
            (self._held.add if event.pressed else self._held.discard)(event.key)
        elif event.pressed:
            if event.key not in self._down and len(self._down) >= MAX_DOWN:
                log.warning("control event=too-many-keys-down held=%d", len(self._down))
                return  # (no keyboard holds so many: every one is released at the end)
            self._down.add(event.key)
            self._sync_modifiers(event.modifiers)
        else:
            self._down.discard(event.key)
        if len(event.key) == 1:
            self._char(event.key, event.pressed, exact=False)
        else:
            self._pynput_key(key, event.pressed)

    def _char(self, char: str, pressed: bool, *, exact: bool) -> None:
        """``exact``: type this very character (Text).  Otherwise (Key) a letter is a key,
        whose case comes from the Shift and Caps Lock in effect, as on a real keyboard (the
        viewer sends letters lower-case with Shift as its own key); other characters are
        the character the agent's keyboard produced."""
        control = CONTROL_CHARS.get(char)
        if control is not None:
            self._pynput_key(getattr(self._keyboard_mod.Key, control), pressed)
            return
        as_key = not exact and char.lower() != char.upper()
        if self._xtest is not None and self._xtest.send(
            char.lower() if as_key else char, pressed, "shift" in self._held, as_key=as_key
        ):
            return
        self._pynput_key(self._keyboard_mod.KeyCode.from_char(char), pressed)

    def _pynput_key(self, key: Any, pressed: bool) -> None:
        """pynput's own press or release, which syncs and raises the X errors the sync
        brings in: characters flushed before it are settled first, so an error of theirs
        is logged as theirs (as ``_XTestChars`` does) and does not end the session as
        pynput's (a round trip, only after characters)."""
        if self._xtest is not None:
            self._xtest.settle()
        (self._keyboard.press if pressed else self._keyboard.release)(key)

    def _sync_modifiers(self, wanted: frozenset[str]) -> None:
        for name in sorted(set(MODIFIER_KEYS) & (wanted ^ self._held)):
            key = self._resolve(name)
            self._pynput_key(key, name in wanted)
            (self._held.add if name in wanted else self._held.discard)(name)

    def _resolve(self, name: str) -> Any:
        if len(name) == 1:
            return self._keyboard_mod.KeyCode.from_char(name)
        return getattr(self._keyboard_mod.Key, MODIFIER_KEYS.get(name, name), None)

    def release_all(self) -> None:
        """Let go of every key and button we hold (session end, focus loss): a key held
        by XTEST stays down after its client is gone.  Each is tried: one that fails does
        not leave the rest held (the first failure is raised once all were tried)."""
        releases: list[Callable[[], object]] = [
            *(functools.partial(self._key, Key(name, False)) for name in sorted(self._down)),
            *(
                functools.partial(self._pynput_key, self._resolve(name), False)
                for name in sorted(self._held)
            ),
            *(
                functools.partial(
                    self._mouse.release, getattr(self._mouse_mod.Button, BUTTON_NAMES[button])
                )
                for button in sorted(self._buttons)
            ),
        ]
        self._held.clear()
        self._buttons.clear()
        failed: Exception | None = None
        for release in releases:
            try:
                release()
            except Exception as exc:  # (an X error, a display gone: the rest still go)
                failed = failed or exc
        if failed is not None:
            raise failed


class _XTestChars:
    """Characters as XTEST key events on pynput's own X connection (X11 only).

    The events are flushed, not synced: a round trip per event was two thirds of a typed
    key's cost here (pynput's ``display_manager`` syncs to raise X errors at once).  An
    error (none is expected: the keycodes come from the server's own keymap) arrives
    with the connection's next reply, pynput's or a press's pointer query, and is
    logged then.  The X server runs one connection's events in order; the pointer's go
    on pynput's other connection, so the first of them after characters waits for the
    server to have run those (``settle``)."""

    def __init__(self, controller: Any, alt_gr_mask: Any, xtest: Any, x: Any) -> None:
        self._controller = controller
        self._alt_gr_mask = alt_gr_mask
        self._xtest = xtest
        self._x = x
        self._errors: list[object] = []
        self._unsettled = False  #: events flushed that the server may not have run yet

    def _on_error(self, error: object, request: object = None) -> None:
        if len(self._errors) < 8:  # (bounded: only the first few are logged)
            self._errors.append(error)

    def settle(self) -> None:
        """Before an event on another connection (the pointer's): the X server has run
        the characters sent so far, so that a click cannot overtake the text typed
        before it; and before pynput's own key calls, so that their errors come in
        here (one round trip, only after characters)."""
        if self._unsettled:
            dm = self._controller._display
            dm.set_error_handler(self._on_error)
            dm.sync()
            self._unsettled = False
            self._report()

    def _report(self) -> None:
        if self._errors:
            log.warning("control event=x-error errors=%r", self._errors)
            self._errors.clear()

    @classmethod
    def for_controller(cls, controller: Any) -> _XTestChars | None:
        """None unless ``controller`` is pynput's X11 keyboard (elsewhere pynput already
        injects like a keyboard: SendInput on Windows, CGEvent on macOS)."""
        if not type(controller).__module__.endswith("._xorg"):
            return None
        try:
            import Xlib.ext.xtest
            import Xlib.X
            from pynput._util.xorg import alt_gr_mask
        except ImportError:
            return None
        return cls(controller, alt_gr_mask, Xlib.ext.xtest, Xlib.X)

    def send(self, char: str, pressed: bool, shift_held: bool, *, as_key: bool = False) -> bool:
        """Press or release ``char``; False if it cannot be typed here with at most Shift
        from the current keyboard state (the caller falls back to pynput, which sends the
        modifier state it needs with the event).  XTEST keys act on the live state, so
        Shift is pressed, or the session's own Shift let go, when the level differs from
        the one the character needs; Caps Lock counts for letters.  ``as_key``: just the
        key, whatever Shift and Caps Lock make of it."""
        ordinal = ord(char)
        keysym = ordinal if ordinal < 0x100 else ordinal | 0x01000000
        try:
            found = self._controller.keyboard_mapping.get(keysym)
        except Exception:  # an X error while reading the keymap
            return False
        if found is None:
            return False
        keycode, shift_state = found
        if shift_state & ~1:  # needs AltGr / another group
            return False
        x, fake, dm = self._x, self._xtest.fake_input, self._controller._display
        # (set each time: pynput's own calls set theirs and leave None behind, python-xlib
        # not telling them the handler before)
        dm.set_error_handler(self._on_error)
        try:
            if not pressed or as_key:
                fake(dm, x.KeyPress if pressed else x.KeyRelease, keycode)
                return True
            state = dm.screen().root.query_pointer().mask  # (a reply: errors come with it)
            if (state >> 13) & 3 or state & self._alt_gr_mask(dm):
                return False  # another layout group or AltGr active: pynput's way
            shifted = bool(state & x.ShiftMask)
            caps = bool(state & x.LockMask) and char.lower() != char.upper()
            shift = dm.keysym_to_keycode(0xFFE1)  # Shift_L
            events: tuple[tuple[int, int], ...]
            if shifted ^ caps == bool(shift_state & 1):
                events = ((x.KeyPress, keycode),)
            elif not shifted:  # needs Shift (or, with Caps Lock, needs it to undo caps)
                events = ((x.KeyPress, shift), (x.KeyPress, keycode), (x.KeyRelease, shift))
            elif shift_held:  # the session holds Shift (pressed as Shift_L): lift it
                events = ((x.KeyRelease, shift), (x.KeyPress, keycode), (x.KeyPress, shift))
            else:
                return False  # someone at the customer's keyboard holds Shift
            for kind, code in events:
                fake(dm, kind, code)
            return True
        finally:  # (whatever was sent leaves now, and its errors come with a later reply)
            dm.flush()
            self._unsettled = True
            self._report()
