"""The one place remoteapp imports Qt from (PySide6), like qutebrowser's ``qt`` package.

Everything else imports ``from remoteapp.ui.qt import QtCore, QtGui, QtWidgets`` so a
binding change or a compatibility fix happens here only.  Logic outside ``remoteapp.ui``
never imports this module.
"""

from PySide6 import QtCore, QtGui, QtWidgets

Signal = QtCore.Signal
Slot = QtCore.Slot

__all__ = ["QtCore", "QtGui", "QtWidgets", "Signal", "Slot"]
