"""The desktop app's memory over a long week: what its background work leaves behind.

An agent's app polls every few seconds and is left open for days, so whatever one
operation (``remoteapp.ui.operations.run``: the work on a pool thread, the result on the
GUI thread) leaves behind adds up. Each kind of work runs ``--ops`` times, one after
another as polls do: instant (a keyring read), failing at once (a refused connection,
as while the server is down) and 2 ms long (a call on a fast network). For each: RSS
growth per 10,000 operations and the Python objects left, beside the same run's
baseline, the same work on a plain ``ThreadPoolExecutor`` (no Qt). Target: within 1 MB
of the baseline per 10,000 operations (before the relay and task fixes: about 43 MB).

    python -m bench.ui_memory               # table
    python -m bench.ui_memory --json        # one JSON object
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import queue
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from remoteapp.ui import operations
from remoteapp.ui.qt import QtCore, QtWidgets


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def instant() -> int:
    return 1


def failing() -> int:
    raise ConnectionRefusedError("refused")


def slow() -> int:
    time.sleep(0.002)
    return 1


WORK: dict[str, Callable[[], int]] = {"instant": instant, "failing": failing, "2 ms": slow}


def objects() -> int:
    gc.collect()
    return len(gc.get_objects())


def through_operations(app: QtWidgets.QApplication, work: Callable[[], int], ops: int) -> None:
    window = QtWidgets.QWidget()
    left = [ops]

    def next_one(_: object = None) -> None:
        left[0] -= 1
        if left[0] < 0:
            app.quit()
            return
        operations.run(window, work, next_one, next_one, busy=False, poll=operations.Poll())

    QtCore.QTimer.singleShot(0, next_one)
    app.exec()
    window.deleteLater()
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete.value)


def through_executor(work: Callable[[], int], ops: int) -> None:
    done: queue.Queue[object] = queue.Queue()
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(ops):
            future = pool.submit(work)
            future.add_done_callback(done.put)
            done.get(timeout=10)


def measure(run: Callable[[], None], ops: int) -> dict[str, float]:
    run()  # a first round warms caches, pools and imports up
    before_rss, before_objects = rss_mb(), objects()
    run()
    return {
        "mb_per_10k": round((rss_mb() - before_rss) * 10_000 / ops, 2),
        "objects_left": objects() - before_objects,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=20_000, help="operations per kind")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["bench"])
    assert isinstance(app, QtWidgets.QApplication)
    gc.disable()  # as the app does (qt.collect_garbage_on_gui_thread): collected here
    rows: list[dict[str, Any]] = []
    for name, work in WORK.items():
        ops = args.ops if name != "2 ms" else max(args.ops // 10, 100)
        base = measure(functools.partial(through_executor, work, ops), ops)
        ours = measure(functools.partial(through_operations, app, work, ops), ops)
        rows.append({"work": name, "ops": ops, "operations": ours, "baseline": base})
    if args.json:
        print(json.dumps({"rows": rows}))
        return
    print(
        f"{'work':<8} {'ops':>7} {'MB/10k ops':>11} {'baseline':>9} {'objects left':>13} "
        f"{'baseline':>9}"
    )
    for row in rows:
        ours, base = row["operations"], row["baseline"]
        print(
            f"{row['work']:<8} {row['ops']:>7} {ours['mb_per_10k']:>11} {base['mb_per_10k']:>9} "
            f"{ours['objects_left']:>13} {base['objects_left']:>9}"
        )


if __name__ == "__main__":
    main()
