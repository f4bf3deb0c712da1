"""The measurements of ``bench.interactive``: the rig (the customer's screen, X client,
relay, customer process, xdotool), and each phase (idle CPU, capture alone, the scroll,
the session's latency and frame rate) beside its baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from bench.interactive_agent import Agent, AgentScreen
from bench.interactive_roles import (
    CLICK,
    FLIP,
    ROOT,
    WATCH,
    Lines,
    child_pid,
    cpu_seconds,
    free_port,
    percentile,
    stop,
)

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
