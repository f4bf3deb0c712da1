"""bench.thread_profile --lines: the Python lines each thread runs, counted in a real
child process, and the per-update figure between two snapshots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench import thread_profile

ROOT = Path(__file__).resolve().parents[2]


def test_a_threads_lines_are_counted_per_file_and_line(tmp_path: Path) -> None:
    out = tmp_path / "run.lines"
    subprocess.run(
        [sys.executable, "-m", "bench.thread_profile", "--lines", str(out),
         "-m", "tests.bench.lines_target"],
        cwd=ROOT, check=True, timeout=60,
    )  # fmt: skip
    rows = [line.split("\t") for line in Path(f"{out}.last").read_text().splitlines()]
    mine = {where: int(n) for n, thread, where in rows if thread == "worker"}
    target = str(ROOT / "tests" / "bench" / "lines_target.py")
    # the loop's body ran ten times, its header eleven (the last test ends it)
    assert mine[f"{target}:9"] == 10 and mine[f"{target}:8"] == 11
    assert all(thread == "worker" for _, thread, _ in rows)  # (the main thread: not traced)


def test_lines_per_update_is_the_difference_of_two_snapshots(tmp_path: Path) -> None:
    first, last = tmp_path / "a", tmp_path / "b"
    first.write_text("10\tcap\t/x/a.py:1\n4\tcap\t/x/b.py:2\n")
    last.write_text(
        "30\tcap\t/x/a.py:1\n30\tcap\t/x/a.py:2\n4\tcap\t/x/b.py:2\n8\tnet\t/x/c.py:5\n"
    )
    got = thread_profile.lines_per_update(str(first), str(last), 10)
    assert got == {"cap": {"/x/a.py": 5.0}, "net": {"/x/c.py": 0.8}}
