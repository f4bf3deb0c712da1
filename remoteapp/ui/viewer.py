"""The agent's viewer: the customer's screen, scaled to fit or 1:1, with input forwarding.

Frames are decoded on the session's network thread; only the damaged rectangles are
copied (under a lock) into the picture this widget paints, and the GUI thread is asked
to repaint (at most one request waiting: a burst of frames is one repaint), so the GUI
thread never waits on the network.

Once the session's end-to-end channel is up, the toolbar shows its verification code;
the agent and the customer compare it on the phone (docs/security.md). A password that
did not match ends the session with a message saying so.
"""

from __future__ import annotations

import contextlib
import time
from typing import Final

from remoteapp.codec import DecodedUpdate, LossyMode, Pixels
from remoteapp.net.session import (
    Clipboard,
    Event,
    Key,
    ScreenInfo,
    SelectMonitor,
)
from remoteapp.secure import PasswordMismatch
from remoteapp.session import AgentSession
from remoteapp.ui.clipboard import ClipboardSync
from remoteapp.ui.end_reasons import end_reason_text
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets, Signal, emitter
from remoteapp.ui.screen_view import ScreenView

Qt = QtCore.Qt

QWIDGETSIZE_MAX: Final = (1 << 24) - 1
CLIPBOARD_WAIT_S: Final = 30.0  # copied text waits this long for room in the send queue
FRAME_PX: Final = 16  # room left for the window manager's borders ...
TITLE_PX: Final = 32  # ... and title bar around the viewer


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


def fitted(wanted: QtCore.QSize, available: QtCore.QRect) -> QtCore.QRect:
    """``wanted`` at most as big as ``available`` (less room for the window's frame),
    centred in it: the viewer fits a 1024x768 screen and opens on it."""
    frame = QtCore.QSize(FRAME_PX, FRAME_PX + TITLE_PX)
    room = (available.size() - frame).expandedTo(QtCore.QSize(1, 1))
    size = wanted.boundedTo(room)
    rect = QtCore.QRect(QtCore.QPoint(0, 0), size)
    rect.moveCenter(available.center())
    return rect


def on_screen(window: QtWidgets.QWidget, wanted: QtCore.QSize) -> QtCore.QRect:
    """Where ``window`` opens: ``fitted`` to its screen's available area."""
    screen = window.screen() or QtGui.QGuiApplication.primaryScreen()
    if screen is None:  # (no screen at all: nothing to fit)
        return QtCore.QRect(QtCore.QPoint(0, 0), wanted)
    return fitted(wanted, screen.availableGeometry())


class ViewerWindow(QtWidgets.QMainWindow):
    """A session's window: toolbar, status badge, the screen."""

    frame_arrived = Signal()
    session_ended = Signal(str)
    screen_info = Signal(object)
    secured = Signal(str)  #: the verification code (shown in the toolbar)
    closed = Signal()  #: the agent closed the window (in progress or ended)

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
        self._customer = customer
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
        self.frame_arrived.connect(self._repaint)
        self.session_ended.connect(self._show_end, Qt.ConnectionType.QueuedConnection)
        # the network thread's signals are emitted on the GUI thread (``qt.emitter``)
        self._emit_frame = emitter(self.frame_arrived)
        self._repaint_due = False  # one repaint waits at most, however many frames come
        self._emit_end = emitter(self.session_ended)
        self._emit_screen_info = emitter(self.screen_info)
        self._emit_secured = emitter(self.secured)
        timer = QtCore.QTimer(self)
        timer.timeout.connect(self._update_badge)
        timer.start(500)
        self.setGeometry(on_screen(self, QtCore.QSize(1100, 720)))

    # -- called on the network thread by AgentSession's callbacks.  The window may have
    # been closed and deleted meanwhile (the session's last bytes are still arriving):
    # then there is nothing to show, and raising would kill the network thread.

    def on_frame(self, fb: Pixels, update: DecodedUpdate) -> None:
        """Up to 60 a second: the frame goes into the view, and a repaint is asked for
        unless one is due already (it paints what the view holds then: this frame too)."""
        with contextlib.suppress(RuntimeError):  # "Internal C++ object already deleted"
            self.view.take_frame(fb, update)
            if not self._repaint_due:  # (set here only, cleared by the GUI thread only)
                self._repaint_due = True
                self._emit_frame()

    def on_end(self, reason: str) -> None:
        self._emit_end(reason)

    def on_screen_info(self, info: ScreenInfo) -> None:
        self._emit_screen_info(info)

    def on_secured(self, code: str) -> None:
        self._emit_secured(code)

    # -- GUI thread

    def _show_code(self, code: str) -> None:
        self.verification_code = code
        self.code_label.setText(
            "  " + tr("Verification code: {code}").format(code=spaced_code(code)) + "  "
        )
        self.statusBar().showMessage(verification_hint())

    def _repaint(self) -> None:
        self._repaint_due = False  # (before the view paints: a frame from now on asks again)
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
            said = wrong_password_text()
        else:
            said = end_reason_text(reason)
        self.badge.setText(said)
        self.statusBar().showMessage(said)  # (the verification hint is over)
        self.setWindowTitle(tr("Session ended - {customer}").format(customer=self._customer))

    def changeEvent(self, event: QtCore.QEvent) -> None:
        if event.type() == QtCore.QEvent.Type.ActivationChange and self.isActiveWindow():
            self.clipboard.make_current()  # copies now go to this customer
        super().changeEvent(event)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if not self._ended:
            self.session.end("agent closed the viewer")
        super().closeEvent(event)
        self.closed.emit()
