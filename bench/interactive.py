"""Interactive session benchmark (issue 4): input->pixel latency, sustained fps while the
customer's screen scrolls, and the customer's idle CPU -- each beside a baseline measured
in the same run on the same machine.

Everything runs for real, as in production: a private Xvfb is the customer's screen, a
relay subprocess (``python -m remoterelay``, tokens from ``remotewire.tokens``)
pairs the two sides, a customer subprocess joins it exactly as ``CustomerPresence`` does
(``relay_link.join`` + ``CustomerSession``) and this process is the agent
(``relay_link.join`` + ``AgentSession``) showing the session in the real
``remoteapp.ui.viewer.ViewerWindow``: a QApplication on a second private Xvfb (the
agent's screen), the window at 1:1 ("Fit to window" unchecked) with the customer's whole
screen in view.  A tiny python-xlib client on the customer's screen shows a square that
changes colour on every key press or click, and a text area that scrolls
``--scroll-step`` px per frame at ``--client-fps`` when told to.

Figures and their baselines:

* key/click -> pixel, p50/p95 ms: the agent's input goes into the viewer's ``ScreenView``
  as Qt events (``QTest``: ``mousePressEvent``/``keyPressEvent`` -> ``to_remote``/
  ``key_name`` -> ``input_event`` -> ``ViewerWindow._send_input`` -> ``session.send``,
  exactly the viewer's path; only the agent's X server -> Qt xcb delivery is left out),
  until a ScreenGrabber on the *agent's* Xvfb, polling the pixel where the viewer shows
  the customer's square (``view.mapToGlobal``), sees the new colour: the pixel is visible
  on the agent's screen.  Qt's event loop runs in that wait (``processEvents``), as it
  would in the app.  The same samples also give the time until the agent's decoded
  framebuffer had the new colour (``on_frame``, before the viewer copies and paints it):
  the difference is what the viewer's paint adds.  Baseline (interleaved sample by
  sample): the same input injected locally on the customer's display by a persistent
  ``xdotool -`` until a ScreenGrabber polling that pixel sees it change (the floor
  without our capture pacing, codec, network path and viewer paint).
* scroll fps: frames the agent decodes per second while the text area scrolls (and the
  frames per second the viewer paints).  Baselines: grab+encode alone (ScreenGrabber +
  ScreenEncoder as fast as they go, no session, same scrolling screen) and the frame rate
  the X client actually paints (XSync'ed frames).
* idle CPU %: utime+stime of the customer process over ``--seconds`` with a session and a
  static screen.  Baselines: the same process, started and imported, before the session,
  and the customer's Qt desktop app on its first page (no server, no session) over the
  same window.  Xvfb's CPU is shown too (capture costs the X server work as well).

    python -m bench.interactive                    # table
    python -m bench.interactive --json             # one JSON object
    python -m bench.interactive --samples 10 --seconds 2 --screen 640x400
    python -m bench.interactive --transport direct # customer dials the agent over TCP

Every wait has a timeout, the whole run is bounded by ``--timeout`` and every process
started here (both Xvfbs, relay, customer, X client, Qt app, xdotool) is stopped before
exit; the in-process QApplication is shut down before the agent's Xvfb goes.
Load from other processes on the machine shows up in every figure: compare a figure with
its baseline from the same run, not runs with each other.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import queue
import random
import secrets
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.desktop import WORDS

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
FLIP = (20, 20, 200, 200)  #: the square that changes colour on every key press / click
WATCH = (FLIP[0] + 20, FLIP[1] + 20)  #: the pixel we watch (away from where we click)
CLICK = (FLIP[0] + FLIP[2] // 2, FLIP[1] + FLIP[3] // 2)
COLOURS = (0x2050C0, 0xE0A020, 0x20A060, 0xC03040, 0x8040C0, 0x40C0C0)
LINE_H = 16


# -- helpers shared by the roles


class Lines:
    """A child's output lines, collected on a thread so every wait has a deadline."""

    def __init__(self, proc: subprocess.Popen[str], stream: Any = None) -> None:
        self.proc = proc
        self.name = " ".join(str(a) for a in list(proc.args)[:5])  # type: ignore[arg-type]
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        stream = proc.stdout if stream is None else stream
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: Any) -> None:
        with stream:
            for line in stream:
                self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, marker: str, timeout: float) -> str:
        """The first new line containing ``marker``; TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError(f"{self.name} ended; it printed: {''.join(self.seen)}")
            self.seen.append(line)
            if marker in line:
                return line
        raise TimeoutError(f"no {marker!r} from {self.name} within {timeout} s")

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()


def stdin_lines() -> queue.Queue[str | None]:
    """This process's stdin lines on a queue; None at end of file (the parent went)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in sys.stdin:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def child_pid(name: str) -> int | None:
    """The pid of our child process called ``name`` (the Xvfb tests.displays started)."""
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            comm, _, rest = stat.read_text().partition(") ")
            if comm.split("(", 1)[1] == name and rest.split()[1] == me:
                return int(stat.parent.name)
    return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- role: the X client on the customer's screen


def client_main(width: int, height: int, step: int, fps: float) -> int:
    """Flip square + scrolling text area.  stdin: ``scroll on|off``, ``count``."""
    from Xlib import X
    from Xlib import display as xdisplay

    d = xdisplay.Display()
    screen = d.screen()
    root = screen.root
    mask = X.ExposureMask | X.KeyPressMask | X.ButtonPressMask
    flip = root.create_window(
        *FLIP, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=COLOURS[0], override_redirect=True, event_mask=mask,
    )  # fmt: skip
    sx, sy = FLIP[0] + FLIP[2] + 20, FLIP[1]
    sw, sh = max(64, width - sx - 20), max(64, height - sy - 20)
    area = root.create_window(
        sx, sy, sw, sh, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=0xFFFFFF, override_redirect=True, event_mask=X.ExposureMask,
    )  # fmt: skip
    font = d.open_font("fixed")
    flip_gc = flip.create_gc(foreground=COLOURS[0])
    bg_gc = area.create_gc(foreground=0xFFFFFF, graphics_exposures=False)
    ink_gc = area.create_gc(foreground=0x202020, font=font, graphics_exposures=False)
    bar_gc = area.create_gc(foreground=0x3070D0, graphics_exposures=False)
    flip.map()
    area.map()
    d.flush()
    colour = 0
    scrolled = 0  # document rows scrolled off the top
    painted = 0
    scrolling = False
    focused = False
    commands = stdin_lines()

    def draw_rows(y0: int, y1: int) -> None:
        """Paint window rows [y0, y1) from the document (text lines with a colour bar)."""
        clip = [(0, y0, sw, y1 - y0)]
        for gc in (ink_gc, bar_gc):
            gc.set_clip_rectangles(0, 0, clip, X.Unsorted)
        area.fill_rectangle(bg_gc, 0, y0, sw, y1 - y0)
        first = (scrolled + y0) // LINE_H
        last = (scrolled + y1 - 1) // LINE_H
        for k in range(first, last + 1):
            top = k * LINE_H - scrolled
            rng = random.Random(k)
            bar_gc.change(foreground=COLOURS[k % len(COLOURS)])
            area.fill_rectangle(bar_gc, 4, top + 2, 6 + rng.randrange(30), LINE_H - 4)
            text = " ".join(rng.choice(WORDS) for _ in range(sw // 40 + 1))
            area.poly_text(ink_gc, 44, top + LINE_H - 4, [text.encode()])

    period = 1.0 / fps
    next_tick = time.monotonic()
    deadline = time.monotonic() + 900  # never outlive a forgotten parent for long
    while time.monotonic() < deadline:
        while d.pending_events():
            ev = d.next_event()
            if ev.type == X.Expose and ev.window == flip:
                flip.fill_rectangle(flip_gc, 0, 0, FLIP[2], FLIP[3])
                if not focused:
                    flip.set_input_focus(X.RevertToPointerRoot, X.CurrentTime)
                    d.sync()
                    focused = True
                    print("ready", flush=True)
            elif ev.type == X.Expose and ev.window == area:
                draw_rows(ev.y, ev.y + ev.height)
            elif ev.type in (X.KeyPress, X.ButtonPress):
                colour = (colour + 1) % len(COLOURS)
                flip_gc.change(foreground=COLOURS[colour])
                flip.fill_rectangle(flip_gc, 0, 0, FLIP[2], FLIP[3])
            d.flush()
        with contextlib.suppress(queue.Empty):
            while True:
                command = commands.get_nowait()
                if command is None:
                    return 0
                if command == "count":
                    print(f"count {painted} {time.monotonic():.6f}", flush=True)
                elif command.startswith("scroll"):
                    scrolling = command == "scroll on"
                    next_tick = time.monotonic()
        now = time.monotonic()
        if scrolling and now >= next_tick:
            scrolled += step
            area.copy_area(bg_gc, area, 0, step, sw, sh - step, 0, 0)
            draw_rows(sh - step, sh)
            d.sync()  # count a frame only once the X server has drawn it
            painted += 1
            next_tick = max(next_tick + period, now)  # late: skip, never burst
        wait = max(0.0, next_tick - time.monotonic()) if scrolling else 0.05
        select.select([d.fileno()], [], [], wait)
    return 0


# -- role: the customer


def customer_main(fps: float, capture: str = "damage") -> int:
    """Start, report ``ready``, then on ``go relay ADDRESS TOKEN KEY`` (or ``go direct
    HOST:PORT KEY``) serve this screen until the session ends or stdin closes.  KEY (hex,
    over the private stdin pipe) is the session's end-to-end key, as a server would hand
    it out on a queue connect."""
    from remoteapp.net.session_state import Role
    from remoteapp.secure import SecureParams
    from remoteapp.session import CustomerSession, relay_link

    commands = stdin_lines()
    print("customer event=ready", flush=True)
    try:
        line = commands.get(timeout=300)
    except queue.Empty:
        return 2
    if line is None or not line.startswith("go "):
        return 2
    _, how, address, *rest = line.split()
    secure = SecureParams.for_direct(Role.CUSTOMER, bytes.fromhex(rest[-1]))
    if how == "relay":
        sock, initial = relay_link.join(address, rest[0])
    else:
        from remotewire.address import parse_address

        sock, initial = socket.create_connection(parse_address(address), 10), b""
    ended = threading.Event()

    def on_end(reason: str) -> None:
        print(f"share event=ended reason={reason!r}", flush=True)
        ended.set()
        commands.put("ended")  # wakes the main thread, which sleeps on the queue

    session = CustomerSession(
        sock,
        "bench customer",
        secure=secure,
        fps=fps,
        capture="poll" if capture == "poll" else "damage",
        on_agent=lambda agent: print(f"share event=agent agent={agent!r}", flush=True),
        on_end=on_end,
    )
    session.start(initial)
    # block on the queue (no polling tick: this process's CPU is what the benches measure)
    deadline = time.monotonic() + 900
    while not ended.is_set():
        try:
            line = commands.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            session.end("bench deadline")
            deadline = time.monotonic() + 60  # then wait for the end it causes
            continue
        if line is None:
            session.end("bench over")
            ended.wait(30)
            break
    return 0


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


# -- the measurements


class Rig:
    """Customer screen, X client, relay, customer process, xdotool; all stopped on exit."""

    def __init__(self, args: argparse.Namespace, stack: contextlib.ExitStack) -> None:
        from remoteapp.capture import Monitor, ScreenGrabber
        from tests import displays

        self.args = args
        self.width, self.height = args.width, args.height
        self.display = stack.enter_context(displays.xvfb(self.width, self.height))
        self.xvfb_pid = child_pid("Xvfb")
        # the agent's screen: room for the customer's whole screen at 1:1 plus the window
        self.agent_screen = f"{self.width + 100}x{self.height + 200}"
        self.agent_display = stack.enter_context(displays.xvfb(self.width + 100, self.height + 200))
        env = {**os.environ, "DISPLAY": self.display, "PYTHONPATH": str(ROOT)}
        env.pop("WAYLAND_DISPLAY", None)
        self.env = env
        me = [sys.executable, "-m", "bench.interactive"]
        self.client = self.start(
            stack,
            [*me, "--role", "client", "--screen", args.screen, "--scroll-step",
             str(args.scroll_step), "--client-fps", str(args.client_fps)],
        )  # fmt: skip
        self.client.wait_for("ready", 30)
        self.relay_address = ""
        self.secret = b""
        if args.transport == "relay":
            self.secret = secrets.token_hex(32).encode()
            port = free_port()
            relay = self.start(
                stack,
                [sys.executable, "-m", "remoterelay", "--port", str(port),
                 "--relay-host", "127.0.0.1"],
                extra_env={"REMOTEAPP_RELAY_SECRET": self.secret.decode()},
                stderr=True,
                eof_stops=False,
            )  # fmt: skip
            relay.wait_for("event=listening", 20)
            self.relay_address = f"127.0.0.1:{port}"
        self.customer = self.start(
            stack, [*me, "--role", "customer", "--fps", str(args.fps), "--capture", args.capture]
        )
        self.customer.wait_for("customer event=ready", 30)
        self.xdotool = self.start(stack, ["xdotool", "-"])
        self.grabber = stack.enter_context(ScreenGrabber(display=self.display))
        self.probe = Monitor(1, WATCH[0], WATCH[1], 1, 1)

    def start(
        self,
        stack: contextlib.ExitStack,
        argv: list[str],
        extra_env: dict[str, str] | None = None,
        stderr: bool = False,
        eof_stops: bool = True,
        merge_stderr: bool = False,
    ) -> Lines:
        from tests.displays import die_with_parent

        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL if stderr else subprocess.PIPE,
            stderr=subprocess.PIPE if stderr else subprocess.STDOUT if merge_stderr else None,
            text=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - even if this process is killed
        )
        stack.callback(stop, proc, eof_stops)
        return Lines(proc, proc.stderr if stderr else proc.stdout)

    def start_gui_app(self, stack: contextlib.ExitStack) -> Lines:
        """The customer's desktop app on its first page (the form), no server to reach:
        the Qt app with no session.  Returns once its window is on the screen."""
        data = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-gui-"))
        x, y = FLIP[0] + FLIP[2] + 40, FLIP[1] + 20  # over the text area, not the square
        gui = self.start(
            stack,
            [sys.executable, "-m", "remoteapp", "--server", "http://127.0.0.1:9",
             "--window-pos", f"{x},{y}"],
            extra_env={"XDG_DATA_HOME": data, "QT_QPA_PLATFORM": "xcb"},
            eof_stops=False,
            merge_stderr=True,
        )  # fmt: skip
        subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--pid", str(gui.proc.pid)],
            env=self.env,
            capture_output=True,
            timeout=30,
            check=True,
        )
        time.sleep(1.0)  # let it settle: first paints, fonts, icon loading
        return gui

    def screen_pixel(self) -> bytes:
        return bytes(self.grabber.grab(self.probe).pixels[0, 0, :3].tobytes())

    def paint_count(self) -> tuple[int, float]:
        self.client.send("count")
        _, n, t = self.client.wait_for("count ", 10).split()
        return int(n), float(t)


def stop(proc: subprocess.Popen[str], eof_stops: bool = True) -> None:
    """Close stdin (the roles and xdotool exit on EOF), then terminate, then kill; always
    reap.  ``eof_stops=False`` (the relay): terminate at once."""
    with contextlib.suppress(OSError):
        if proc.stdin is not None:
            proc.stdin.close()
    try:
        proc.wait(3 if eof_stops else 0.01)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def idle_cpu(
    pids: dict[str, int | None], seconds: float, wait: Callable[[float], None] = time.sleep
) -> dict[str, float]:
    """CPU % (of one core) of each process over ``seconds`` (spent in ``wait``)."""
    live = {name: pid for name, pid in pids.items() if pid is not None}
    before = {name: cpu_seconds(pid) for name, pid in live.items()}
    t0 = time.monotonic()
    wait(seconds)
    elapsed = time.monotonic() - t0
    return {
        name: round((cpu_seconds(pid) - before[name]) / elapsed * 100, 2)
        for name, pid in live.items()
    }


def capture_alone(rig: Rig, seconds: float) -> dict[str, float]:
    """ScreenGrabber + ScreenEncoder on the customer's screen, unpaced, no session: the
    changed frames it sees per second, and the grab+encode time of a changed frame."""
    from remoteapp.codec import ScreenEncoder

    encoder = ScreenEncoder()
    monitor = rig.grabber.monitors()[1]
    encoder.encode(rig.grabber.grab(monitor).pixels)  # the key frame is not part of it
    changed: list[float] = []
    t0 = time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < seconds:
        t1 = time.perf_counter()
        shot = rig.grabber.grab(monitor)
        encoder.encode(shot.pixels, shot.cursor)
        stats = encoder.last_stats
        if stats is not None and (stats.rects or stats.copies):
            changed.append((time.perf_counter() - t1) * 1e3)
    ms = statistics.fmean(changed) if changed else float("nan")
    return {"fps": len(changed) / elapsed, "ms_per_frame": ms, "capacity_fps": 1e3 / ms}


def scroll_phase(
    rig: Rig,
    seconds: float,
    body: Callable[[], object],
    wait: Callable[[float], None] = time.sleep,
) -> tuple[float, object]:
    """Scroll while ``body`` runs; the X client's painted frames/s over that time."""
    rig.client.send("scroll on")
    try:
        wait(0.5)  # warm up: the area is scrolling, the encoder has seen it move
        n0, t0 = rig.paint_count()
        result = body()
        n1, t1 = rig.paint_count()
    finally:
        rig.client.send("scroll off")
    return (n1 - n0) / max(1e-9, t1 - t0), result


def start_session(rig: Rig, stack: contextlib.ExitStack) -> tuple[Agent, AgentScreen]:
    from remoteapp.session import relay_link
    from remotewire.roles import Role
    from remotewire.tokens import issue_token

    key = secrets.token_bytes(32)  # the session's end-to-end key
    if rig.args.transport == "relay":
        sid = secrets.token_hex(8)
        rig.customer.send(
            f"go relay {rig.relay_address} {issue_token(rig.secret, sid, Role.CUSTOMER)} "
            + key.hex()
        )
        sock, initial = relay_link.join(rig.relay_address, issue_token(rig.secret, sid, Role.AGENT))
    else:
        with socket.create_server(("127.0.0.1", 0)) as server:
            server.settimeout(30)
            rig.customer.send(f"go direct 127.0.0.1:{server.getsockname()[1]} {key.hex()}")
            sock, _ = server.accept()
            initial = b""
    agent = Agent(sock, key)
    stack.callback(agent.session.end, "bench over")
    screen = AgentScreen(rig.agent_display, agent, stack)  # the viewer sees the first frame
    agent.session.start(initial)
    rig.customer.wait_for("share event=agent", 30)
    screen.place(rig.width, rig.height, 30)
    deadline = time.monotonic() + 30
    while not agent.pixel == screen.pixel() == rig.screen_pixel():
        if time.monotonic() > deadline or agent.ended.is_set():
            raise TimeoutError("the agent's viewer never showed the customer's screen")
        screen.pump(0.05)
    return agent, screen


def latency(rig: Rig, agent: Agent, screen: AgentScreen, samples: int, timeout: float) -> Any:
    """Interleaved samples: floor (xdotool -> grab) then session (input into the viewer ->
    the agent's screen shows it; the decoded framebuffer's time from the same sample)."""
    rng = random.Random(4)
    got: dict[str, dict[str, list[float]]] = {
        kind: {"session": [], "floor": [], "decoded": []} for kind in ("key", "click")
    }
    lost = {kind: dict.fromkeys(paths, 0) for kind, paths in got.items()}
    xdo = {"key": "key a", "click": f"mousemove {CLICK[0]} {CLICK[1]} click 1"}
    send = {"key": screen.key, "click": screen.click}
    for _ in range(samples):
        for kind in ("key", "click"):
            # floor: inject locally, poll the pixel with the grabber
            before = rig.screen_pixel()
            t0 = time.perf_counter()
            rig.xdotool.send(xdo[kind])
            while rig.screen_pixel() == before:
                if time.perf_counter() - t0 > timeout:
                    lost[kind]["floor"] += 1
                    break
            else:
                got[kind]["floor"].append((time.perf_counter() - t0) * 1e3)
            screen.pump(rng.uniform(0.03, 0.12))
            # session: the agent's screen must show the customer's as it is, then the input
            before = rig.screen_pixel()
            deadline = time.monotonic() + timeout
            while not agent.pixel == screen.pixel() == before:
                if time.monotonic() > deadline:
                    break
                screen.pump(0.002)
            agent.arm(before)
            t0 = time.perf_counter()
            send[kind]()
            while screen.pixel() == before:
                if time.perf_counter() - t0 > timeout:
                    lost[kind]["session"] += 1
                    break
                screen.events()  # the viewer repaints as the frame arrives
                time.sleep(0.0003)  # let the network thread have the GIL
            else:
                got[kind]["session"].append((time.perf_counter() - t0) * 1e3)
            if agent.hit.is_set():
                got[kind]["decoded"].append((agent.hit_at - t0) * 1e3)
            else:
                lost[kind]["decoded"] += 1
            agent.armed = None
            screen.pump(rng.uniform(0.03, 0.12))
    return {
        kind: {
            path: {
                "p50": round(percentile(values, 50), 2),
                "p95": round(percentile(values, 95), 2),
                "max": round(max(values, default=float("nan")), 2),
                "n": len(values),
                "lost": lost[kind][path],
            }
            for path, values in paths.items()
        }
        for kind, paths in got.items()
    }


def session_fps(agent: Agent, screen: AgentScreen, seconds: float) -> dict[str, float]:
    start = time.perf_counter()
    screen.pump(seconds)
    end = time.perf_counter()
    stamps = [t for t in list(agent.frame_times) if start <= t <= end]
    paints = [t for t in list(screen.paint_times) if start <= t <= end]
    gaps = [(b - a) * 1e3 for a, b in itertools.pairwise(stamps)]
    return {
        "fps": round(len(stamps) / (end - start), 2),
        "gap_ms_p95": round(percentile(gaps, 95), 1),
        "gap_ms_max": round(max(gaps, default=float("nan")), 1),
        "paint_fps": round(len(paints) / (end - start), 2),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        rig = Rig(args, stack)
        pids = {"customer": rig.customer.proc.pid, "xvfb": rig.xvfb_pid}
        gui = rig.start_gui_app(stack)
        idle_none = idle_cpu({**pids, "gui_app": gui.proc.pid}, args.seconds)
        stop(gui.proc, eof_stops=False)
        paint_alone, grab = scroll_phase(
            rig, args.seconds, lambda: capture_alone(rig, args.seconds)
        )
        agent, screen = start_session(rig, stack)
        screen.pump(1.0)  # the key frame is out, the screen is static
        idle_session = idle_cpu(pids, args.seconds, screen.pump)
        lat = latency(rig, agent, screen, args.samples, args.wait)
        paint_session, fps = scroll_phase(
            rig, args.seconds, lambda: session_fps(agent, screen, args.seconds), screen.pump
        )
        agent.session.end("bench over")
        rig.customer.wait_for("share event=ended", 10)
        assert isinstance(fps, dict) and isinstance(grab, dict)
        return {
            "transport": args.transport,
            "capture": args.capture,
            "screen": args.screen,
            "customer_fps_cap": args.fps,
            "agent_screen": rig.agent_screen,
            "latency_ms": lat,
            "latency_session_ends": "pixel visible on the agent's screen (ViewerWindow 1:1)",
            "scroll": {
                "session_fps": fps["fps"],
                "session_gap_ms_p95": fps["gap_ms_p95"],
                "session_gap_ms_max": fps["gap_ms_max"],
                "viewer_paint_fps": fps["paint_fps"],
                "client_paint_fps": round(paint_session, 2),
                "capture_alone_fps": round(grab["fps"], 2),
                "capture_alone_ms_per_frame": round(grab["ms_per_frame"], 2),
                "capture_alone_capacity_fps": round(grab["capacity_fps"], 1),
                "client_paint_fps_capture_alone": round(paint_alone, 2),
                "scroll_step_px": args.scroll_step,
            },
            "idle_cpu_pct": {
                "customer_session": idle_session.get("customer"),
                "customer_no_session": idle_none.get("customer"),
                "gui_app_no_session": idle_none.get("gui_app"),
                "xvfb_session": idle_session.get("xvfb"),
                "xvfb_no_session": idle_none.get("xvfb"),
                "seconds": args.seconds,
            },
        }
    raise AssertionError("unreachable")


def table(r: dict[str, Any]) -> str:
    lat, sc, cpu = r["latency_ms"], r["scroll"], r["idle_cpu_pct"]
    rows: list[tuple[str, float | None, float | None, str]] = []
    for kind in ("key", "click"):
        s, f, d = lat[kind]["session"], lat[kind]["floor"], lat[kind]["decoded"]
        lost = s["lost"] + f["lost"]
        note = "xdotool on the customer's display -> grabber sees it"
        for q in ("p50", "p95"):
            rows.append((f"{kind}->pixel {q} ms", s[q], f[q], note if q == "p50" else ""))
        if lost:
            rows.append((f"{kind} samples lost", s["lost"], f["lost"], "timed out (--wait)"))
        for q in ("p50", "p95"):
            rows.append((f"  decoded fb only {q} ms", d[q], None,
                         "same samples, until the agent decoded it (before the viewer "
                         "paints)" if q == "p50" else ""))  # fmt: skip
    rows += [
        ("scroll fps (agent decodes)", sc["session_fps"], sc["capture_alone_fps"],
         "grab+encode alone (changed frames/s seen, no session)"),
        ("", None, sc["capture_alone_capacity_fps"],
         f"1 / grab+encode time of a changed frame ({sc['capture_alone_ms_per_frame']:.1f} ms)"),
        ("", None, sc["client_paint_fps"], "X client paints (during the session)"),
        ("  viewer paints fps", sc["viewer_paint_fps"], None,
         "paint events of the viewer's ScreenView (same window)"),
        ("scroll frame gap p95 ms", sc["session_gap_ms_p95"], None, ""),
        ("customer idle CPU %", cpu["customer_session"], cpu["customer_no_session"],
         "same process before the session"),
        ("", None, cpu["gui_app_no_session"],
         "customer Qt app on its form page (no server, no session)"),
        ("Xvfb CPU % (same windows)", cpu["xvfb_session"], cpu["xvfb_no_session"],
         "Xvfb with no session"),
    ]  # fmt: skip

    def cell(v: float | None) -> str:
        return "" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)

    out = [f"{'figure':<28}{'session':>10}{'baseline':>10}  baseline is"]
    out += [f"{n:<28}{cell(a):>10}{cell(b):>10}  {note}" for n, a, b, note in rows]
    via = "through the relay" if r["transport"] == "relay" else "over direct TCP (no relay)"
    out.append("")
    out.append(
        f"screen {r['screen']}, session {via}, capture {r['capture']}, customer capped at "
        f"{r['customer_fps_cap']:g} fps, scroll {sc['scroll_step_px']} px/frame, client paints "
        f"{sc['client_paint_fps_capture_alone']:.1f} fps during the grab+encode-alone run"
    )
    out.append(
        f"'pixel' is visible on the agent's screen ({r['agent_screen']} Xvfb): ViewerWindow at "
        "1:1, input through its ScreenView, a grabber polls the pixel it painted"
    )
    out.append("CPU % is of one core")
    out.append("")
    for name, (value, limit, met) in targets(r).items():
        verdict = "meets" if met else "MISSES"
        out.append(f"target {name}: {value} against {limit}: {verdict}")
    return "\n".join(out)


def targets(r: dict[str, Any]) -> dict[str, tuple[float, str, bool]]:
    """Issue 4's targets: click p95 <= 60 ms (painted by the viewer, visible on the agent's
    screen), scroll >= 25 fps (decoded by the agent), idle customer <= 5 %."""
    click = r["latency_ms"]["click"]["session"]["p95"]
    fps = r["scroll"]["session_fps"]
    cpu = r["idle_cpu_pct"]["customer_session"] or 0.0
    return {
        "click->pixel p95 ms": (click, "<= 60", click <= 60),
        "scroll fps": (fps, ">= 25", fps >= 25),
        "idle customer CPU %": (cpu, "<= 5", cpu <= 5),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--screen", default="1920x1080", help="customer screen WxH")
    parser.add_argument("--samples", type=int, default=200, help="latency samples per kind")
    parser.add_argument("--seconds", type=float, default=5.0, help="idle and scroll windows")
    parser.add_argument("--fps", type=float, default=30.0, help="customer capture cap")
    parser.add_argument("--scroll-step", type=int, default=20, help="px per painted frame")
    parser.add_argument("--client-fps", type=float, default=60.0, help="scroll paint rate")
    parser.add_argument("--wait", type=float, default=3.0, help="per-sample timeout, s")
    parser.add_argument("--transport", choices=("relay", "direct"), default="relay")
    parser.add_argument("--capture", choices=("damage", "poll"), default="damage",
                        help="customer capture: X11 damage-driven or polling")  # fmt: skip
    parser.add_argument("--timeout", type=int, default=400, help="bound on the whole run, s")
    parser.add_argument("--role", choices=("bench", "client", "customer"), default="bench",
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args(argv)
    try:
        args.width, args.height = (int(v) for v in args.screen.lower().split("x"))
    except ValueError:
        parser.error(f"--screen {args.screen!r} is not WxH")
    if args.width < 400 or args.height < 300:
        parser.error("--screen must be at least 400x300")
    return args


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """SIGALRM -> TimeoutError in the main thread, so the stack unwinds and stops all."""

    def alarm(signum: int, frame: object) -> None:
        raise TimeoutError(f"the benchmark did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.role == "client":
        return client_main(args.width, args.height, args.scroll_step, args.client_fps)
    if args.role == "customer":
        return customer_main(args.fps, args.capture)
    if not shutil.which("xdotool"):
        raise SystemExit("xdotool is not installed (apt-get install -y xdotool): no floor")
    try:
        with time_limit(args.timeout):
            result = run(args)
    except TimeoutError as exc:
        print(f"bench.interactive: {exc}", file=sys.stderr)
        return 1
    if args.json:
        result["targets"] = {
            name: {"value": value, "target": limit, "met": met}
            for name, (value, limit, met) in targets(result).items()
        }
        print(json.dumps(result, indent=2))
    else:
        print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
