"""The one place remoteapp imports Qt from (PySide6), like qutebrowser's ``qt`` package.

Everything else imports ``from remoteapp.ui.qt import QtCore, QtGui, QtWidgets`` so a
binding change or a compatibility fix happens here only.  Logic outside ``remoteapp.ui``
never imports this module.
"""

import contextlib
import gc
import sys
import threading
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore, QtGui, QtNetwork, QtWidgets
from shiboken6 import isValid

Signal = QtCore.Signal
Slot = QtCore.Slot


def is_alive(obj: QtCore.QObject) -> bool:
    """False once Qt has deleted the C++ object behind ``obj`` (a closed window)."""
    return bool(isValid(obj))


class _GuiThreadHop(QtCore.QObject):
    """The workers' one way to the GUI thread: ``call(fn, *args)`` runs ``fn(*args)`` there.

    Signals (``emitter``) and operations' outcomes (``operations.run``) both come this
    way.  One hop for the program, made on the GUI thread and never deleted: a worker
    posts to it while whatever the call is about may be deleted on the GUI thread (a
    worker emitting on an object being deleted crashes), and one QObject per operation
    was never freed (about 4 KB each, for every poll of a week-long session).  The hop
    lets go of what it carries on the GUI thread (its parcel is emptied there); the
    caller, where it lets go: what must die on the GUI thread (an operation's work and
    result: a dialog destroyed on a pool thread crashed) goes in a container that the
    call empties there (``operations._deliver``).

    ``close`` (the program's end, before Qt is torn down): a worker's call is dropped
    from then on.  A worker emitting while the QApplication and the hop are destroyed
    segfaulted now and then (``RuntimeError`` covers only a hop shiboken knows is gone)."""

    carry = Signal(object)  # [fn, args], emptied on the GUI thread
    CLOSE_WAIT_S = 5.0  #: how long ``close`` waits for a worker's emission in flight

    def __init__(self) -> None:
        super().__init__()
        app = QtCore.QCoreApplication.instance()
        if app is not None and app.thread() != QtCore.QThread.currentThread():
            raise RuntimeError("the GUI thread hop is made on the GUI thread")
        self.gui_thread = threading.get_ident()
        self._lock = threading.Lock()  # held by a worker's emission; taken by close
        self._closed = False
        self._kept: list[list[Any]] = []  # calls dropped after close: freed here, not there
        self.carry.connect(self._deliver, QtCore.Qt.ConnectionType.QueuedConnection)

    def call(self, fn: Callable[..., object], *args: Any) -> None:
        """``fn(*args)`` on the GUI thread: at once when called there, else as soon as
        the GUI thread takes its queued events, in the order of the calls."""
        if threading.get_ident() == self.gui_thread:
            fn(*args)
            return
        with self._lock:
            if self._closed:  # nobody to tell: the program is ending.  What the call
                self._kept.append([fn, args])  # holds (a dialog) is not freed here
                return
            # (RuntimeError: the program is ending, the hop gone with it, and a worker that
            # outlived it has nobody to tell; raising would only print on the worker's thread)
            with contextlib.suppress(RuntimeError):
                self.carry.emit([fn, args])

    def close(self) -> None:
        """From now on a worker's call is dropped (kept, not run); a call on the GUI thread
        still runs at once.  Called on the GUI thread before Qt is torn down; returns once
        no worker's emission is in flight (one holds the lock only while it posts, which
        never waits for the GUI thread; bounded all the same)."""
        taken = self._lock.acquire(timeout=self.CLOSE_WAIT_S)
        self._closed = True
        if taken:
            self._lock.release()

    def _deliver(self, parcel: list[Any]) -> None:
        fn, args = parcel
        parcel.clear()  # (the worker may let go of the parcel last: empty by then)
        try:
            fn(*args)
        except Exception:  # said here, not by PySide: its PyErr_Print keeps the traceback
            sys.excepthook(*sys.exc_info())  # (sys.last_traceback), and with it fn's frames
            # and what they hold (an operation's work: a dialog) until the next error


_hops: list[_GuiThreadHop] = []


def gui_thread_hop() -> _GuiThreadHop:
    """The program's one ``_GuiThreadHop``, made by the first call: on the GUI thread
    (``emitter`` and ``operations.run`` are called there, before any worker needs it)."""
    if not _hops:
        _hops.append(_GuiThreadHop())
    return _hops[0]


def on_gui_thread(fn: Callable[..., object], *args: Any) -> None:
    """Run ``fn(*args)`` on the GUI thread, from any thread (``_GuiThreadHop.call``): at
    once when called there.  What must die on the GUI thread (a window) goes in a
    container that ``fn`` empties: the caller's own references end where it lets go."""
    gui_thread_hop().call(fn, *args)


def _emit(signal: Any, args: tuple[Any, ...]) -> None:
    with contextlib.suppress(RuntimeError):  # "Signal source has been deleted"
        signal.emit(*args)


def emitter(signal: Any) -> Callable[..., None]:
    """A callback for any thread that emits ``signal`` on the GUI thread: at once when
    called there, else through ``_GuiThreadHop``.  Made on the GUI thread.

    PySide queues a worker's emission to each plain Python callable connected to the
    signal; one that was disconnected and freed before its queued call ran is called
    anyway, on freed memory (a segfault: pytest-qt's ``waitSignal`` disconnects and drops
    its callable as the first emission arrives, and a download reports every read).
    Emitted on the GUI thread, the signal calls its callables at once, so nothing queued
    can outlive them.  The signal's owner may be gone by the time the call arrives (a
    long poll that ends after the window closed): then there is nobody to tell, and
    raising would kill the worker's thread."""
    hop = gui_thread_hop()

    def emit(*args: Any) -> None:
        hop.call(_emit, signal, args)

    return emit


def collect_garbage_on_gui_thread(app: QtCore.QCoreApplication, every_ms: int = 5000) -> None:
    """Python's cyclic GC runs on whichever thread happens to allocate: on a worker thread
    it would destroy Qt objects there (Qt: "Timers cannot be stopped from another thread",
    then a crash when the timer fires).  Collect on the GUI thread only (as Anki does)."""
    gc.disable()
    timer = QtCore.QTimer(app)
    timer.timeout.connect(gc.collect)
    timer.start(every_ms)


__all__ = [
    "QtCore",
    "QtGui",
    "QtNetwork",
    "QtWidgets",
    "Signal",
    "Slot",
    "collect_garbage_on_gui_thread",
    "emitter",
    "gui_thread_hop",
    "is_alive",
    "on_gui_thread",
]
