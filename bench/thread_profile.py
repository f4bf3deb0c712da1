"""Run a module under cProfile in every thread (cProfile alone sees the main thread only),
and write one merged pstats file when it exits: where a multi-threaded process's CPU goes.

    python -m bench.thread_profile OUT.prof -m bench.interactive --role customer ...
    python -m bench.thread_profile --show OUT.prof [N]     # top N by own time
    python -m bench.thread_profile --names -m MODULE ...   # no profile: OS thread names

Every thread also gets its Python name as its OS name (``/proc/PID/task/TID/comm``, 15
characters), so per-thread CPU can be read from outside without profiling.

Profiling slows Python code (every call is traced): read the shares, not the totals.
"""

from __future__ import annotations

import atexit
import contextlib
import cProfile
import ctypes
import pstats
import runpy
import sys
import threading
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


def show(path: str, top: int = 25) -> None:
    stats = pstats.Stats(path)
    stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str]) -> Any:
    if argv[:1] == ["--show"]:
        show(argv[1], int(argv[2]) if len(argv) > 2 else 25)
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
