"""The one place remoteapp imports Qt from (PySide6), like qutebrowser's ``qt`` package.

Everything else imports ``from remoteapp.ui.qt import QtCore, QtGui, QtWidgets`` so a
binding change or a compatibility fix happens here only.  Logic outside ``remoteapp.ui``
never imports this module.
"""

from PySide6 import QtCore, QtGui, QtWidgets
from shiboken6 import isValid

Signal = QtCore.Signal
Slot = QtCore.Slot


def is_alive(obj: QtCore.QObject) -> bool:
    """False once Qt has deleted the C++ object behind ``obj`` (a closed window)."""
    return bool(isValid(obj))


__all__ = ["QtCore", "QtGui", "QtWidgets", "Signal", "Slot", "is_alive"]
