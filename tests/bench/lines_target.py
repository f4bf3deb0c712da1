"""A module for ``bench.thread_profile --lines`` to count: one thread, a known loop."""

import threading


def work(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


worker = threading.Thread(target=work, args=(10,), name="worker")
worker.start()
worker.join()
