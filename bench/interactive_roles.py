"""The processes ``bench.interactive`` starts and the helpers its parts share: the X
client on the customer's screen (``--role client``: a square that flips colour on every
key or click, and a text area that scrolls when told to), the customer (``--role
customer``: ``remoteapp``'s CustomerSession, driven over stdin), and ``Lines``/``stop``/
``cpu_seconds`` to drive and measure child processes (``bench.capture_cpu`` uses them too).
"""

from __future__ import annotations

import contextlib
import os
import queue
import random
import select
import socket
import subprocess
import sys
import threading
import time
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


def pending_commands(lines: queue.Queue[str | None]) -> list[str] | None:
    """The lines ``stdin_lines`` has queued so far, without waiting; None once stdin
    ended (the parent went: the caller stops)."""
    got: list[str] = []
    with contextlib.suppress(queue.Empty):
        while True:
            line = lines.get_nowait()
            if line is None:
                return None
            got.append(line)
    return got


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
        capture="poll" if capture == "poll" else "copy" if capture == "copy" else "damage",
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
