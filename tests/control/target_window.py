"""A real X client for input tests: a frameless window with a text field at a given
place; prints ``ready``, then ``text <repr>`` on every edit and ``press X Y BUTTON`` on
every mouse press (window coordinates).

    python -m tests.control.target_window X Y W H
"""

from __future__ import annotations

import sys

from remoteapp.ui.qt import QtCore, QtGui, QtWidgets


class Field(QtWidgets.QLineEdit):
    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        pos = event.position().toPoint()
        print(f"press {pos.x()} {pos.y()} {event.button().name}", flush=True)
        super().mousePressEvent(event)


def main() -> int:
    x, y, w, h = (int(v) for v in sys.argv[1:5])
    app = QtWidgets.QApplication(sys.argv[:1])
    field = Field()
    field.setWindowFlags(QtCore.Qt.WindowType.FramelessWindowHint)
    field.setGeometry(x, y, w, h)
    field.textChanged.connect(lambda text: print(f"text {text!r}", flush=True))
    field.show()
    QtCore.QTimer.singleShot(300, lambda: print("ready", flush=True))
    QtCore.QTimer.singleShot(60_000, app.quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
