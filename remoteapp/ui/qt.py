"""The one place remoteapp imports Qt from (PySide6), like qutebrowser's ``qt`` package.

Everything else imports ``from remoteapp.ui.qt import QtCore, QtGui, QtWidgets`` so a
binding change or a compatibility fix happens here only.  Logic outside ``remoteapp.ui``
never imports this module.
"""

import contextlib
import gc
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore, QtGui, QtNetwork, QtWidgets
from shiboken6 import isValid

Signal = QtCore.Signal
Slot = QtCore.Slot


def is_alive(obj: QtCore.QObject) -> bool:
    """False once Qt has deleted the C++ object behind ``obj`` (a closed window)."""
    return bool(isValid(obj))


def emitter(signal: Any) -> Callable[..., None]:
    """A callback for a worker thread that emits ``signal``.  The window that owns the
    signal may be gone by the time the thread calls (a long poll that ends after the window
    closed): then there is nobody to tell, and raising would kill that thread."""

    def emit(*args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # "Signal source has been deleted"
            signal.emit(*args)

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
