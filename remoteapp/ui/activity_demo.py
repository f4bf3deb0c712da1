"""A window that keeps the screen busy (scrolling text, a moving box, a clock), so the
live pipeline has real changes to encode on an otherwise idle virtual display.

    python -m remoteapp.ui.activity_demo [--seconds N]
"""

from __future__ import annotations

import argparse
import sys
import time

from remoteapp.ui.qt import QtCore, QtGui, QtWidgets

LINES = [
    f"{i:04d}  Ticket {4400 + i}: customer reports the printer drops jobs after the update"
    for i in range(400)
]


class ActivityWindow(QtWidgets.QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("remoteapp activity demo")
        self.resize(900, 600)
        self.text = QtWidgets.QPlainTextEdit("\n".join(LINES))
        self.text.setReadOnly(True)
        self.clock = QtWidgets.QLabel()
        self.box = QtWidgets.QLabel(self)
        self.box.setFixedSize(80, 80)
        self.box.setStyleSheet("background: #e06040; border-radius: 12px;")
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.clock)
        layout.addWidget(self.text)
        self._t = 0
        timer = QtCore.QTimer(self)
        timer.timeout.connect(self._tick)
        timer.start(33)

    def _tick(self) -> None:
        self._t += 1
        bar = self.text.verticalScrollBar()
        bar.setValue((bar.value() + 3) % max(1, bar.maximum()))
        x = 40 + (self._t * 6) % max(1, self.width() - 160)
        self.box.move(x, self.height() - 120)
        self.clock.setText(time.strftime("%H:%M:%S"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=0, help="quit after N s (0: never)")
    args = parser.parse_args(argv)
    app = QtWidgets.QApplication(sys.argv[:1])
    app.setFont(QtGui.QFont("DejaVu Sans", 11))
    win = ActivityWindow()
    win.show()
    if args.seconds:
        QtCore.QTimer.singleShot(int(args.seconds * 1000), app.quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
