"""The agent's picture of the remote screen (``ScreenView``), and how local Qt input
becomes session input events (``key_name``, ``modifiers_of``, the button names).

The view keeps its own copy of the decoded frame: the network thread copies just the
damaged rectangles into it under a lock (``take_frame``), and the GUI thread paints it,
so neither waits on the other for long.
"""

from __future__ import annotations

import threading
from typing import Final

import numpy as np

from remoteapp.codec import DecodedUpdate, Pixels
from remoteapp.net.session import Key, PointerButton, PointerMove, Wheel
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets, Signal

Qt = QtCore.Qt

SPECIAL_KEYS: Final = {
    Qt.Key.Key_Return: "enter",
    Qt.Key.Key_Enter: "enter",
    Qt.Key.Key_Escape: "esc",
    Qt.Key.Key_Tab: "tab",
    Qt.Key.Key_Backtab: "tab",
    Qt.Key.Key_Backspace: "backspace",
    Qt.Key.Key_Delete: "delete",
    Qt.Key.Key_Insert: "insert",
    Qt.Key.Key_Home: "home",
    Qt.Key.Key_End: "end",
    Qt.Key.Key_PageUp: "page_up",
    Qt.Key.Key_PageDown: "page_down",
    Qt.Key.Key_Left: "left",
    Qt.Key.Key_Right: "right",
    Qt.Key.Key_Up: "up",
    Qt.Key.Key_Down: "down",
    Qt.Key.Key_Space: "space",
    Qt.Key.Key_Shift: "shift",
    Qt.Key.Key_Control: "ctrl",
    Qt.Key.Key_Alt: "alt",
    Qt.Key.Key_AltGr: "altgr",
    Qt.Key.Key_Meta: "meta",
    Qt.Key.Key_CapsLock: "caps_lock",
    Qt.Key.Key_NumLock: "num_lock",
    Qt.Key.Key_Print: "print_screen",
    Qt.Key.Key_Pause: "pause",
    Qt.Key.Key_Menu: "menu",
    **{getattr(Qt.Key, f"Key_F{i}"): f"f{i}" for i in range(1, 21)},
}
MODIFIER_BITS: Final = {
    Qt.KeyboardModifier.ShiftModifier: "shift",
    Qt.KeyboardModifier.ControlModifier: "ctrl",
    Qt.KeyboardModifier.AltModifier: "alt",
    Qt.KeyboardModifier.MetaModifier: "meta",
}
BUTTONS: Final = {
    Qt.MouseButton.LeftButton: "left",
    Qt.MouseButton.RightButton: "right",
    Qt.MouseButton.MiddleButton: "middle",
    Qt.MouseButton.BackButton: "back",
    Qt.MouseButton.ForwardButton: "forward",
}


def key_name(event: QtGui.QKeyEvent) -> str | None:
    """The session key name for a Qt key event (None for keys we do not forward)."""
    key = event.key()
    if key in SPECIAL_KEYS:
        return SPECIAL_KEYS[Qt.Key(key)]
    if Qt.Key.Key_A <= key <= Qt.Key.Key_Z:
        return chr(key).lower()  # the shift state travels as its own key
    text = event.text()
    if len(text) == 1 and text.isprintable():
        return text
    if 0x20 < key < 0x7F:
        return chr(key).lower()
    return None


def modifiers_of(event: QtGui.QInputEvent) -> frozenset[str]:
    mods = event.modifiers()
    return frozenset(name for bit, name in MODIFIER_BITS.items() if mods & bit)


class ScreenView(QtWidgets.QWidget):
    """Paints the remote screen and turns local input into session events."""

    input_event = Signal(object)  # a session input event, in remote pixels

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._lock = threading.Lock()
        self._picture: Pixels = np.zeros((1, 1, 4), np.uint8)
        self._image = self._wrap(self._picture)
        self.fit = True

    @staticmethod
    def _wrap(picture: Pixels) -> QtGui.QImage:
        h, w = picture.shape[:2]
        # BGRA bytes in memory are Qt's RGB32 on little-endian hosts (alpha ignored)
        return QtGui.QImage(picture.data, w, h, w * 4, QtGui.QImage.Format.Format_RGB32)

    # -- fed from the network thread

    def take_frame(self, fb: Pixels, update: DecodedUpdate) -> None:
        """Copy what changed; safe to call from any thread."""
        with self._lock:
            if self._picture.shape != fb.shape:
                self._picture = fb.copy()
                self._image = self._wrap(self._picture)
            else:
                for r in update.damage:
                    self._picture[r.y : r.bottom, r.x : r.right] = fb[r.y : r.bottom, r.x : r.right]

    @property
    def remote_size(self) -> tuple[int, int]:
        return self._picture.shape[1], self._picture.shape[0]

    def picture(self) -> Pixels:
        """A copy of what the view shows (tests compare it with the customer's screen)."""
        with self._lock:
            return self._picture.copy()

    # -- geometry

    def sizeHint(self) -> QtCore.QSize:
        w, h = self.remote_size
        return QtCore.QSize(w, h)

    def _placement(self) -> tuple[float, float, float]:
        """(scale, x offset, y offset) of the picture inside the widget."""
        w, h = self.remote_size
        if not self.fit:
            return 1.0, 0.0, 0.0
        scale = min(self.width() / w, self.height() / h)
        return scale, (self.width() - w * scale) / 2, (self.height() - h * scale) / 2

    def to_remote(self, pos: QtCore.QPointF) -> tuple[int, int]:
        scale, ox, oy = self._placement()
        w, h = self.remote_size
        x = int((pos.x() - ox) / scale)
        y = int((pos.y() - oy) / scale)
        return min(max(x, 0), w - 1), min(max(y, 0), h - 1)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), QtGui.QColor(32, 32, 36))
        with self._lock:  # (the size and the picture of one frame: it may change size)
            scale, ox, oy = self._placement()
            w, h = self.remote_size
            if scale == 1.0:
                painter.drawImage(QtCore.QPointF(ox, oy), self._image)  # sharp text at 1:1
            else:
                painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
                painter.drawImage(QtCore.QRectF(ox, oy, w * scale, h * scale), self._image)
        painter.end()

    # -- input

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        self.input_event.emit(PointerMove(*self.to_remote(event.position())))

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        self._button(event, pressed=True)

    def mouseReleaseEvent(self, event: QtGui.QMouseEvent) -> None:
        self._button(event, pressed=False)

    def _button(self, event: QtGui.QMouseEvent, *, pressed: bool) -> None:
        name = BUTTONS.get(event.button())
        if name is not None:
            x, y = self.to_remote(event.position())
            self.input_event.emit(PointerButton(x, y, name, pressed))

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:
        delta = event.angleDelta()
        x, y = self.to_remote(event.position())
        self.input_event.emit(Wheel(x, y, delta.x() // 120, delta.y() // 120))

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        self._key(event, pressed=True)

    def keyReleaseEvent(self, event: QtGui.QKeyEvent) -> None:
        if not event.isAutoRepeat():
            self._key(event, pressed=False)

    def _key(self, event: QtGui.QKeyEvent, *, pressed: bool) -> None:
        name = key_name(event)
        if name is not None:
            self.input_event.emit(Key(name, pressed, modifiers_of(event)))

    def focusNextPrevChild(self, next: bool) -> bool:
        return False  # Tab belongs to the remote screen
