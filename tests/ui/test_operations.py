"""ui/operations on real Qt: results and errors come back on the GUI thread; the default
error handler logs and shows the error where the window asked; each window counts what
it waits for (a busy cursor meanwhile, not for background work); a lane runs its work
one at a time, in order; a closed window's results are dropped."""

from __future__ import annotations

import gc
import logging
import threading

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.ui import operations
from remoteapp.ui.qt import QtCore, QtWidgets, is_alive

WAIT_MS = 10_000


@pytest.fixture
def window(qtbot: QtBot) -> QtWidgets.QWidget:
    window = QtWidgets.QWidget()
    qtbot.addWidget(window)
    return window


def test_results_come_back_on_the_gui_thread(qtbot: QtBot, window: QtWidgets.QWidget) -> None:
    seen: list[tuple[object, bool]] = []
    gui = threading.current_thread()

    def work() -> str:
        assert threading.current_thread() is not gui
        return "done"

    operations.run(
        window, work, lambda value: seen.append((value, threading.current_thread() is gui))
    )
    qtbot.waitUntil(lambda: seen == [("done", True)], timeout=WAIT_MS)


def test_the_default_error_handler_logs_and_shows_on_the_status_line(
    qtbot: QtBot, window: QtWidgets.QWidget, caplog: pytest.LogCaptureFixture
) -> None:
    status = QtWidgets.QLabel(window)
    operations.show_errors_in(window, status.setText)
    child = QtWidgets.QPushButton(window)  # any widget of the window will do as parent

    def work() -> None:
        raise OSError("disk full")

    with caplog.at_level(logging.WARNING, "remoteapp.ui"):
        operations.run(child, work)
        qtbot.waitUntil(lambda: status.text() == "Something went wrong: disk full", timeout=WAIT_MS)
    assert "operation-failed error=OSError reason='disk full'" in caplog.text


def test_without_a_status_line_the_error_is_logged(
    qtbot: QtBot, window: QtWidgets.QWidget, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "remoteapp.ui"):
        operations.run(window, lambda: 1 / 0)
        qtbot.waitUntil(lambda: "ZeroDivisionError" in caplog.text, timeout=WAIT_MS)


def test_a_window_shows_it_is_busy_while_it_waits(qtbot: QtBot, window: QtWidgets.QWidget) -> None:
    operations.show_busy_cursor(window)
    activity = operations.activity(window)
    counts: list[int] = []
    activity.changed.connect(counts.append)
    release = threading.Event()
    background = threading.Event()
    operations.run(window, lambda: release.wait(WAIT_MS))
    operations.run(window, lambda: release.wait(WAIT_MS))
    operations.run(window, lambda: background.wait(WAIT_MS), busy=False)  # not counted
    assert activity.running == 2 and counts == [1, 2]
    assert window.cursor().shape() == QtCore.Qt.CursorShape.BusyCursor
    release.set()
    qtbot.waitUntil(lambda: activity.running == 0, timeout=WAIT_MS)
    assert counts == [1, 2, 1, 0]
    assert window.cursor().shape() == QtCore.Qt.CursorShape.ArrowCursor
    background.set()


def test_a_lane_runs_one_at_a_time_in_the_order_started(
    qtbot: QtBot, window: QtWidgets.QWidget
) -> None:
    lane = operations.Lane()
    first_may_end = threading.Event()
    ran: list[int] = []
    done: list[int] = []
    running = threading.Semaphore(1)

    def step(n: int) -> int:
        assert running.acquire(blocking=False), "two lane works at once"
        try:
            if n == 0:
                first_may_end.wait(WAIT_MS)
            ran.append(n)
            return n
        finally:
            running.release()

    for n in range(20):
        operations.run(window, lambda n=n: step(n), done.append, lane=lane, busy=False)
    first_may_end.set()  # the rest queued behind the first meanwhile
    qtbot.waitUntil(lambda: len(done) == 20, timeout=WAIT_MS)
    assert ran == list(range(20)) and done == list(range(20))


def test_a_closed_windows_result_is_dropped(qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    window = QtWidgets.QWidget()
    release = threading.Event()
    seen: list[object] = []
    operations.run(window, lambda: release.wait(WAIT_MS), seen.append)
    window.deleteLater()
    qtbot.waitUntil(lambda: not is_alive(window), timeout=WAIT_MS)
    with caplog.at_level(logging.INFO, "remoteapp.ui"):
        release.set()
        qtbot.waitUntil(lambda: "result-dropped" in caplog.text, timeout=WAIT_MS)
    assert seen == []


def test_a_dropped_result_is_released(qtbot: QtBot) -> None:
    """A connect that finishes after its window closed must not leak its socket."""
    window = QtWidgets.QWidget()
    release = threading.Event()
    seen: list[object] = []
    released: list[object] = []
    operations.run(
        window,
        lambda: release.wait(WAIT_MS) and "socket",
        seen.append,
        on_dropped=released.append,
    )
    window.deleteLater()
    qtbot.waitUntil(lambda: not is_alive(window), timeout=WAIT_MS)
    release.set()
    qtbot.waitUntil(lambda: released == ["socket"], timeout=WAIT_MS)
    assert seen == []


def test_finished_operations_leave_no_qt_object_behind(
    qtbot: QtBot, window: QtWidgets.QWidget
) -> None:
    """One relay for the program: one per operation was never freed (about 4 KB each,
    for every poll of an agent's week-long session)."""

    def qt_objects() -> int:
        gc.collect()
        return sum(isinstance(o, QtCore.QObject) for o in gc.get_objects())

    operations.run(window, lambda: None)  # the relay itself, made once
    qtbot.waitUntil(lambda: operations.activity(window).running == 0, timeout=WAIT_MS)
    before = qt_objects()
    done: list[int] = []
    for n in range(300):
        operations.run(window, lambda n=n: n, done.append)
    qtbot.waitUntil(lambda: len(done) == 300, timeout=WAIT_MS)
    assert sorted(done) == list(range(300))
    assert qt_objects() - before < 10
