"""The capture thread's wake pipe: a wake never blocks, not even on a full pipe or after
the close, and a drain takes every wake before it."""

from __future__ import annotations

import select
import threading

from remoteapp.capture.wake_pipe import WakePipe


def _readable(pipe: WakePipe) -> bool:
    return bool(select.select([pipe.fd], [], [], 0)[0])


def test_a_drain_takes_the_wakes_before_it() -> None:
    pipe = WakePipe()
    try:
        assert not _readable(pipe)
        pipe.wake()
        pipe.wake()
        assert _readable(pipe)
        pipe.drain()
        assert not _readable(pipe)
        pipe.drain()  # nothing there: no error, no wait
    finally:
        pipe.close()


def test_a_wake_never_blocks_on_a_full_pipe() -> None:
    pipe = WakePipe()
    try:
        wakers = [threading.Thread(target=lambda: [pipe.wake() for _ in range(40_000)])]
        wakers.append(threading.Thread(target=lambda: [pipe.wake() for _ in range(40_000)]))
        for waker in wakers:
            waker.start()
        for waker in wakers:
            waker.join(60)
            assert not waker.is_alive(), "a wake blocked on the full pipe"
        assert _readable(pipe)
    finally:
        pipe.close()


def test_a_wake_after_the_close_does_nothing() -> None:
    pipe = WakePipe()
    assert pipe.close()
    pipe.wake()
    assert not pipe.close()  # (closed once)
