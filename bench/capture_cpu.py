"""Live capture CPU (issue 11): the customer's CPU % and Xvfb's CPU % while a real X client
types, scrolls, drags a window or stays idle, with the customer capturing by X damage
(``--capture damage``) and by polling (``poll``, the same-run baseline), interleaved.

A private Xvfb (``--screen``, 1920x1080 by default) is the customer's screen; an X client
(python-xlib, ``--role workload``) draws one workload on it:

* typing: 8 characters a second into a terminal-like window (fixed font, a caret);
* scroll: a full-screen text window scrolled by 100 lines a second (2 lines every 20 ms,
  CopyArea + the new lines, as xterm does);
* drag: a 640x420 window moved 30 times a second (ConfigureNotify), over the wallpaper
  (``--wallpaper photo`` is a grainy photographic one, ``plain`` one colour);
* idle: nothing moves;
* agent-typing: the typing window, typing what the agent types: the agent here sends 8
  keys a second through the session, the customer injects them (XTEST) and the window
  draws each as typing does; so the customer also runs its input path and its pacing
  while the agent is active.  Without a customer the window presses the keys itself
  (XTEST, the same requests to Xvfb).  No VNC window (their viewer would type).

For each workload and repeat, three windows of ``--seconds`` run back to back, in an order
that alternates between repeats: no customer (Xvfb's own load for the workload), a customer
polling, a customer on damage.  Each customer is a fresh process (``bench.interactive
--role customer``) in a session with this process (an ``AgentSession`` over direct TCP,
decoding every update; Mbit/s counts those updates).  CPU is process CPU time
(utime+stime from /proc/<pid>/stat, not wall time: the machine is shared), as % of one
core; "Xvfb extra" is Xvfb's CPU with the customer minus without.  After each window the
agent's framebuffer must equal a full grab of the screen (``exact``).

``--vnc`` adds a window for each VNC server installed (x11vnc, TigerVNC's x0vncserver,
``bench.vnc_servers``) to each repeat, and checks the issue's goal itself: the customer on
damage at <= 1/2 of the best server's CPU, Xvfb's extra load not above theirs.
``--floor`` adds the per-update floors (``bench.capture_floor``) on typing and idle: the
least a process spends per update with the customer's steps, in Python and in C.
``--reads`` counts the image reads Xvfb ran in each window and the pixels they asked for
(RECORD, ``bench.x_reads``): Xvfb's extra load per megapixel read.

    python -m bench.capture_cpu                      # table
    python -m bench.capture_cpu --seconds 20 --repeats 2 --json
    python -m bench.capture_cpu --workloads drag --wallpaper photo
    python -m bench.capture_cpu --seconds 20 --repeats 2 --vnc
    python -m bench.capture_cpu --workloads typing --vnc --floor
    python -m bench.capture_cpu --workloads scroll --vnc --reads
    python -m bench.capture_cpu --workloads scroll --copy --reads   # + the copy capture
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.capture_floor import FLOOR_WORKLOADS, STAGES, available, floor_window
from bench.capture_report import summary, table
from bench.capture_workload import workload_main
from bench.interactive_agent import Agent
from bench.interactive_roles import ROOT, Lines, child_pid, cpu_seconds, stop
from bench.vnc_servers import installed, missing_hint, vnc_window
from bench.x_reads import XReads

WORKLOADS = ("typing", "scroll", "drag", "idle", "agent-typing")
AGENT_KEYS_PER_S = 8  #: agent-typing: the typing rate, as the agent's keys
MODES = ("none", "poll", "damage")


# -- the harness


def cpu_ns(pid: int) -> int:
    """CPU time of all of a process's live threads in ns (schedstat): finer than the 10 ms
    ticks of utime+stime, for the small figures (a thread that ended is not counted)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(stat.read_text().split()[0])
    return total


def thread_ns(pid: int) -> dict[str, int]:
    """CPU ns per thread name (threads of one name summed): where a process's time goes."""
    out: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            name = (task / "comm").read_text().strip()
            out[name] = out.get(name, 0) + int((task / "schedstat").read_text().split()[0])
    return out


class Window:
    """CPU seconds of the watched processes over a span, and the image reads the X server
    ran in it (``reads``, when counted)."""

    def __init__(self, pids: dict[str, int], reads: XReads | None = None) -> None:
        self.pids = pids
        self.reads = reads
        self.reads0 = reads.settle() if reads is not None else None
        self.t0 = time.monotonic()
        self.cpu0 = {k: cpu_seconds(p) for k, p in pids.items()}
        self.ns0 = {k: cpu_ns(p) for k, p in pids.items()}
        self.threads0 = thread_ns(pids["customer"]) if "customer" in pids else {}

    def result(self) -> dict[str, float]:
        span = time.monotonic() - self.t0
        out = {
            f"{k}_sched_pct": 100 * (cpu_ns(p) - self.ns0[k]) / 1e9 / span
            for k, p in self.pids.items()
        }
        out |= {
            f"{k}_cpu_pct": 100 * (cpu_seconds(p) - self.cpu0[k]) / span
            for k, p in self.pids.items()
        }
        if "customer" in self.pids:
            for name, ns in thread_ns(self.pids["customer"]).items():
                used = 100 * (ns - self.threads0.get(name, 0)) / 1e9 / span
                out[f"thread {name}"] = used
        out["seconds"] = span
        if self.reads is not None and self.reads0 is not None:
            read = self.reads.settle() - self.reads0
            out["reads_per_s"] = read.requests / span
            out["read_mpx_s"] = read.pixels / span / 1e6
        return out


def customer_window(
    args: argparse.Namespace,
    env: dict[str, str],
    display: str,
    xvfb: int,
    client: Lines,
    mode: str,
    label: str,
    window: Callable[[dict[str, int]], Window] = Window,
) -> dict[str, float]:
    """One customer process in ``mode``, in a session with an agent here, measured while
    the client draws (``window`` starts the reading); then the agent must show exactly
    what a full grab shows."""
    import numpy as np

    from remoteapp.capture import ScreenGrabber

    with contextlib.ExitStack() as stack:
        profile = ["-m", "bench.thread_profile", "--names"]  # threads named, not profiled
        if args.profile:
            out = Path(args.profile, f"{label}-{mode}.prof")
            profile = ["-m", "bench.thread_profile", str(out)]
        elif args.lines:
            out = Path(args.lines, f"{label}-{mode}.lines")
            out.parent.mkdir(parents=True, exist_ok=True)
            profile = ["-m", "bench.thread_profile", "--lines", str(out)]
        proc = subprocess.Popen(
            [sys.executable, *profile, "-m", "bench.interactive", "--role", "customer",
             "--fps", "30", "--capture", mode],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        stack.callback(stop, proc)
        customer = Lines(proc)
        customer.wait_for("customer event=ready", 60)
        key = secrets.token_bytes(32)
        with socket.create_server(("127.0.0.1", 0)) as server:
            server.settimeout(30)
            customer.send(f"go direct 127.0.0.1:{server.getsockname()[1]} {key.hex()}")
            sock, _ = server.accept()
        agent = Agent(sock, key)
        stack.callback(agent.session.end, "bench over")
        received = [0]  # update bytes the agent decoded (what crossed the wire, unsealed)
        decode = agent.session.decoder.decode

        def counted(data: bytes) -> Any:
            received[0] += len(data)
            return decode(data)

        agent.session.decoder.decode = counted  # type: ignore[method-assign,assignment]
        agent.session.start(b"")
        customer.wait_for("share event=agent", 30)
        grabber = stack.enter_context(ScreenGrabber(display=display))
        mon = grabber.monitors()[1]

        def exact(timeout: float) -> bool:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                fb = agent.session.decoder.framebuffer
                if fb is not None and np.array_equal(fb, grabber.grab(mon).pixels):
                    return True
                time.sleep(0.05)
            return False

        exact(10)  # the key frame is in
        client.send("start")
        typing = threading.Event()
        if label.startswith("agent-typing"):
            typist = threading.Thread(target=_agent_keys, args=(agent, typing), daemon=True)
            typist.start()
            stack.callback(typist.join, 5.0)
            stack.callback(typing.set)
        time.sleep(1.0)  # warm up: the workload runs, the customer follows it
        span = window({"customer": proc.pid, "xvfb": xvfb})
        frames0, bytes0 = agent.session.frames, received[0]
        time.sleep(args.seconds)
        result = span.result()
        result["fps"] = (agent.session.frames - frames0) / result["seconds"]
        result["mbit_s"] = (received[0] - bytes0) * 8 / result["seconds"] / 1e6
        typing.set()
        client.send("stop")
        result["exact"] = float(exact(5.0))
        return result


def _agent_keys(agent: Agent, done: threading.Event) -> None:
    """agent-typing: the agent types, a key press and release each 1/8 s, until ``done``."""
    from remoteapp.net.messages import Key

    period = 1 / AGENT_KEYS_PER_S
    due = time.monotonic()
    while not done.wait(max(0.0, due - time.monotonic())):
        agent.session.send(Key("a", True))
        agent.session.send(Key("a", False))
        due += period


def run(
    args: argparse.Namespace, servers: list[str], floors: tuple[str, ...] = ()
) -> dict[str, Any]:
    """All windows of every workload; ``servers``: the VNC servers to run beside ours,
    ``floors``: the per-update floors."""
    from tests import displays

    width, height = args.width, args.height
    results: dict[str, dict[str, list[dict[str, float]]]] = {}
    with contextlib.ExitStack() as stack:
        display = stack.enter_context(displays.xvfb(width, height))
        xvfb = child_pid("Xvfb")
        assert xvfb is not None
        reads = stack.enter_context(XReads(display)) if args.reads else None
        window = functools.partial(Window, reads=reads)
        env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(ROOT)}
        env.pop("WAYLAND_DISPLAY", None)
        modes = MODES + ("copy",) * args.copy + tuple(servers)
        # the VNC viewer's screen (started after Xvfb's pid was found: both are Xvfb)
        viewer_display = stack.enter_context(displays.xvfb(width, height)) if servers else ""
        for name in args.workloads.split(","):
            proc = subprocess.Popen(
                [sys.executable, "-m", "bench.capture_cpu", "--role", "workload",
                 "--workloads", name, "--screen", args.screen, "--wallpaper", args.wallpaper],
                cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            client = Lines(proc)
            try:
                client.wait_for("ready", 120)
                here = modes + (floors if name in FLOOR_WORKLOADS else ())
                if name == "agent-typing":  # (no VNC viewer types)
                    here = MODES
                per_mode: dict[str, list[dict[str, float]]] = {m: [] for m in here}
                for rep in range(args.repeats):
                    for mode in here if rep % 2 == 0 else here[::-1]:
                        if mode == "none":
                            client.send("start local" if name == "agent-typing" else "start")
                            time.sleep(1.0)
                            alone = window({"xvfb": xvfb})
                            time.sleep(args.seconds)
                            per_mode[mode].append(alone.result())
                            client.send("stop")
                        elif mode in servers:
                            per_mode[mode].append(
                                vnc_window(
                                    args, mode, display, viewer_display, xvfb, client, window
                                )
                            )
                        elif mode in floors:
                            per_mode[mode].append(
                                floor_window(args, mode, display, xvfb, client, window)
                            )
                        else:
                            label = f"{name}-{rep}"
                            per_mode[mode].append(
                                customer_window(
                                    args, env, display, xvfb, client, mode, label, window
                                )
                            )
                        time.sleep(0.5)
                results[name] = per_mode
            finally:
                stop(proc)
    return {"screen": args.screen, "wallpaper": args.wallpaper, "seconds": args.seconds,
            "repeats": args.repeats, "vnc": servers, "floor": list(floors),
            "reads": bool(args.reads), "python": interpreter(), "copy": bool(args.copy),
            "workloads": results}  # fmt: skip


def interpreter() -> str:
    """The interpreter the customer ran on: its build moves the figures (a Python built
    without PGO and LTO, as pyenv's default, spent ~8 % more on typing than Debian's)."""
    return f"Python {sys.version.split()[0]} ({os.path.realpath(sys.executable)})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--screen", default="1920x1080", help="customer screen WxH")
    parser.add_argument("--seconds", type=float, default=10.0, help="each measured window")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved repeats")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated")
    parser.add_argument("--wallpaper", choices=("plain", "photo"), default="plain")
    parser.add_argument("--profile", help="directory: profile each customer (all threads)")
    parser.add_argument("--lines", help="directory: count each customer's Python lines "
                        "(bench.thread_profile --lines: snapshots every 3 s)")  # fmt: skip
    parser.add_argument("--vnc", action="store_true",
                        help="also run x11vnc and x0vncserver on each workload (the goal's "
                        "baseline, bench.vnc_servers)")  # fmt: skip
    parser.add_argument("--floor", action="store_true",
                        help="also run the per-update floors, Python and C "
                        "(bench.capture_floor)")  # fmt: skip
    parser.add_argument("--copy", action="store_true",
                        help="also the copy-following capture (--capture copy)")  # fmt: skip
    parser.add_argument("--reads", action="store_true",
                        help="also count the image reads Xvfb ran in each window, and the "
                        "pixels they asked for (RECORD, bench.x_reads)")  # fmt: skip
    parser.add_argument("--floor-stage", choices=STAGES, default="all",
                        help="the floors stop each update after this step")  # fmt: skip
    parser.add_argument("--role", choices=("bench", "workload"), default="bench",
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args(argv)
    args.width, args.height = (int(v) for v in args.screen.lower().split("x"))
    if args.role == "workload":
        return workload_main(args.workloads, args.width, args.height, args.wallpaper)
    for name in args.workloads.split(","):
        if name not in WORKLOADS:
            parser.error(f"unknown workload {name!r}; choose from {', '.join(WORKLOADS)}")
    servers = installed() if args.vnc else []
    if args.vnc and not servers:
        parser.error(f"--vnc: no VNC server or viewer installed ({missing_hint()})")
    floors: tuple[str, ...] = ()
    if args.floor:
        runnable, why = available()
        floors = tuple(runnable)
        if why:
            print(f"--floor: {why}", file=sys.stderr)
    result = run(args, servers, floors)
    if args.json:
        result["summary"] = summary(result)
        print(json.dumps(result, indent=2))
    else:
        print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
