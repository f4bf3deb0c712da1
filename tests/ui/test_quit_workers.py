"""The program's end with workers still posting to the GUI thread (``qt._GuiThreadHop``):
a worker that emitted while the QApplication was torn down segfaulted now and then (in
``QMetaObject::metacall``, the GUI thread in ``~QApplicationPrivate``).  ``app.run`` now
ends with ``operations.end_workers``: the hop is closed (a worker's call is dropped; one
on the GUI thread still runs at once) and the operations get a bounded wait to end."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.ui import operations, qt
from remoteapp.ui.qt import QtCore
from tests.ui import offscreen_program

WAIT_S = 10.0

# What app.run does at its end, with workers posting as fast as they can: threads that
# are never told to stop (a viewer's reader, the customer's presence) and operations.
PROGRAM = """
import atexit
import sys
import threading

from remoteapp.ui import operations, qt
from remoteapp.ui.qt import QtCore, QtWidgets

THREADS, OPERATIONS = 8, 2


class Owner(QtCore.QObject):
    progress = qt.Signal(int)


def main() -> int:
    qapp = QtWidgets.QApplication(sys.argv[:1])
    qt.gui_thread_hop()
    window = QtWidgets.QWidget()
    emit = qt.emitter(Owner(window).progress)
    going = threading.Barrier(THREADS + OPERATIONS + 1)
    ended = threading.Event()
    atexit.register(ended.set)  # (before PySide's own, which tears Qt down)

    def post(until: threading.Event) -> None:
        going.wait()
        while not until.is_set():
            qt.on_gui_thread(len, ())
            emit(1)

    for _ in range(THREADS):  # (never told to stop: they die with the process)
        threading.Thread(target=post, args=(threading.Event(),), daemon=True).start()
    for _ in range(OPERATIONS):
        operations.run(window, lambda: post(ended), busy=False, background=True)
    going.wait(10)
    QtCore.QTimer.singleShot(0, qapp.quit)
    try:
        return qapp.exec()
    finally:  # as app.run ends (its wait shortened: these operations end at the exit)
        operations.end_workers(0.2)


sys.exit(main())
"""
RUNS = 30  # without end_workers 2 of 30 programs crashed on an idle machine, 10 of 30 on a busy one


def test_the_program_ends_cleanly_while_workers_post() -> None:
    for run in range(RUNS):
        done = offscreen_program(PROGRAM)
        assert (done.returncode, done.stderr) == (0, ""), f"run {run}: {done.stderr[-3000:]}"


@pytest.fixture
def hop(qtbot: QtBot) -> Iterator[qt._GuiThreadHop]:
    """A hop of the test's own: the program's one stays open for the other tests."""
    hop = qt._GuiThreadHop()
    yield hop
    with qtbot.waitSignal(hop.destroyed, timeout=int(WAIT_S * 1000)):
        hop.deleteLater()


def calls_until(hop: qt._GuiThreadHop, fn: Callable[[], Any], stop: threading.Event) -> int:
    """A worker calling ``fn`` through ``hop`` as fast as it can until ``stop``."""
    made = 0
    while not stop.is_set():
        hop.call(fn)
        made += 1
    return made


class Noted:
    """Says on which thread it was freed."""

    def __init__(self, freed: list[bool]) -> None:
        self.freed = freed

    def __del__(self) -> None:
        self.freed.append(threading.current_thread() is threading.main_thread())


def test_a_closed_hop_drops_the_workers_calls(qtbot: QtBot, hop: qt._GuiThreadHop) -> None:
    ran: list[bool] = []
    stop = threading.Event()
    workers = [
        threading.Thread(target=calls_until, args=(hop, lambda: ran.append(True), stop))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    try:
        qtbot.waitUntil(lambda: len(ran) > 100, timeout=int(WAIT_S * 1000))
        hop.close()  # while they post: it returns, none of their emissions in flight
        QtCore.QCoreApplication.sendPostedEvents(hop)  # what they posted before the close
        delivered = len(ran)
    finally:
        stop.set()
        for worker in workers:
            worker.join(WAIT_S)
    late: list[int] = []
    freed: list[bool] = []
    caller = threading.Thread(target=lambda: hop.call(late.append, Noted(freed)))
    caller.start()
    caller.join(WAIT_S)
    QtCore.QCoreApplication.sendPostedEvents(hop)
    assert (len(ran), late) == (delivered, [])  # nothing a worker called after the close ran
    assert freed == []  # what the dropped call held is not freed on the worker's thread
    on_gui: list[bool] = []
    hop.call(lambda: on_gui.append(threading.current_thread() is threading.main_thread()))
    assert on_gui == [True]  # called on the GUI thread, it still runs at once


@pytest.fixture
def program_hop(hop: qt._GuiThreadHop, monkeypatch: pytest.MonkeyPatch) -> qt._GuiThreadHop:
    """``hop`` as operations' way to the GUI thread (``end_workers`` closes it)."""
    monkeypatch.setattr(operations, "gui_thread_hop", lambda: hop)
    monkeypatch.setattr(operations, "on_gui_thread", hop.call)
    return hop


def test_the_end_waits_for_running_operations(
    qtbot: QtBot, program_hop: qt._GuiThreadHop, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = QtCore.QObject()
    closing = threading.Event()
    ended: list[bool] = []
    close = program_hop.close

    def closed() -> None:
        close()
        closing.set()  # the work below ends only once the hop is closed

    monkeypatch.setattr(program_hop, "close", closed)
    answered: list[object] = []
    for lane_or_poll in ({"background": True}, {"lane": operations.Lane()}, {}):
        operations.run(
            owner,
            lambda: ended.append(closing.wait(WAIT_S)),
            answered.append,
            answered.append,
            busy=False,
            **lane_or_poll,
        )
    assert operations.end_workers(WAIT_S) is True
    assert ended == [True, True, True]  # each ended after the close, before the return
    QtCore.QCoreApplication.sendPostedEvents(program_hop)
    assert answered == []  # no event loop runs any more: the outcomes are dropped


def test_the_end_waits_a_bounded_time(qtbot: QtBot, program_hop: qt._GuiThreadHop) -> None:
    owner = QtCore.QObject()
    release = threading.Event()
    operations.run(owner, lambda: release.wait(WAIT_S), busy=False, background=True)
    try:
        assert operations.end_workers(0.05) is False  # a long poll outlasts the wait
    finally:
        release.set()
    assert operations.poll_pool().waitForDone(int(WAIT_S * 1000))
