"""The agent side of ``bench.interactive`` (this process): an AgentSession that notes when
the watched pixel of its decoded framebuffer changes, and the agent's screen, the real
ViewerWindow on a private Xvfb with a grabber watching where it paints that pixel.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from typing import Any

from bench.interactive_roles import CLICK, WATCH

# -- the agent (this process)


class Agent:
    """AgentSession watching one pixel of its decoded framebuffer: when it leaves
    ``armed``, note the time (the viewer, once it is shown, paints after this)."""

    def __init__(self, sock: socket.socket, key: bytes) -> None:
        from remoteapp.net.session_state import Role
        from remoteapp.secure import SecureParams
        from remoteapp.session import AgentSession

        self.pixel = b""
        self.armed: bytes | None = None
        self.hit = threading.Event()
        self.hit_at = 0.0
        self.frame_times: list[float] = []
        self.ended = threading.Event()
        self.session = AgentSession(
            sock,
            "bench agent",
            secure=SecureParams.for_direct(Role.AGENT, key),
            on_frame=self._frame,
            on_end=lambda r: self.ended.set(),
        )

    def _frame(self, fb: Any, update: Any) -> None:
        now = time.perf_counter()
        self.frame_times.append(now)
        x, y = WATCH
        if fb.shape[0] > y and fb.shape[1] > x:
            self.pixel = fb[y, x, :3].tobytes()
        if self.armed is not None and self.pixel != self.armed:
            self.armed = None
            self.hit_at = now
            self.hit.set()

    def arm(self, pixel: bytes) -> None:
        self.hit.clear()
        self.armed = pixel


class AgentScreen:
    """The agent's screen: a QApplication on the agent's Xvfb showing ``agent``'s session
    in the real ViewerWindow at 1:1, and a ScreenGrabber on that display watching the
    pixel where the viewer shows the customer's ``WATCH`` pixel.  Main thread only."""

    def __init__(self, display: str, agent: Agent, stack: contextlib.ExitStack) -> None:
        import gc

        from PySide6 import QtTest

        from remoteapp.capture import Monitor, ScreenGrabber
        from remoteapp.ui.qt import QtCore, QtWidgets, collect_garbage_on_gui_thread
        from remoteapp.ui.viewer import ViewerWindow

        os.environ["DISPLAY"] = display  # the Rig's children have their own environment
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        os.environ.pop("WAYLAND_DISPLAY", None)
        self.qt, self.test = QtCore, QtTest.QTest
        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["bench-agent"])
        assert isinstance(app, QtWidgets.QApplication)
        self.app = app
        self.agent = agent
        stack.callback(gc.enable)  # once Qt is shut down and the session is over
        collect_garbage_on_gui_thread(app)  # as the app does: no GC on the network thread
        self.heartbeat = QtCore.QTimer(app)  # processEvents(WaitForMoreEvents) returns
        self.heartbeat.start(10)  # at least this often (the whole-run alarm, deadlines)
        self.loop = QtCore.QEventLoop()
        session = agent.session
        self.viewer = ViewerWindow(session, "bench customer")
        stack.callback(self._shutdown)  # before the agent's Xvfb stops (LIFO)
        viewer_frame, viewer_end = session.on_frame, session.on_end

        def on_frame(fb: Any, update: Any) -> None:  # network thread
            agent._frame(fb, update)  # the decoded framebuffer, then the viewer's copy
            viewer_frame(fb, update)

        def on_end(reason: str) -> None:
            agent.ended.set()
            viewer_end(reason)

        session.on_frame, session.on_end = on_frame, on_end
        self.paint_times: list[float] = []
        paint_times = self.paint_times

        class PaintCounter(QtCore.QObject):
            """Notes when the view gets a paint event (Qt coalesces its updates)."""

            def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
                if event.type() == QtCore.QEvent.Type.Paint:
                    paint_times.append(time.perf_counter())
                return False

        self.painter = PaintCounter()
        self.viewer.view.installEventFilter(self.painter)
        self.viewer.fit_action.trigger()  # 1:1, as an agent reading small text would
        assert not self.viewer.fit_action.isChecked()
        self.viewer.move(0, 0)
        self.viewer.show()
        self.grabber = stack.enter_context(ScreenGrabber(display=display))
        self.probe: Monitor | None = None
        self._monitor = Monitor

    def _shutdown(self) -> None:
        """End the session, close the window, drop the QApplication's X connection."""
        self.agent.session.end("bench over")
        with contextlib.suppress(RuntimeError):
            self.viewer.view.removeEventFilter(self.painter)
            self.viewer.close()
            self.viewer.deleteLater()
        self.heartbeat.stop()
        flags = self.qt.QEventLoop.ProcessEventsFlag
        self.loop.processEvents(flags.AllEvents)
        self.loop.processEvents(flags.AllEvents)  # the deferred deletes
        self.app.shutdown()

    def pump(self, seconds: float) -> None:
        """Run Qt's event loop for ``seconds`` (the viewer repaints as frames arrive)."""
        flags = self.qt.QEventLoop.ProcessEventsFlag
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            self.loop.processEvents(flags.AllEvents | flags.WaitForMoreEvents)

    def events(self) -> None:
        """Handle what is pending (a frame to paint), without waiting."""
        self.loop.processEvents(self.qt.QEventLoop.ProcessEventsFlag.AllEvents)

    def place(self, width: int, height: int, timeout: float) -> None:
        """Size the window so the whole remote screen shows at 1:1; find the pixel to watch
        once the view has the remote size (it follows the first frame)."""
        from remoteapp.ui.qt import QtCore

        view, area = self.viewer.view, self.viewer.scroll_area
        deadline = time.monotonic() + timeout
        while view.size() != QtCore.QSize(width, height):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the viewer never laid out {width}x{height} at 1:1")
            self.pump(0.02)
        # grow the window by what the viewport lacks (toolbar, status bar, frame), a margin
        need = view.size() - area.viewport().size() + QtCore.QSize(8, 8)
        self.viewer.resize(self.viewer.size() + need.expandedTo(QtCore.QSize(0, 0)))
        self.pump(0.3)
        here = view.mapToGlobal(QtCore.QPoint(*WATCH))
        seen = view.visibleRegion().contains(QtCore.QPoint(*WATCH))
        screen = self.grabber.monitors()[1]
        if not (seen and screen.contains(here.x(), here.y())):
            raise RuntimeError(f"the viewer's {WATCH} is not on the agent's screen ({here})")
        self.probe = self._monitor(1, here.x(), here.y(), 1, 1)

    def pixel(self) -> bytes:
        """What the agent's screen shows where the viewer has the customer's ``WATCH``."""
        assert self.probe is not None
        return bytes(self.grabber.grab(self.probe).pixels[0, 0, :3].tobytes())

    def click(self) -> None:
        """A left click on the customer's square, through the viewer's own handlers."""
        Qt = self.qt.Qt
        where = self.qt.QPoint(*CLICK)  # view coordinates are remote pixels at 1:1
        self.test.mouseClick(
            self.viewer.view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where
        )

    def key(self) -> None:
        """Press and release ``a`` in the viewer."""
        self.test.keyClick(self.viewer.view, self.qt.Qt.Key.Key_A)
