"""The lock of the C books (``_senttimes.SentTimes``, ``_inflight.InFlight``), held as the
native lane will hold it: from C, without the GIL.

Why: Python's own calls never find that lock taken.  Each takes it (``books_lock`` in
``remoteapp/_seq_books.h``) and lets it go with the GIL held throughout, and nothing in
a locked section lets the GIL go, so their first, non-blocking try always wins: however
many threads call in, the contended path (let the GIL go, wait for the lock) is never
run.  Only a holder without the GIL reaches it, as the lane will be.  Here that holder
is ``PyThread_acquire_lock`` called through ctypes (``CDLL``, which lets the GIL go for
the call, as the lane runs without it) on the books' own lock: the last field of their
C struct (a ``_Static_assert`` in each says so), read from the object's memory.

A caller waiting on it is seen in ``/proc/self/task/<tid>/syscall``: blocked in futex on
the lock's own memory (a thread waiting for the GIL waits on another address).  Where
that file cannot be read (not Linux), the tests are skipped."""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import platform
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial

import pytest

WAIT_S = 10.0  #: the bound on every wait (a pass takes milliseconds)
_FUTEX = {"x86_64": 202, "aarch64": 98}.get(platform.machine())  #: its syscall number
_LOCK_BYTES = 64  #: a PyThread lock's memory (a sem_t, or a mutex and a condition)

_api = ctypes.CDLL(None)  # (Python's own symbols; not pythonapi: that keeps the GIL)
_acquire = _api.PyThread_acquire_lock
_acquire.argtypes = [ctypes.c_void_p, ctypes.c_int]
_acquire.restype = ctypes.c_int
_release = _api.PyThread_release_lock
_release.argtypes = [ctypes.c_void_p]
_release.restype = None


class LaneLock:
    """The C books' own lock, taken and let go without the GIL (as the lane will)."""

    def __init__(self, books: object) -> None:
        pointer = ctypes.sizeof(ctypes.c_void_p)
        at = id(books) + type(books).__basicsize__ - pointer  # (the struct's last field)
        address = ctypes.c_void_p.from_address(at).value
        assert address, "books made without __init__ have no lock"
        self._books = books  # (the lock lives as long as they do)
        self.address: int = address
        if _FUTEX is None or _blocked_on(threading.get_native_id()) is None:
            pytest.skip("no /proc/self/task/<tid>/syscall here: a waiter cannot be seen")

    def take(self) -> None:
        """Wait for the lock, the GIL let go meanwhile (a call in C may hold it)."""
        assert _acquire(self.address, 1) == 1

    def release(self) -> None:
        _release(self.address)

    def waiting(self, threads: Iterable[threading.Thread]) -> list[threading.Thread]:
        """Those of ``threads`` blocked on this lock now (in the books' contended path)."""
        out = []
        for thread in threads:
            futex = _blocked_on(thread.native_id) if thread.native_id is not None else None
            if futex is not None and self.address <= futex < self.address + _LOCK_BYTES:
                out.append(thread)
        return out


def _blocked_on(tid: int) -> int | None:
    """The address thread ``tid`` waits on in futex, 0 if it runs or waits on anything
    else, None if the kernel does not say (no such file, or not readable)."""
    try:
        with open(f"/proc/self/task/{tid}/syscall") as f:
            fields = f.read().split()
    except OSError:
        return None
    if len(fields) < 2 or fields[0] != str(_FUTEX):
        return 0
    return int(fields[1], 16)


@contextlib.contextmanager
def bounded(config: pytest.Config) -> Iterator[None]:
    """The whole test bounded even if a call waits for the lock holding the GIL: then no
    Python runs (no assert, no pytest-timeout), so faulthandler's own thread, which needs
    no GIL, prints every thread's stack and ends the run.  It prints to pytest's own copy
    of the terminal's stderr (fd 2 is captured, and lost with the run), where there is
    one (a private key: without it, fd 2)."""
    stderr = _terminal_stderr(config)
    faulthandler.dump_traceback_later(4 * WAIT_S, exit=True, file=stderr or sys.stderr)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def _terminal_stderr(config: pytest.Config) -> int | None:
    """pytest's copy of the terminal's stderr, None where this pytest keeps none."""
    try:
        from _pytest.faulthandler import fault_handler_stderr_fd_key
    except ImportError:  # (a private name: a later pytest may move it)
        return None
    return config.stash.get(fault_handler_stderr_fd_key, None)


@pytest.fixture
def bounded_test(pytestconfig: pytest.Config) -> Iterator[None]:
    """``bounded`` around a test (a module takes it with ``usefixtures``)."""
    with bounded(pytestconfig):
        yield


def every_call_waits(lane: LaneLock, calls: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Each of ``calls`` from its own thread while the lane holds the lock: every one is
    seen waiting on the lock itself and none has answered (the test thread running all
    along); let go, their answers by name."""
    answers: dict[str, object] = {}
    crew = Crew()
    for name, call in calls.items():
        crew.add(name, partial(_answer, answers, name, call))
    lane.take()
    try:
        for thread in crew.threads:
            thread.start()
        until(lambda: len(lane.waiting(crew.threads)) == len(calls), "every call waits")
        assert answers == {}
    finally:
        lane.release()
    crew.join()
    return answers


def run_with_turns(
    turns: Turns, writer: Callable[[int], None], writers: int, reader: Callable[[], None]
) -> None:
    """``writers`` writers (``writer(w)``) and one reader hammer the books while the lane
    takes its ``turns`` (from its own thread) when the writers ask; all joined, bounded."""
    crew = Crew()
    workers = [crew.add(f"writer-{w}", partial(writer, w)) for w in range(writers)]
    workers.append(crew.add("reader", reader))
    lane = crew.add("lane", lambda: turns.run(workers))
    lane.start()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(WAIT_S)
    turns.stop()
    crew.join()


def _answer(answers: dict[str, object], name: str, call: Callable[[], object]) -> None:
    answers[name] = call()


def until(check: Callable[[], bool], what: str) -> None:
    """Wait, bounded, until ``check()`` (nothing signals a thread blocked in C: a look
    every half millisecond, the GIL let go between looks so the others run)."""
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"not within {WAIT_S:g} s: {what}"
        time.sleep(0.0005)


def join_all(threads: Iterable[threading.Thread]) -> None:
    """Join each, bounded: one still alive is a deadlock (it is a daemon: the run ends)."""
    for thread in threads:
        thread.join(WAIT_S)
        assert not thread.is_alive(), f"{thread.name} still runs after {WAIT_S:g} s"


class Crew:
    """Threads whose failures fail the test (each is a daemon: one that deadlocks is
    reported by ``join``, and does not keep the run from ending)."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def add(self, name: str, target: Callable[[], object]) -> threading.Thread:
        def run() -> None:
            try:
                target()
            except BaseException as e:  # (kept for the test thread to raise)
                self.errors.append(e)

        thread = threading.Thread(target=run, name=name, daemon=True)
        self.threads.append(thread)
        return thread

    def join(self) -> None:
        join_all(self.threads)
        if self.errors:
            raise self.errors[0]


class Turns:
    """The lane cutting in at a worker's request: each turn it takes the lock, says so,
    waits until some worker waits on it (the contended path, every turn), lets it go."""

    def __init__(self, lane: LaneLock) -> None:
        self._lane = lane
        self._asks: queue.SimpleQueue[threading.Event | None] = queue.SimpleQueue()
        self.seen: list[list[str]] = []  #: per turn, the workers seen waiting

    def ask(self) -> None:
        """(From a worker) wait, bounded, until the lane holds the lock: the worker's
        next call waits for it."""
        held = threading.Event()
        self._asks.put(held)
        assert held.wait(WAIT_S), "the lane never took the lock"

    def run(self, workers: list[threading.Thread]) -> None:
        """(The lane's thread) take turns until ``stop``."""
        while (held := self._asks.get(timeout=WAIT_S)) is not None:
            self._lane.take()
            try:
                held.set()
                self.seen.append(self._someone_waits(workers))
            finally:
                self._lane.release()

    def _someone_waits(self, workers: list[threading.Thread]) -> list[str]:
        """Wait, bounded, until some of ``workers`` wait on the lock: their names."""
        waiting: list[threading.Thread] = []

        def some() -> bool:
            waiting[:] = self._lane.waiting(workers)
            return bool(waiting)

        until(some, "a worker waits on the lane")
        return sorted(t.name for t in waiting)

    def stop(self) -> None:
        self._asks.put(None)
