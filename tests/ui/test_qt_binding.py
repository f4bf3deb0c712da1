"""The Qt binding keeps Python's reference counts: PySide6 6.12.0 dropped a reference to
``None`` on every call returning nothing and one to ``True`` on every signal emit, and on
Python < 3.12 (where those objects are not immortal) the viewer aborted after about two
thousand frames ("bool_dealloc").  The loop runs in its own process: a broken binding
aborts it rather than the test run."""

from __future__ import annotations

from tests.ui import offscreen_program

LOOP = """
import sys
from PySide6 import QtCore, QtWidgets

app = QtWidgets.QApplication([])

class Source(QtCore.QObject):
    changed = QtCore.Signal()

source = Source()
source.changed.connect(lambda: None)
label = QtWidgets.QLabel()
none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(5000):  # what the viewer does per frame: an emit, a few void calls
    source.changed.emit()
    label.setText("frame")
    label.update()
print(sys.getrefcount(None) - none_before, sys.getrefcount(True) - true_before)
"""


def test_emits_and_void_calls_keep_reference_counts() -> None:
    done = offscreen_program(LOOP)
    assert done.returncode == 0, done.stderr[-2000:]
    none_delta, true_delta = (int(v) for v in done.stdout.split())
    assert abs(none_delta) < 50 and abs(true_delta) < 50, (none_delta, true_delta)
