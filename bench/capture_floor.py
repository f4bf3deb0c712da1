"""The per-update floor (issue 11): the least CPU a process can spend on one damage-driven
update, in Python and in C, measured in the same run as the customer and the VNC servers.

Typing misses the issue's goal (the customer at <= 1/2 of the best VNC server's CPU).
These processes bound what any customer can reach with our per-update steps and
nothing else -- no pacing, no planner, no session, no second thread.  Per DamageNotify
(NonEmpty level, on the root):

1. ``fetch``: DamageSubtract into a region and FetchRegion (one round trip);
2. ``grab``: read the damage's bounding box grown to 64-px tiles (one round trip), compare
   it with the kept frame and copy it in;
3. ``all``: when something changed, one zstd flushed block in a 16 MiB window (level 1),
   ChaCha20-Poly1305 with a counter nonce, one length-prefixed record sent over TCP to a
   sink in this process (Mbit/s counts what it received).

``floor-py`` is Python with the customer's own X code (``XDamageSource``; the box read
by ``ScreenGrabber.grab_into``, MIT-SHM as the customer reads it), numpy, the customer's
zstd stream and ``cryptography``'s AEAD.  ``floor-c`` is ``bench/capture_floor.c`` (xcb,
MIT-SHM, libzstd, OpenSSL), built here with the system's C compiler on first use;
without its headers it is left out, with the ``apt install`` line to get them.
``floor-c-hosted`` is the same C loop built as a library and run inside a Python process
(through ctypes, the GIL released) that first imports the customer's modules and keeps a
thread waking once a second, as the customer's network thread does: what a capture loop in
C would cost inside the customer's process, where the interpreter sleeps between keys.
``floor-c-gil`` is that, holding the GIL but for the loop's waits on the X server (the
customer's C loop would keep Python's state of the session beside it, so it would hold the
GIL while it works): what letting the GIL go and taking it back three times a key costs.
``--floor-stage`` stops every update after step 1 or 2, which splits the floor by step.
(floor-py also wakes for window moves and pointer motion, as the customer's source
listens for them; floor-c only for damage.  Typing has neither.)
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.interactive_roles import ROOT, Lines, stop
from bench.vnc_servers import cells, measured

FLOORS = ("floor-py", "floor-c", "floor-c-hosted", "floor-c-gil")
HOSTED = ("floor-c-hosted", "floor-c-gil")
#: where one box per update is a floor; on scroll and drag it would send whole boxes where
#: the customer sends copies, which is no floor of what the customer does
FLOOR_WORKLOADS = ("typing", "idle")
STAGES = ("fetch", "grab", "all")
SOURCE = Path(__file__).with_name("capture_floor.c")
LIBRARIES = ["-lxcb", "-lxcb-damage", "-lxcb-xfixes", "-lxcb-shm", "-lzstd", "-lcrypto"]
HEADERS_HINT = "apt install gcc libc6-dev libxcb-damage0-dev libxcb-xfixes0-dev " + (
    "libxcb-shm0-dev libzstd-dev libssl-dev"
)
FLAGS = ["-O2"]
LIBRARY_FLAGS = ["-shared", "-fPIC", "-DFLOOR_LIBRARY"]
#: what floor-c-hosted imports before its loop: the customer's session and capture lane
CUSTOMER_MODULES = (
    "numpy",
    "remoteapp.session",
    "remoteapp.capture.key_grabs",
    "remoteapp.capture.x11_damage",
    "remoteapp.codec.encoder",
    "remoteapp.net.session",
    "remoteapp.secure.channel",
)
START_TIMEOUT_S = 30.0
POLL_S = 1.0  #: the sink's longest wait before it looks whether it was closed
TILE = 64


def build_c(
    cache: Path | None = None, compiler: str = "cc", library: bool = False
) -> tuple[Path | None, str]:
    """The C floor's binary, or with ``library`` its shared library (built once per source
    and flags into ``cache``), or None and why: the compiler's own message and the
    packages that give it what it needs."""
    cache = cache or Path(tempfile.gettempdir(), f"remoteapp-bench-{os.getuid()}")
    flags = [*FLAGS, *(LIBRARY_FLAGS if library else [])]
    argv = [*flags, *LIBRARIES]
    version = hashlib.sha256(SOURCE.read_bytes() + " ".join(argv).encode()).hexdigest()[:16]
    binary = cache / f"capture_floor-{version}{'.so' if library else ''}"
    if binary.exists():
        return binary, ""
    if shutil.which(compiler) is None:
        return None, f"no C compiler ({HEADERS_HINT})"
    cache.mkdir(parents=True, exist_ok=True)
    partial = binary.with_suffix(f".{os.getpid()}")
    try:
        done = subprocess.run(
            [compiler, *flags, "-o", str(partial), str(SOURCE), *LIBRARIES],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        partial.unlink(missing_ok=True)
        return None, f"the C floor does not build: {exc} ({HEADERS_HINT})"
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        first = (done.stderr.strip().splitlines() or ["failed"])[0]
        return None, f"the C floor does not build: {first} ({HEADERS_HINT})"
    partial.replace(binary)  # atomic: a concurrent build sees a whole binary or none
    return binary, ""


def available() -> tuple[list[str], str]:
    """The floors this machine can run, and why the C floor is missing (if it is)."""
    binary, why = build_c()
    if binary is None:
        return ["floor-py"], why
    library, why = build_c(library=True)
    return (list(FLOORS) if library is not None else ["floor-py", "floor-c"]), why


class Sink:
    """Accepts the floor's one connection and counts the bytes it sends (a thread)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(START_TIMEOUT_S)
        self.port: int = self.server.getsockname()[1]
        self.received = 0
        self.connected = threading.Event()
        self.first_bytes = threading.Event()  #: set once anything came
        self._closed = threading.Event()
        threading.Thread(target=self._drain, daemon=True, name="floor-sink").start()

    def _drain(self) -> None:
        try:
            conn, _ = self.server.accept()
        except OSError:
            return
        self.connected.set()
        conn.settimeout(POLL_S)  # idle sends nothing for whole windows: look at close()
        with conn:
            while not self._closed.is_set():
                try:
                    data = conn.recv(1 << 16)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                self.received += len(data)
                self.first_bytes.set()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):  # wakes an accept() still waiting
            self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()


def command(name: str, port: int, stage: str) -> list[str]:
    python = [sys.executable, "-m", "bench.capture_floor", "--port", str(port), "--stage", stage]
    if name == "floor-c" or name in HOSTED:
        built, why = build_c(library=name in HOSTED)
        if built is None:
            raise RuntimeError(why)
        if name in HOSTED:
            return [*python, "--hosted", str(built), *(["--gil"] if name == "floor-c-gil" else [])]
        return [str(built), str(port), stage]
    return python


@contextlib.contextmanager
def running(name: str, display: str, stage: str = "all") -> Iterator[tuple[Any, Sink]]:
    """Floor ``name`` on ``display``, set up (DAMAGE and MIT-SHM answered) and connected
    to its sink: yields (process, sink); stopped and reaped after."""
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(ROOT)}
    with contextlib.ExitStack() as stack:
        sink = Sink()
        stack.callback(sink.close)
        proc = subprocess.Popen(
            command(name, sink.port, stage),
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        stack.callback(stop, proc, eof_stops=False)
        Lines(proc).wait_for("ready", START_TIMEOUT_S)
        if not sink.connected.wait(START_TIMEOUT_S):
            raise RuntimeError(f"{name} did not connect to the sink")
        yield proc, sink


def floor_window(
    args: argparse.Namespace,
    name: str,
    display: str,
    xvfb: int,
    client: Any,
    window: Callable[[dict[str, int]], Any],
) -> dict[str, float]:
    """One window of floor ``name`` following the workload ``client`` draws; the floor is
    the window's ``customer`` (``window`` starts the CPU reading, as for the customer)."""
    with running(name, display, args.floor_stage) as (proc, sink):
        pids = {"customer": proc.pid, "xvfb": xvfb}
        result = measured(args, client, window, pids, lambda: sink.received)
        if proc.poll() is not None:  # a floor that died would read as a very low floor
            raise RuntimeError(f"{name} exited with {proc.returncode} during its window")
        return result


def floor_lines(summary: dict[str, dict[str, float]], names: list[str]) -> list[str]:
    """Each floor's CPU beside the customer's (damage), and how many times the floor the
    customer spends, in the same run.  CPU here is schedstat's (ns): a floor's few
    hundred microseconds a second are a tick or two of utime+stime."""
    lines = ["per-update floors, same run (CPU % by schedstat | Xvfb extra % | Mbit/s):"]
    for workload, row in summary.items():
        ours = row["damage_customer_sched"]
        above = [
            f"x{ours / row[f'{n}_customer_sched']:.2f} of {n}"
            for n in names
            if row.get(f"{n}_customer_sched", 0.0) > 0
        ]
        here = "; ".join(cells(row, names, "customer_sched"))
        lines.append(f"  {workload}: " + here + f"; damage {ours:.3f} = " +
                     ", ".join(above))  # fmt: skip
    return lines


# -- the Python floor (this module run as a program)


def python_floor(port: int, stage: str) -> int:
    """The Python floor on ``$DISPLAY``, sending to 127.0.0.1:``port`` until killed."""
    import numpy as np
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    from remoteapp.capture.grabber import ScreenGrabber
    from remoteapp.capture.x11_damage import XDamageSource
    from remoteapp.codec.geometry import Rect
    from remoteapp.codec.zstd_stream import StreamCompressor

    screen = ScreenGrabber()
    monitor = screen.monitors()[0]  # the whole root, as the C floor reads it
    width, height = monitor.width, monitor.height
    frame = screen.grab_area(monitor, Rect(0, 0, width, height)).copy()  # MIT-SHM proven
    scratch = np.empty(width * height * 4, np.uint8)
    source = XDamageSource(None)
    stream, aead, counter = StreamCompressor(), ChaCha20Poly1305(bytes(32)), 0
    sock = socket.create_connection(("127.0.0.1", port))
    if not source.sync():
        raise RuntimeError("the X server did not answer the damage source's sync")
    source.take()
    print("ready", flush=True)
    while True:
        source.wait(1.0)
        if not source.pending:
            continue
        rects, _ = source.take()
        if not rects or stage == "fetch":
            continue
        x0 = max(min(r[0] for r in rects), 0) // TILE * TILE
        y0 = max(min(r[1] for r in rects), 0) // TILE * TILE
        x1 = min(-(-max(r[0] + r[2] for r in rects) // TILE) * TILE, width)
        y1 = min(-(-max(r[1] + r[3] for r in rects) // TILE) * TILE, height)
        if x1 <= x0 or y1 <= y0:
            continue
        w, h = x1 - x0, y1 - y0
        box = scratch[: w * h * 4].reshape(h, w, 4)
        screen.grab_into(monitor, Rect(x0, y0, w, h), box)
        kept = frame[y0:y1, x0:x1]
        if np.array_equal(kept, box):
            continue
        kept[...] = box
        if stage == "grab":
            continue
        body = stream.compress([box.data])
        counter += 1
        sealed = aead.encrypt(counter.to_bytes(12, "little"), body, None)
        sock.sendall(struct.pack(">I", len(sealed)) + sealed)


def hosted_floor(library: str, port: int, stage: str, gil: bool = False) -> int:
    """The C floor's loop (``library``) in this interpreter, once the customer's modules
    are imported, beside a thread that wakes once a second; returns only if it fails.
    ``gil``: the loop holds the GIL but for its waits (else ctypes lets it go whole)."""
    import ctypes
    import importlib

    for name in CUSTOMER_MODULES:
        importlib.import_module(name)
    beats = threading.Event()  # never set: the thread only wakes, as the customer's net

    def beat() -> None:
        while not beats.wait(1.0):
            pass

    threading.Thread(target=beat, daemon=True, name="floor-beat").start()
    if gil:
        lib: ctypes.CDLL = ctypes.PyDLL(library)  # (called with the GIL held)
        api = ctypes.pythonapi
        lib.capture_floor_gil.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.capture_floor_gil(
            ctypes.cast(api.PyEval_SaveThread, ctypes.c_void_p),
            ctypes.cast(api.PyEval_RestoreThread, ctypes.c_void_p),
        )
    else:
        lib = ctypes.CDLL(library)  # (ctypes releases the GIL for the call)
    loop = lib.capture_floor_main
    loop.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    loop.restype = ctypes.c_int
    argv = (ctypes.c_char_p * 3)(b"capture_floor", str(port).encode(), stage.encode())
    return int(loop(3, argv))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="the sink's TCP port")
    parser.add_argument("--stage", choices=STAGES, default="all")
    parser.add_argument("--hosted", metavar="LIBRARY",
                        help="run the C floor's library here (floor-c-hosted)")  # fmt: skip
    parser.add_argument("--gil", action="store_true",
                        help="with --hosted: the GIL held but for waits (floor-c-gil)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.hosted:
        return hosted_floor(args.hosted, args.port, args.stage, args.gil)
    return python_floor(args.port, args.stage)


if __name__ == "__main__":
    sys.exit(main())
