"""Run blocking work (network, file locks, fsync, the keyring) off the GUI thread; deliver
the result on the GUI thread (``qt.on_gui_thread``).

Like Anki's QueryOp: ``run(parent, work, on_done, on_error)``, called on the GUI thread.
The callbacks run on the GUI thread; the work runs on Qt's global thread pool, so the GUI
never waits.  ``parent`` going away drops the result instead of touching a dead widget.

- ``on_error`` may be left out: the default handler logs the error and shows it where the
  window says (``show_errors_in(window, show)``, e.g. its status line), else only logs.
- Each window counts the operations it waits for: ``activity(window)`` has ``running``
  and a ``changed(int)`` signal; ``show_busy_cursor(window)`` turns that into a busy
  cursor.  Background work (periodic refreshes, the outbox) passes ``busy=False``.
- ``lane``: work run with the same lane object runs one at a time, in the order it was
  started (the outbox: a session's open record reaches the disk before its closed one).
- ``poll``: work repeated by a timer (a refresh) runs on its own few threads, never on
  the ones the user's actions use, and at most one at a time per ``Poll``: a server that
  hangs holds one call each, not a backlog that Connect would wait behind.
  ``background``: on those threads too (a report nobody waits for), never skipped.
- ``end_workers()``: the program's end (``app.run``), before Qt is torn down.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import (
    QtCore,
    QtGui,
    QtWidgets,
    Signal,
    gui_thread_hop,
    is_alive,
    on_gui_thread,
)

log = logging.getLogger("remoteapp.ui")


class Activity(QtCore.QObject):
    """The operations running for one window (a child of it, found by ``activity``)."""

    changed = Signal(int)  # how many are running, after each start and end

    def __init__(self, window: QtCore.QObject) -> None:
        super().__init__(window)
        self.setObjectName("operations-activity")
        self.running = 0
        self.show_error: Callable[[str], None] | None = None

    def _add(self, delta: int) -> None:
        self.running += delta
        self.changed.emit(self.running)


class Lane:
    """Work that must not overlap or overtake: run one at a time, first started first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: deque[_Task] = deque()
        self._busy = False

    def _submit(self, task: _Task) -> None:
        with self._lock:
            if self._busy:
                self._waiting.append(task)
                return
            self._busy = True
        QtCore.QThreadPool.globalInstance().start(task.run)

    def _next(self) -> None:
        """Called on the worker thread once a task has ended and reported."""
        with self._lock:
            if not self._waiting:
                self._busy = False
                return
            task = self._waiting.popleft()
        QtCore.QThreadPool.globalInstance().start(task.run)


class Poll:
    """A periodic call that must not pile up: while one is in flight the next is skipped
    (``run`` returns False); it runs on the poll threads (``poll_pool``)."""

    def __init__(self) -> None:
        self.in_flight = False


POLL_THREADS = 4  #: a window's few polls, each at most one in flight at a time
_poll_pool: list[QtCore.QThreadPool] = []


def poll_pool() -> QtCore.QThreadPool:
    """The threads of periodic work, apart from Qt's global pool (the user's actions):
    with two cores that pool has two threads, which hung refreshes used to fill."""
    if not _poll_pool:
        pool = QtCore.QThreadPool()
        pool.setMaxThreadCount(POLL_THREADS)
        _poll_pool.append(pool)
    return _poll_pool[0]


QUIT_WAIT_S = 3.0  #: how long the program's end waits for operations still running


def end_workers(wait_s: float = QUIT_WAIT_S) -> bool:
    """The program's end, on the GUI thread once its event loop has returned, before the
    QApplication goes: close the way to the GUI thread (a worker posting while Qt is torn
    down crashed), then give the operations still running ``wait_s`` to end while Qt is
    whole (a session's end report, the outbox's write).  Their outcomes are dropped: no
    event loop runs any more.  True: none is left (a long poll can outlast the wait; its
    outcome is dropped too, and Qt waits for it as the program ends, as before)."""
    gui_thread_hop().close()
    deadline = time.monotonic() + wait_s
    done = True
    for pool in (QtCore.QThreadPool.globalInstance(), *_poll_pool):
        left_ms = max(0, round((deadline - time.monotonic()) * 1000))
        done = pool.waitForDone(left_ms) and done
    return done


_waiting: dict[int, Callable[[bool, Any], None]] = {}  #: each operation's finish; GUI thread
_keys = itertools.count()


def _deliver(key: int, outcome: list[Any]) -> None:
    """An operation's outcome, ``[failed, result or exception, work]``, to its ``finish``:
    run on the GUI thread by ``qt.on_gui_thread``, the program's one way there (one
    QObject per operation was never freed: about 4 KB each, for every poll)."""
    failed, value, _work = outcome
    outcome.clear()
    finish = _waiting.pop(key, None)
    if finish is not None:
        finish(failed, value)
    # (the work and its result are let go of here, on the GUI thread)


class _Task:
    """One operation's work, run on a pool thread (``run``, handed to the pool as a plain
    callable: a QRunnable subclass whose work ended before ``start`` returned was never
    freed, one in five while the server was unreachable).  What the work's closure
    captures (a dialog) may be held by nothing else once the GUI thread has its result:
    so the work and the result or the exception (whose traceback holds the work's frames)
    are handed back in a list that ``_deliver`` empties on the GUI thread, never let go
    of here, where freeing a window would destroy it off its thread.  ``run`` is never
    called on the GUI thread, so ``finish`` always runs later, from the event loop."""

    def __init__(self, work: Callable[[], Any], key: int, lane: Lane | None) -> None:
        self.work: Callable[[], Any] | None = work
        self.key, self.lane = key, lane

    def run(self) -> None:
        work, self.work = self.work, None
        assert work is not None
        try:
            outcome: list[Any] = [False, work()]
        except BaseException as exc:  # delivered to on_error on the GUI thread (a
            outcome = [True, exc]  # SystemExit too: else its poll and lane stayed busy)
        outcome.append(work)
        del work
        try:
            on_gui_thread(_deliver, self.key, outcome)
        finally:
            del outcome
            if self.lane is not None:  # after the report: lane results arrive in order
                self.lane._next()


def activity(parent: QtCore.QObject) -> Activity:
    """The activity of ``parent``'s window (created on first use); a QObject that is not
    a widget belongs to the window of the widget it hangs from."""
    window = parent
    while not isinstance(window, QtWidgets.QWidget) and (up := window.parent()) is not None:
        window = up
    if isinstance(window, QtWidgets.QWidget):
        window = window.window()
    found = window.findChild(
        Activity, "operations-activity", QtCore.Qt.FindChildOption.FindDirectChildrenOnly
    )
    return found if isinstance(found, Activity) else Activity(window)


def show_errors_in(window: QtCore.QObject, show: Callable[[str], None]) -> None:
    """Where the default error handler shows the errors of ``window``'s operations."""
    activity(window).show_error = show


def show_busy_cursor(window: QtWidgets.QWidget) -> None:
    """A busy (arrow + hourglass) cursor over ``window`` while it has operations running."""

    def changed(running: int) -> None:
        if running:
            window.setCursor(QtGui.QCursor(QtCore.Qt.CursorShape.BusyCursor))
        else:
            window.unsetCursor()

    activity(window).changed.connect(changed)


def report_error(parent: QtCore.QObject, exc: Exception) -> None:
    """The default ``on_error``: log it, and show it where the window asked."""
    log.warning("ui event=operation-failed error=%s reason=%r", type(exc).__name__, str(exc))
    show = activity(parent).show_error
    if show is not None:
        show(tr("Something went wrong: {reason}").format(reason=str(exc) or type(exc).__name__))


def run(
    parent: QtCore.QObject,
    work: Callable[[], Any],
    on_done: Callable[[Any], None] = lambda result: None,
    on_error: Callable[[Exception], None] | None = None,
    *,
    lane: Lane | None = None,
    busy: bool = True,
    on_dropped: Callable[[Any], None] | None = None,
    poll: Poll | None = None,
    background: bool = False,
) -> bool:
    """Run ``work`` off the GUI thread; then ``on_done(result)`` or ``on_error(exc)`` (by
    default ``report_error``) on the GUI thread, unless ``parent`` has gone.  ``busy``:
    the window shows it is waiting for this one.  ``on_dropped(result)`` releases what a
    result holds (a socket) when ``parent`` went before it arrived.  ``poll`` and
    ``background``: on the poll threads, not those of the user's actions.  False: not
    started (``poll``'s previous run is still in flight)."""
    if poll is not None:
        if poll.in_flight:
            return False
        poll.in_flight = True
    counter = activity(parent) if busy else None
    if counter is not None:
        counter._add(1)

    def finish(failed: bool, value: Any) -> None:
        if poll is not None:
            poll.in_flight = False
        if not is_alive(parent):
            log.info("ui event=result-dropped reason='window closed'")
            if on_dropped is not None and not failed:
                on_dropped(value)
            return
        if counter is not None and is_alive(counter):
            counter._add(-1)
        if not failed:
            on_done(value)
        elif on_error is None:
            report_error(parent, value)
        else:
            on_error(value)

    gui_thread_hop()  # (made here, on the GUI thread, if this is the program's first)
    key = next(_keys)
    _waiting[key] = finish
    task = _Task(work, key, lane)
    if poll is not None or background:
        poll_pool().start(task.run)
    elif lane is None:
        QtCore.QThreadPool.globalInstance().start(task.run)
    else:
        lane._submit(task)
    return True
