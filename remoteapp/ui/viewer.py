"""The agent's viewer: the customer's screen, scaled to fit or 1:1, with input forwarding.

Frames are decoded on the session's network thread; only the damaged rectangles are
copied (under a lock) into the picture this widget paints, and a queued signal asks
the GUI thread to repaint, so the GUI thread never waits on the network.

Once the session's end-to-end channel is up, the toolbar shows its verification code;
the agent and the customer compare it on the phone (docs/security.md). A password that
did not match ends the session with a message saying so.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Final

import numpy as np

from remoteapp.codec import DecodedUpdate, LossyMode, Pixels
from remoteapp.net.session import (
    Clipboard,
    Event,
    Key,
    PointerButton,
    PointerMove,
    ScreenInfo,
    SelectMonitor,
    Wheel,
)
from remoteapp.secure import PasswordMismatch
from remoteapp.session import AgentSession
from remoteapp.ui.clipboard import ClipboardSync
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets, Signal

Qt = QtCore.Qt

QWIDGETSIZE_MAX: Final = (1 << 24) - 1
CLIPBOARD_WAIT_S: Final = 30.0  # copied text waits this long for room in the send queue

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


def spaced_code(code: str) -> str:
    """``123456`` as ``123 456``: easier to read out."""
    return f"{code[:3]} {code[3:]}" if len(code) == 6 else code


def verification_hint() -> str:
    return tr(
        "Compare this code with the customer on the phone: the same code on both screens "
        "means nobody is in between."
    )


def wrong_password_text() -> str:
    return tr(
        "The password does not match: the session did not start. Ask the customer to read "
        "out the password the app shows now (it has changed) and connect again."
    )


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
        scale, ox, oy = self._placement()
        w, h = self.remote_size
        with self._lock:
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


class ViewerWindow(QtWidgets.QMainWindow):
    """A session's window: toolbar, status badge, the screen."""

    frame_arrived = Signal()
    session_ended = Signal(str)
    screen_info = Signal(object)
    secured = Signal(str)  #: the verification code (shown in the toolbar)

    def __init__(self, session: AgentSession, customer: str) -> None:
        super().__init__()
        self.session = session
        session.on_frame = self.on_frame
        session.on_end = self.on_end
        session.on_screen_info = self.on_screen_info
        session.on_secured = self.on_secured
        self.clipboard = ClipboardSync(  # sends on its own thread: it may wait for room
            lambda text: session.send(Clipboard(text), wait=CLIPBOARD_WAIT_S), self, group="viewers"
        )
        session.on_clipboard = self.clipboard.receive
        self.setWindowTitle(tr("Remote access - {customer}").format(customer=customer))
        self.view = ScreenView()
        self.scroll_area = QtWidgets.QScrollArea()
        self.scroll_area.setWidget(self.view)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.scroll_area)
        bar = self.addToolBar(tr("Session"))
        bar.setObjectName("session-toolbar")
        self.end_action = bar.addAction(tr("End session"), self._end)
        self.cad_action = bar.addAction(tr("Send Ctrl+Alt+Del"), self._ctrl_alt_del)
        self.fit_action = bar.addAction(tr("Fit to window"), self._toggle_fit)
        self.fit_action.setCheckable(True)
        self.fit_action.setChecked(True)
        self.monitor_box = QtWidgets.QComboBox()
        self.monitor_box.setObjectName("monitor")
        self.monitor_box.setToolTip(tr("Which of the customer's monitors to show"))
        self.monitor_box.activated.connect(self._choose_monitor)
        self.monitor_action = bar.addWidget(self.monitor_box)
        self.monitor_action.setVisible(False)  # shown when the customer has several
        self.quality_box = QtWidgets.QComboBox()
        self.quality_box.setObjectName("quality")
        for label, mode in (
            (tr("Automatic"), LossyMode.AUTO),
            (tr("Best quality"), LossyMode.QUALITY),
            (tr("Best speed"), LossyMode.SPEED),
        ):
            self.quality_box.addItem(label, mode.value)
        self.quality_box.setToolTip(
            tr(
                "Picture: Automatic sends videos and photos in less detail and makes them "
                "exact once they stop changing; Best quality is always exact; Best speed "
                "uses less detail everywhere (for slow connections)."
            )
        )
        self.quality_box.activated.connect(self._choose_quality)
        bar.addWidget(self.quality_box)
        self.code_label = QtWidgets.QLabel()
        self.code_label.setObjectName("verification-code")
        self.code_label.setToolTip(verification_hint())
        bar.addWidget(self.code_label)
        self.secured.connect(self._show_code, Qt.ConnectionType.QueuedConnection)
        self.screen_info.connect(self._show_monitors, Qt.ConnectionType.QueuedConnection)
        self.badge = QtWidgets.QLabel(tr("Connecting..."))
        self.statusBar().addPermanentWidget(self.badge)
        self._started = time.monotonic()
        self._frames: list[float] = []
        self._ended = False
        self.end_reason = ""
        self.verification_code = ""
        self.view.input_event.connect(self._send_input)
        self.frame_arrived.connect(self._repaint, Qt.ConnectionType.QueuedConnection)
        self.session_ended.connect(self._show_end, Qt.ConnectionType.QueuedConnection)
        timer = QtCore.QTimer(self)
        timer.timeout.connect(self._update_badge)
        timer.start(500)
        self.resize(1100, 720)

    # -- called on the network thread by AgentSession's callbacks.  The window may have
    # been closed and deleted meanwhile (the session's last bytes are still arriving):
    # then there is nothing to show, and raising would kill the network thread.

    def on_frame(self, fb: Pixels, update: DecodedUpdate) -> None:
        with contextlib.suppress(RuntimeError):  # "Internal C++ object already deleted"
            self.view.take_frame(fb, update)
            self.frame_arrived.emit()

    def on_end(self, reason: str) -> None:
        with contextlib.suppress(RuntimeError):
            self.session_ended.emit(reason)

    def on_screen_info(self, info: ScreenInfo) -> None:
        with contextlib.suppress(RuntimeError):
            self.screen_info.emit(info)

    def on_secured(self, code: str) -> None:
        with contextlib.suppress(RuntimeError):
            self.secured.emit(code)

    # -- GUI thread

    def _show_code(self, code: str) -> None:
        self.verification_code = code
        self.code_label.setText(
            "  " + tr("Verification code: {code}").format(code=spaced_code(code)) + "  "
        )
        self.statusBar().showMessage(verification_hint())

    def _repaint(self) -> None:
        now = time.monotonic()
        self._frames = [t for t in self._frames if now - t < 1.0] + [now]
        if not self.view.fit and self.view.size() != self.view.sizeHint():
            self._apply_mode()  # the remote screen changed size (or just arrived)
        self.view.update()

    def _update_badge(self) -> None:
        if self._ended:
            return
        elapsed = int(time.monotonic() - self._started)
        latency = self.session.latency_ms
        now = time.monotonic()
        fps = sum(1 for t in self._frames if now - t < 1.0)
        self.badge.setText(
            tr("{latency} ms · {fps} fps · {h:02d}:{m:02d}:{s:02d}").format(
                latency="–" if latency is None else f"{latency:.0f}",
                fps=fps,
                h=elapsed // 3600,
                m=elapsed // 60 % 60,
                s=elapsed % 60,
            )
        )

    def _send_input(self, event: Event) -> None:
        if not self._ended:
            self.session.send(event)

    def _show_monitors(self, info: ScreenInfo) -> None:
        """List the customer's monitors (mss numbering: 0 is all of them together)."""
        self.monitor_box.clear()
        for monitor in info.monitors:
            if monitor.index == 0:
                label = tr("All monitors")
            else:
                label = tr("Monitor {n} ({w}x{h})").format(
                    n=monitor.index, w=monitor.width, h=monitor.height
                )
                if monitor.primary:
                    label += " *"
            self.monitor_box.addItem(label, monitor.index)
        found = self.monitor_box.findData(info.active)
        self.monitor_box.setCurrentIndex(max(found, 0))
        self.monitor_action.setVisible(len(info.monitors) > 2)  # all + one: nothing to pick

    def _choose_monitor(self, row: int) -> None:
        index = self.monitor_box.itemData(row)
        if index is not None and not self._ended:
            self.session.send(SelectMonitor(int(index)))

    def _choose_quality(self, row: int) -> None:
        if not self._ended:
            self.session.set_quality(LossyMode(self.quality_box.itemData(row)))

    def _toggle_fit(self) -> None:
        self.view.fit = self.fit_action.isChecked()
        self._apply_mode()

    def _apply_mode(self) -> None:
        """Fit: the view fills the window.  1:1: exactly the remote size, scrollbars."""
        if self.view.fit:
            self.view.setMinimumSize(0, 0)
            self.view.setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX)
            self.scroll_area.setWidgetResizable(True)
        else:
            self.scroll_area.setWidgetResizable(False)
            self.view.setFixedSize(self.view.sizeHint())
        self.view.update()

    def _ctrl_alt_del(self) -> None:
        for name in ("ctrl", "alt", "delete"):
            self.session.send(Key(name, True, frozenset({"ctrl", "alt"}) - {name}))
        for name in ("delete", "alt", "ctrl"):
            self.session.send(Key(name, False))

    def _end(self) -> None:
        self.session.end("agent ended the session")

    def _show_end(self, reason: str) -> None:
        self._ended = True
        self.clipboard.stop()
        self.end_reason = reason
        self.end_action.setEnabled(False)
        self.cad_action.setEnabled(False)
        self.monitor_box.setEnabled(False)
        if isinstance(self.session.failure, PasswordMismatch):
            self.badge.setText(wrong_password_text())
        else:
            self.badge.setText(tr("Session ended: {reason}").format(reason=reason))

    def changeEvent(self, event: QtCore.QEvent) -> None:
        if event.type() == QtCore.QEvent.Type.ActivationChange and self.isActiveWindow():
            self.clipboard.make_current()  # copies now go to this customer
        super().changeEvent(event)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if not self._ended:
            self.session.end("agent closed the viewer")
        super().closeEvent(event)
