"""The one place remoteapp imports Qt from (PySide6), like qutebrowser's ``qt`` package.

Everything else imports ``from remoteapp.ui.qt import QtCore, QtGui, QtWidgets`` so a
binding change or a compatibility fix happens here only.  Logic outside ``remoteapp.ui``
never imports this module.
"""

import contextlib
import gc
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
    """Carries a worker's emission to the GUI thread, where the signal itself is emitted.

    PySide queues a worker's emission to each plain Python callable connected to the
    signal; one that was disconnected and freed before its queued call ran is called
    anyway, on freed memory (a segfault: pytest-qt's ``waitSignal`` disconnects and drops
    its callable as the first emission arrives, and a download reports every read).
    Emitted on the GUI thread, the signal calls its callables at once, so nothing queued
    can outlive them.  One hop for the program, made on the GUI thread and never deleted:
    a worker emits on it while the signal's owner may be deleted on the GUI thread (a
    worker emitting on an object being deleted crashes too); an owner gone by the time
    its emission arrives is told nothing."""

    carry = Signal(object, object)  # (the signal, its arguments)

    def __init__(self) -> None:
        super().__init__()
        self.gui_thread = threading.get_ident()
        self.carry.connect(self._deliver, QtCore.Qt.ConnectionType.QueuedConnection)

    def _deliver(self, signal: Any, args: tuple[Any, ...]) -> None:
        with contextlib.suppress(RuntimeError):  # "Signal source has been deleted"
            signal.emit(*args)


_hops: list[_GuiThreadHop] = []


def emitter(signal: Any) -> Callable[..., None]:
    """A callback for any thread that emits ``signal`` on the GUI thread: at once when
    called there, else through ``_GuiThreadHop``.  Made on the GUI thread.  The signal's
    owner may be gone by the time the thread calls (a long poll that ends after the
    window closed): then there is nobody to tell, and raising would kill that thread."""
    if not _hops:
        _hops.append(_GuiThreadHop())
    hop = _hops[0]

    def emit(*args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # "Signal source has been deleted"
            if threading.get_ident() == hop.gui_thread:
                signal.emit(*args)
            else:
                hop.carry.emit(signal, args)

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
    "is_alive",
]
