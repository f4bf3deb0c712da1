"""What following the copies through RECORD reads, against reading the damage, on the live
scroll workload (issue 11: scroll's Xvfb load; docs/capture.md, "The copy model").

The copy model's pieces (``x11_record``, ``x11_gcs``, ``copy_model``, ``copy_follower``,
``copy_prover``) are not in the capture yet; this runs them as a capture would, in one
process, at up to ``--fps`` grabs a second, beside the same loop reading the damage
instead, on the same workload (``bench.capture_cpu``'s, a full-screen text window
scrolled by 100 lines a second; started before the capture, so its GCs are probed, or
after it with ``--workload-after``):

* none: the workload alone (Xvfb's own load);
* damage: each grab fetches a NonEmpty DAMAGE object's region (python-xlib) and reads
  its bounding box, as the damage backend reads a scroll (one box, the window);
* follow: each grab feeds the stream to the follower, probes the windows and GCs it wants, and
  reads only what the model does not know; moves and pastes are applied to the frame;
* record: the stream and the raw DAMAGE object alone, fed to the follower, nothing read
  (what recording costs Xvfb, apart from the reads).

Both read with core GetImage (python-xlib), so Xvfb's cost per pixel is the same for
both, and not the capture's ShmGetImage cost.  The figure that matters is Xvfb's extra
load and the pixels read; this process's own CPU is python-xlib's reading and parsing,
not what a capture built on the pieces would spend.  After each window the frame must
equal a full read of the screen (``exact``).

    python -m bench.copy_follow                      # table
    python -m bench.copy_follow --seconds 20 --repeats 2 --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.capture_cpu import cpu_ns
from bench.interactive_roles import ROOT, Lines, child_pid, stop
from remoteapp.capture.copy_follower import CopyFollower
from remoteapp.capture.copy_model import CopyModel, Move, Paste
from remoteapp.capture.copy_prover import WindowProver
from remoteapp.capture.x11_gcs import GCTable
from remoteapp.capture.x11_link import readable
from remoteapp.capture.x11_record_setup import RecordStream, opcodes
from remoteapp.codec.geometry import Rect

MODES = ("none", "damage", "follow", "record")
Frame = npt.NDArray[np.uint32]


def image(d: Any, box: Rect) -> Frame:
    """``box`` of the root, read by GetImage on ``d`` (24-bit pixels)."""
    from Xlib import X

    data = d.screen().root.get_image(box.x, box.y, box.w, box.h, X.ZPixmap, 0xFFFFFFFF).data
    pixels: Frame = np.frombuffer(data, np.uint32).reshape(box.h, box.w) & np.uint32(0xFFFFFF)
    return pixels


def put(frame: Frame, box: Rect, pixels: Frame) -> None:
    frame[box.y : box.bottom, box.x : box.right] = pixels


class FollowedScreen:
    """A capture by the copy model: the stream, a raw DAMAGE object on the root, a reader,
    a prover, the follower and the frame (``grab``: read what is unknown, then apply the
    moves and pastes in the stream's order)."""

    def __init__(self, display: str, clock: Any = time.monotonic, reads: bool = True) -> None:
        from Xlib import display as xdisplay
        from Xlib.ext import damage

        self.stream = RecordStream(display)
        self.dm = xdisplay.Display(display)
        self.reader = xdisplay.Display(display)
        self.dm.damage_query_version()
        self.raw = self.dm.screen().root.damage_create(damage.DamageReportRawRectangles)
        self.dm.sync()
        self.prover = WindowProver(
            display, self._announce, clock=clock, announce_gc=self._announce_gc
        )
        root = self.reader.screen().root
        geometry = root.get_geometry()
        self.w, self.h = geometry.width, geometry.height
        self.frame: Frame = np.zeros((self.h, self.w), np.uint32)
        self.model = CopyModel(self.w, self.h)
        ops = opcodes(self.reader)
        self.follower = CopyFollower(
            self.model,
            GCTable(int(self.reader.display.info.resource_id_mask), ops.fixes),
            damage=int(self.raw),
            reader=int(self.reader.display.info.resource_id_base),
            root=root.id,
            opcodes=ops,
            prover=self.prover.client,
        )
        self.read_pixels = 0
        self.reads = reads  #: False: feed the stream, read nothing (the frame goes stale)
        self._reads: list[Frame] = []
        self._ops: list[Move | Paste] = []

    def _announce(self, window: int, rect: Rect) -> None:
        self.follower.probing(window, rect)

    def _announce_gc(self, gc: int, into: int, covers: tuple[int, int] | None) -> None:
        self.follower.gc_probing(gc, into, covers)

    def _feed(self) -> None:
        for event in self.stream.read():
            self.follower.feed(event)
        self._ops.extend(self.model.ops())
        while self.dm.pending_events():  # (the raw reports: ours to drain)
            self.dm.next_event()

    def grab(self) -> None:
        self._ops = []
        self._feed()
        if not self.reads:
            return
        windows, gcs = self.follower.take_wanted()
        for window in windows:
            self.prover.probe(window)
        for gc, window in sorted(gcs.items()):
            self.prover.probe_gc(gc, window)
        boxes = list(self.model.unknown.rects)
        for box in boxes:
            self._reads.append(image(self.reader, box))
            self.read_pixels += box.area
        want = sum(isinstance(op, Paste) for op in self._ops) + len(boxes)
        deadline = time.monotonic() + 10
        while sum(isinstance(op, Paste) for op in self._ops) < want:  # (our reads, in place)
            if time.monotonic() > deadline:
                raise RuntimeError("the reads not recorded in 10 s")
            readable([self.stream.fileno()], deadline - time.monotonic())
            self._feed()
        for op in self._ops:
            if isinstance(op, Move):
                dst = op.src.shifted(op.dx, op.dy)
                put(
                    self.frame,
                    dst,
                    self.frame[op.src.y : op.src.bottom, op.src.x : op.src.right].copy(),
                )
            else:
                put(self.frame, op.box, self._reads.pop(0))

    def close(self) -> None:
        self.stream.close()
        self.prover.close()
        self.dm.close()
        self.reader.close()


class DamagedScreen:
    """The baseline: a DAMAGE object at bounding-box level; each grab subtracts it, and
    reads the bounding box of every report since the last grab."""

    def __init__(self, display: str) -> None:
        from Xlib import display as xdisplay
        from Xlib.ext import damage

        self.d = xdisplay.Display(display)
        self.d.damage_query_version()
        root = self.d.screen().root
        geometry = root.get_geometry()
        self.w, self.h = geometry.width, geometry.height
        self.damage = root.damage_create(damage.DamageReportBoundingBox)
        self.frame: Frame = image(self.d, Rect(0, 0, self.w, self.h))
        self.read_pixels = 0

    def grab(self) -> None:
        self.d.damage_subtract(self.damage)
        self.d.sync()  # (every report before the subtract is in)
        box: Rect | None = None
        while self.d.pending_events():
            area = self.d.next_event().area
            r = Rect(area.x, area.y, area.width, area.height).intersect(Rect(0, 0, self.w, self.h))
            box = r if box is None else box.union(r)
        if box is None or box.is_empty():
            return
        put(self.frame, box, image(self.d, box))
        self.read_pixels += box.area

    def close(self) -> None:
        self.d.close()


def window(args: argparse.Namespace, display: str, xvfb: int, mode: str) -> dict[str, float]:
    """One window of ``mode`` on a fresh workload, started before the capture (its GCs
    older than the stream, as a terminal open before the customer's app: probed), or
    after it with ``--workload-after``."""
    screen: FollowedScreen | DamagedScreen | None = None
    proc: subprocess.Popen[str] | None = None
    client: Lines | None = None
    try:
        if not args.workload_after:
            proc = workload(display, args)
            client = Lines(proc)
            client.wait_for("ready", 120)
        if mode in ("follow", "record"):
            screen = FollowedScreen(display, reads=mode == "follow")
        elif mode == "damage":
            screen = DamagedScreen(display)
        if proc is None:
            proc = workload(display, args)
            client = Lines(proc)
            client.wait_for("ready", 120)
        assert client is not None
        return _measured(args, display, xvfb, client, screen)
    finally:
        if proc is not None:
            stop(proc)
        if screen is not None:
            screen.close()


def _measured(
    args: argparse.Namespace,
    display: str,
    xvfb: int,
    client: Lines,
    screen: FollowedScreen | DamagedScreen | None,
) -> dict[str, float]:
    client.send("start")
    try:
        warm = time.monotonic() + 1.0  # (the first grab reads the whole screen: not counted)
        while screen is not None and time.monotonic() < warm:
            screen.grab()
            time.sleep(1 / args.fps)
        time.sleep(max(0.0, warm - time.monotonic()))
        pixels0 = screen.read_pixels if screen is not None else 0
        t0, xvfb0, me0, grabs = time.monotonic(), cpu_ns(xvfb), time.thread_time(), 0
        next_grab = t0
        while time.monotonic() < t0 + args.seconds:
            if screen is not None:
                screen.grab()
                grabs += 1
            next_grab = max(next_grab + 1 / args.fps, time.monotonic())
            time.sleep(max(0.0, next_grab - time.monotonic()))
        span = time.monotonic() - t0
        out = {
            "xvfb_pct": 100 * (cpu_ns(xvfb) - xvfb0) / 1e9 / span,
            "self_pct": 100 * (time.thread_time() - me0) / span,
            "grabs_per_s": grabs / span,
            "read_mpx_s": ((screen.read_pixels if screen else 0) - pixels0) / span / 1e6,
        }
    finally:
        client.send("stop")
    if isinstance(screen, FollowedScreen):
        f = screen.follower
        out |= {
            "trusted": f.trusted,
            "untrusted": f.untrusted,
            "mismatches": screen.model.mismatches,
        }
    if screen is not None and not (isinstance(screen, FollowedScreen) and not screen.reads):
        client.wait_for("stopped", 30)  # (the X server has run its last draw)
        screen.grab()  # (the last of it in)
        with contextlib.closing(DamagedScreen(display)) as truth:
            out["exact"] = float(np.array_equal(screen.frame, truth.frame))
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    from tests import displays

    results: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    with displays.xvfb(args.width, args.height) as display:
        xvfb = child_pid("Xvfb")
        assert xvfb is not None
        for rep in range(args.repeats):
            for mode in MODES if rep % 2 == 0 else MODES[::-1]:
                results[mode].append(window(args, display, xvfb, mode))
    return {"seconds": args.seconds, "repeats": args.repeats, "fps": args.fps,
            "workload_after": args.workload_after, "modes": results}  # fmt: skip


def workload(display: str, args: argparse.Namespace) -> subprocess.Popen[str]:
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "bench.capture_cpu", "--role", "workload",
         "--workloads", "scroll", "--screen", f"{args.width}x{args.height}"],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def table(result: dict[str, Any]) -> str:
    modes = result["modes"]
    none = np.mean([w["xvfb_pct"] for w in modes["none"]])
    seconds, repeats, fps = result["seconds"], result["repeats"], result["fps"]
    lines = [
        f"scroll, {seconds} s windows x {repeats}, up to {fps} grabs/s, the workload started"
        f" {'after' if result.get('workload_after') else 'before'} the capture",
        "mode    | Xvfb %  | Xvfb extra | read Mpx/s | grabs/s | this process % | exact"
        " | trusted/untrusted",
    ]
    for mode in (m for m in MODES if m in modes):
        ws = modes[mode]

        def mean(key: str, ws: list[dict[str, float]] = ws) -> float:
            return float(np.mean([w[key] for w in ws]))

        xvfb = mean("xvfb_pct")
        copies = "/".join(f"{sum(w.get(k, 0) for w in ws):.0f}" for k in ("trusted", "untrusted"))
        exact = str(all(w["exact"] for w in ws)) if all("exact" in w for w in ws) else "-"
        lines.append(
            f"{mode:7} | {xvfb:7.2f} | {xvfb - none:10.2f} | {mean('read_mpx_s'):10.2f}"
            f" | {mean('grabs_per_s'):7.1f} | {mean('self_pct'):14.2f} | {exact:5}"
            f" | {copies if mode in ('follow', 'record') else '-'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--json", action="store_true")
    after = "start the workload after the capture (its GCs seen created)"
    parser.add_argument("--workload-after", action="store_true", help=after)
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=1) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
