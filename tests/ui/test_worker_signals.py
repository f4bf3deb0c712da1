"""``qt.emitter`` on real Qt: what a worker thread emits reaches the GUI thread before the
signal is emitted, so a slot connected to it, directly or by ``waitSignal``, runs there;
``waitSignal`` on a signal a worker emits at full rate (a download reporting each read)
no longer crashes (PySide queued a call to the freed callable of an ended wait: the CI
run that died in test_update_ui.py's cancel test, twice); nor does deleting the signal's
owner while a worker emits; called on the GUI thread, it emits at once, as before."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from remoteapp.ui.qt import QtCore, Signal, emitter

WAIT_MS = 10_000


class Owner(QtCore.QObject):
    progress = Signal(int, int)


@pytest.fixture
def owner(qtbot: QtBot) -> Iterator[Owner]:
    owner = Owner()
    yield owner
    owner.deleteLater()


def test_a_workers_emission_reaches_its_slots_on_the_gui_thread(qtbot: QtBot, owner: Owner) -> None:
    gui = threading.current_thread()
    seen: list[tuple[int, bool]] = []
    owner.progress.connect(
        lambda done, total: seen.append((done, threading.current_thread() is gui)),
        QtCore.Qt.ConnectionType.DirectConnection,  # runs where the signal is emitted
    )
    emit = emitter(owner.progress)
    worker = threading.Thread(target=lambda: [emit(n, 3) for n in (1, 2, 3)])
    worker.start()
    worker.join(WAIT_MS / 1000)
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=WAIT_MS)
    assert seen == [(1, True), (2, True), (3, True)]  # in order, all on the GUI thread


def test_waits_on_a_signal_a_worker_emits_at_full_rate(qtbot: QtBot, owner: Owner) -> None:
    emit = emitter(owner.progress)
    stop = threading.Event()

    def report() -> None:
        done = 0
        while not stop.is_set():
            emit(done, 1_000_000)
            done += 1
            if done % 64 == 0:
                stop.wait(0.0005)  # (let the GUI thread take the GIL now and then)

    worker = threading.Thread(target=report)
    worker.start()
    try:
        for _ in range(2000):  # the old emitter died within the first few hundred
            with qtbot.waitSignal(owner.progress, timeout=WAIT_MS):
                pass
    finally:
        stop.set()
        worker.join(WAIT_MS / 1000)
    assert not worker.is_alive()


def test_a_deleted_owner_makes_the_worker_emit_nothing(qtbot: QtBot) -> None:
    gone = Owner()
    emit = emitter(gone.progress)
    with qtbot.waitSignal(gone.destroyed, timeout=WAIT_MS):
        gone.deleteLater()
    worker = threading.Thread(target=lambda: emit(1, 1))  # raises nothing on its thread
    worker.start()
    worker.join(WAIT_MS / 1000)
    assert not worker.is_alive()


def test_on_the_gui_thread_it_emits_at_once(owner: Owner) -> None:
    seen: list[int] = []
    owner.progress.connect(lambda done, total: seen.append(done))
    emitter(owner.progress)(7, 9)
    assert seen == [7]  # (a session ended on the GUI thread: its handlers ran in the call)


def report_until(emit: Callable[..., None], stop: threading.Event, going: threading.Event) -> None:
    """Emit as fast as possible until ``stop``; ``going`` once 50 emissions are out."""
    done = 0
    while not stop.is_set():
        emit(done, 1)
        done += 1
        if done == 50:
            going.set()


def test_owners_deleted_while_a_worker_emits(qtbot: QtBot) -> None:
    for _ in range(100):
        owner = Owner()
        owner.progress.connect(lambda done, total: None)
        stop, going = threading.Event(), threading.Event()
        worker = threading.Thread(target=report_until, args=(emitter(owner.progress), stop, going))
        worker.start()
        assert going.wait(WAIT_MS / 1000)
        with qtbot.waitSignal(owner.destroyed, timeout=WAIT_MS):
            owner.deleteLater()  # the window closed, its session's thread still reporting
        del owner
        stop.set()
        worker.join(WAIT_MS / 1000)
        assert not worker.is_alive()
