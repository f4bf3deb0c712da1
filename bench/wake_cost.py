"""What one wake-up costs a process at a typist's rate, in C and in Python (issue 11,
docs/capture.md, "The key path compiled by mypyc"): a child blocked on a pipe that this
process writes a byte to ``--rate`` times a second, reading it, and (Python) running
``N`` trivial lines after it.  CPU is the child's schedstat (ns, all threads), per wake;
the C child is the baseline of the same run.

    python -m bench.wake_cost                  # table
    python -m bench.wake_cost --seconds 20 --json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

C_CHILD = r"""
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int r = atoi(argv[1]);
    char buf[64];
    struct pollfd p = {r, POLLIN, 0};
    for (;;) {
        if (poll(&p, 1, -1) < 0 || read(r, buf, sizeof buf) <= 0)
            return 0;
    }
}
"""

#: the Python child (argv: lines, then the pipe): ``select`` + ``os.read``, then about
#: ``lines`` trivial lines
PY_CHILD = """
import os, select, sys
lines, r = int(sys.argv[1]), int(sys.argv[2])
class O:
    a = 1
o = O()
def work(n):
    x = 0
    for _ in range(n // 4):
        x += o.a
        t = (x, o)
        x = t[0] + 1
    return x
while True:
    select.select([r], [], [])
    if not os.read(r, 64):
        break
    if lines:
        work(lines)
"""

SETTLE_S = 1.0  #: the child's start, before its CPU is counted


def schedstat_ns(pid: int) -> int:
    tasks = Path(f"/proc/{pid}/task")
    return sum(int((t / "schedstat").read_text().split()[0]) for t in tasks.iterdir())


def per_wake(command: list[str], seconds: float, rate: float) -> dict[str, float]:
    """Drive one child (the pipe's descriptor is its last argument); its CPU a wake (us)
    and as % of one core."""
    r, w = os.pipe()
    child = subprocess.Popen([*command, str(r)], pass_fds=[r])
    os.close(r)
    try:
        time.sleep(SETTLE_S)
        start, wakes, began = schedstat_ns(child.pid), 0, time.monotonic()
        while (now := time.monotonic()) - began < seconds:
            os.write(w, b"k")
            wakes += 1
            time.sleep(max(0.0, began + wakes / rate - now))
        time.sleep(0.05)  # (the last wake's read)
        used = schedstat_ns(child.pid) - start
    finally:
        os.close(w)
        child.wait(timeout=10)
    return {"us_a_wake": used / wakes / 1000, "pct": used / 1e9 / seconds * 100, "wakes": wakes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=8.0, help="wakes a second")
    parser.add_argument("--lines", default="0,40,160", help="Python lines after each wake")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is not None:
            source = Path(tmp) / "wake.c"
            source.write_text(C_CHILD)
            subprocess.run([cc, "-O2", "-o", str(Path(tmp) / "wake"), str(source)], check=True)
            results["c"] = per_wake([str(Path(tmp) / "wake")], args.seconds, args.rate)
        for lines in (int(n) for n in args.lines.split(",")):
            command = [sys.executable, "-c", PY_CHILD, str(lines)]
            results[f"python+{lines}"] = per_wake(command, args.seconds, args.rate)
    if args.json:
        print(json.dumps({"seconds": args.seconds, "rate": args.rate, "results": results}))
        return
    print(f"{'child':12s} {'us a wake':>10s} {'% of a core':>12s} {'wakes':>6s}")
    for name, got in results.items():
        print(f"{name:12s} {got['us_a_wake']:10.1f} {got['pct']:12.3f} {got['wakes']:6.0f}")
    if "c" not in results:
        print("(no C compiler: no C baseline)")


if __name__ == "__main__":
    main()
