"""Another program's clipboard on an X display, for the clipboard tests.

python -m tests.ui.clipboard_tool get        # prints ``clipboard <repr>`` and exits
python -m tests.ui.clipboard_tool set TEXT   # owns the clipboard (prints ``owner``)
                                             # until killed or 60 s
"""

from __future__ import annotations

import sys

from remoteapp.ui.qt import QtCore, QtWidgets


def main() -> int:
    app = QtWidgets.QApplication(sys.argv[:1])
    board = QtWidgets.QApplication.clipboard()
    if sys.argv[1] == "get":
        print(f"clipboard {board.text()!r}", flush=True)
        return 0
    board.setText(sys.argv[2])
    QtCore.QTimer.singleShot(0, lambda: print("owner", flush=True))
    QtCore.QTimer.singleShot(60_000, app.quit)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
