"""A real X client for capture tests: a frameless window at a given place painting four
solid quadrants, printing ``ready`` once it has been painted.

    python -m tests.capture.pattern_window X Y W H
"""

from __future__ import annotations

import sys

from remoteapp.ui.qt import QtCore, QtGui, QtWidgets

#: RGB of the quadrants: top-left, top-right, bottom-left, bottom-right
COLORS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255))


class Pattern(QtWidgets.QWidget):
    def __init__(self) -> None:
        super().__init__(None, QtCore.Qt.WindowType.FramelessWindowHint)
        self._announced = False

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        w, h = self.width() // 2, self.height() // 2
        for i, rgb in enumerate(COLORS):
            painter.fillRect((i % 2) * w, (i // 2) * h, w, h, QtGui.QColor(*rgb))
        painter.end()
        if not self._announced:
            self._announced = True
            QtCore.QTimer.singleShot(50, lambda: print("ready", flush=True))


def main() -> int:
    x, y, w, h = (int(v) for v in sys.argv[1:5])
    app = QtWidgets.QApplication(sys.argv[:1])
    win = Pattern()
    win.setGeometry(x, y, w, h)
    win.show()
    QtCore.QTimer.singleShot(60_000, app.quit)  # never outlive a broken test
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
