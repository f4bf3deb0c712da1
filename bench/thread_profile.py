"""Run a module under cProfile in every thread (cProfile alone sees the main thread only),
and write one merged pstats file when it exits: where a multi-threaded process's CPU goes.

    python -m bench.thread_profile OUT.prof -m bench.interactive --role customer ...
    python -m bench.thread_profile --show OUT.prof [N]     # top N by own time
    python -m bench.thread_profile --names -m MODULE ...   # no profile: OS thread names
    python -m bench.thread_profile --lines OUT -m MODULE ...     # Python lines, counted
    python -m bench.thread_profile --show-lines OUT.3 OUT.7 96   # per update, between two

``--lines`` counts the Python line events each thread runs, per file and line (a
``sys.settrace`` in every thread started after it; not the main thread), and writes a
snapshot every ``SNAPSHOT_S`` to OUT.1, OUT.2, ... and OUT.last at the exit.  The
difference of two snapshots taken in steady state, divided by the updates between
them, is the lines an update costs (issue 11's measure of the capture loop's Python:
docs/capture.md, "a fourth piece").  ``bench.capture_cpu --lines DIR`` runs each
customer so.

Every thread also gets its Python name as its OS name (``/proc/PID/task/TID/comm``, 15
characters), so per-thread CPU can be read from outside without profiling.

Profiling slows Python code (every call is traced): read the shares, not the totals.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import cProfile
import ctypes
import pstats
import runpy
import sys
import threading
import time
from types import FrameType
from typing import Any


def _name_os_thread(name: str) -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        libc.prctl(15, name.encode()[:15] + b"\0", 0, 0, 0)  # PR_SET_NAME


def _install_names() -> None:
    run = threading.Thread.run

    def named_run(self: threading.Thread) -> None:
        _name_os_thread(self.name)
        run(self)

    threading.Thread.run = named_run  # type: ignore[method-assign]


def _install(out: str) -> None:
    profiles: list[cProfile.Profile] = []
    run = threading.Thread.run

    def profiled_run(self: threading.Thread) -> None:
        _name_os_thread(self.name)
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()
        try:
            run(self)
        finally:
            profile.disable()

    threading.Thread.run = profiled_run  # type: ignore[method-assign]
    main = cProfile.Profile()
    profiles.append(main)

    def dump() -> None:
        main.disable()
        stats: pstats.Stats | None = None
        for profile in profiles:
            profile.snapshot_stats()  # a daemon thread may still run: take what it has
            if not getattr(profile, "stats", None):
                continue
            if stats is None:
                stats = pstats.Stats(profile)
            else:
                stats.add(profile)
        if stats is not None:
            stats.dump_stats(out)

    atexit.register(dump)
    main.enable()


SNAPSHOT_S = 3.0  #: --lines: seconds between snapshots


def _install_lines(out: str) -> None:
    counts: collections.Counter[tuple[str, str, int]] = collections.Counter()
    run = threading.Thread.run

    def counted_run(self: threading.Thread) -> None:
        _name_os_thread(self.name)
        name = self.name

        def tracer(frame: FrameType, event: str, arg: object) -> Any:
            if event != "call":
                return None
            where = frame.f_code.co_filename

            def local(frame: FrameType, event: str, arg: object) -> Any:
                if event == "line":
                    counts[(name, where, frame.f_lineno)] += 1
                return local

            return local

        sys.settrace(tracer)
        run(self)

    def snapshot(suffix: str) -> None:
        rows = sorted(counts.copy().items())  # (a copy: the counters keep going)
        with open(f"{out}.{suffix}", "w", encoding="utf-8") as f:
            f.writelines(f"{n}\t{thread}\t{path}:{line}\n" for (thread, path, line), n in rows)

    def snapshots() -> None:
        taken = 0
        while True:
            time.sleep(SNAPSHOT_S)
            taken += 1
            snapshot(str(taken))

    threading.Thread(target=snapshots, name="line-snapshots", daemon=True).start()
    atexit.register(snapshot, "last")
    # (after the snapshots' thread started: it is not counted)
    threading.Thread.run = counted_run  # type: ignore[method-assign]


def lines_per_update(first: str, last: str, updates: float) -> dict[str, dict[str, float]]:
    """Lines per update between two ``--lines`` snapshots, per thread and file."""

    def load(path: str) -> collections.Counter[tuple[str, str]]:
        got: collections.Counter[tuple[str, str]] = collections.Counter()
        with open(path, encoding="utf-8") as f:
            for row in f:
                n, thread, where = row.rstrip("\n").split("\t")
                got[(thread, where.rsplit(":", 1)[0])] += int(n)
        return got

    before, after = load(first), load(last)
    out: dict[str, dict[str, float]] = {}
    for (thread, path), n in after.items():
        if n - before[(thread, path)]:
            out.setdefault(thread, {})[path] = (n - before[(thread, path)]) / updates
    return out


def show_lines(first: str, last: str, updates: float, top: int = 25) -> None:
    for thread, files in sorted(lines_per_update(first, last, updates).items()):
        print(f"{thread}: {sum(files.values()):.1f} lines an update")
        for path, n in sorted(files.items(), key=lambda kv: -kv[1])[:top]:
            print(f"  {n:7.1f}  {path}")


def show(path: str, top: int = 25) -> None:
    stats = pstats.Stats(path)
    stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str]) -> Any:
    if argv[:1] == ["--show"]:
        show(argv[1], int(argv[2]) if len(argv) > 2 else 25)
        return 0
    if argv[:1] == ["--show-lines"] and len(argv) >= 4:
        show_lines(argv[1], argv[2], float(argv[3]))
        return 0
    if argv[:1] == ["--lines"] and len(argv) >= 4 and argv[2] == "-m":
        module = argv[3]
        sys.argv = [module, *argv[4:]]
        _install_lines(argv[1])
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    if len(argv) < 3 or argv[1] != "-m":
        raise SystemExit(__doc__)
    out, module = argv[0], argv[2]
    sys.argv = [module, *argv[3:]]
    if out == "--names":
        _install_names()
    else:
        _install(out)
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
