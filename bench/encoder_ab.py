"""Encoder per-frame time, an older commit's encoder against this tree's, on the same frames.

The machine is shared and noisy, so the two encoders run in one process, frame by frame
interleaved (the order alternates between passes): both see the same load.  The older
``remoteapp`` is taken from git (``git archive``, nothing in the work tree changes) and
imported as ``remoteapp_base``.  Every update must be byte-identical between the two:
a speed-up that changes the output is reported as a failure.

    python -m bench.encoder_ab --base 60495cf                 # scroll, typing, drag
    python -m bench.encoder_ab --base HEAD~ --workloads scroll --passes 5
"""

from __future__ import annotations

import argparse
import importlib
import io
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.desktop import WORKLOADS
from bench.pipeline import damage_hints
from remoteapp.codec import ScreenEncoder

ROOT = Path(__file__).resolve().parents[1]
_IMPORT = re.compile(r"\b(from|import) remoteapp\b")


def load_base(rev: str, into: Path) -> Any:
    """``remoteapp.codec.ScreenEncoder`` as of ``rev``, imported as ``remoteapp_base``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, "remoteapp"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "remoteapp").rename(into / "remoteapp_base")
    for path in (into / "remoteapp_base").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        text = _IMPORT.sub(r"\1 remoteapp_base", text.replace("remoteapp.", "remoteapp_base."))
        path.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(into))
    return importlib.import_module("remoteapp_base.codec").ScreenEncoder


def compare(base: Any, workload: str, capture: str, count: int, passes: int) -> dict[str, Any]:
    frames = list(WORKLOADS[workload](count))
    hints = damage_hints(frames) if capture == "damage" else [None] * len(frames)
    times: dict[str, list[float]] = {"base": [], "new": []}
    for n in range(passes):
        encoders = {"base": base(), "new": ScreenEncoder()}
        for enc in encoders.values():
            enc.encode(frames[0])
        order = ("base", "new") if n % 2 == 0 else ("new", "base")
        for frame, hint in zip(frames[1:], hints[1:], strict=True):
            out = {}
            for name in order:
                t0 = time.perf_counter()
                out[name] = encoders[name].encode(frame, damage=hint)
                times[name].append((time.perf_counter() - t0) * 1e3)
            if out["base"] != out["new"]:
                raise SystemExit(f"{workload}/{capture}: the updates differ")
    return {
        f"{name}_{stat.__name__}": stat(samples)
        for name, samples in times.items()
        for stat in (statistics.median, statistics.fmean)
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--base", default="HEAD~", help="git revision of the older encoder")
    parser.add_argument("--workloads", default="scroll,typing,drag")
    parser.add_argument("--capture", default="damage,poll", help="damage, poll or both")
    parser.add_argument("--count", type=int, default=60, help="frames per workload")
    parser.add_argument("--passes", type=int, default=3, help="passes over the frames")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = load_base(args.base, Path(tmp))
        print(f"ms per frame, {args.base} (base) vs this tree (new), interleaved, same frames")
        print(f"{'workload':16}{'base p50':>10}{'new p50':>10}{'base mean':>11}{'new mean':>10}")
        for workload in args.workloads.split(","):
            for capture in args.capture.split(","):
                r = compare(base, workload, capture, args.count, args.passes)
                print(
                    f"{workload + '/' + capture:16}{r['base_median']:10.2f}"
                    f"{r['new_median']:10.2f}{r['base_fmean']:11.2f}{r['new_fmean']:10.2f}"
                )
    print("every update byte-identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
