"""``qt.emitter`` and ``qt.on_gui_thread`` on real Qt: what a worker thread emits reaches
the GUI thread before the signal is emitted, so a slot connected to it, directly or by
``waitSignal``, runs there; ``waitSignal`` on a signal a worker emits at full rate (a
download reporting each read) no longer crashes (PySide queued a call to the freed
callable of an ended wait: the CI run that died in test_update_ui.py's cancel test,
twice); nor does deleting the signal's owner while a worker emits; called on the GUI
thread, it emits at once, as before.  Operations come back the same one way, their work
and outcome let go of on the GUI thread; the clipboard's and the viewer's worker signals
too, a burst of frames being one repaint, of the last frame."""

from __future__ import annotations

import contextlib
import gc
import socket
import sys
import threading
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from remoteapp.codec import DecodedUpdate, Rect
from remoteapp.session import AgentSession
from remoteapp.ui import operations, qt
from remoteapp.ui.clipboard import ClipboardSync
from remoteapp.ui.qt import QtCore, QtWidgets, Signal, emitter, gui_thread_hop, on_gui_thread
from remoteapp.ui.screen_view import ScreenView
from remoteapp.ui.viewer import ViewerWindow
from tests.secure.peer import direct_pair

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


def test_calls_from_a_worker_run_on_the_gui_thread_in_order(qtbot: QtBot) -> None:
    gui = threading.current_thread()
    ran: list[tuple[int, bool]] = []

    def note(n: int) -> None:
        ran.append((n, threading.current_thread() is gui))

    gui_thread_hop()  # made on the GUI thread, as windows and operations.run do

    def calls() -> None:
        for n in range(100):
            on_gui_thread(note, n)

    worker = threading.Thread(target=calls)
    worker.start()
    worker.join(WAIT_MS / 1000)
    qtbot.waitUntil(lambda: len(ran) == 100, timeout=WAIT_MS)
    assert ran == [(n, True) for n in range(100)]
    on_gui_thread(note, 100)
    assert ran[-1] == (100, True)  # on the GUI thread: at once


class Noted:
    """Says on which thread it was let go of (a window let go of off the GUI thread is
    destroyed there: a crash with a timer)."""

    def __init__(self, name: str, freed: list[tuple[str, bool]]) -> None:
        self.name, self.freed = name, freed

    def __del__(self) -> None:
        self.freed.append((self.name, threading.current_thread() is threading.main_thread()))


class Failed(Exception):
    def __init__(self, noted: Noted) -> None:
        super().__init__("failed")
        self.noted = noted


@pytest.mark.parametrize("fails", [False, True])
def test_an_operations_work_and_outcome_are_let_go_of_on_the_gui_thread(
    qtbot: QtBot, owner: Owner, monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    freed: list[tuple[str, bool]] = []
    answered: list[str] = []
    handed_over = threading.Event()
    hand_over = qt.on_gui_thread

    def slow_after_handing_over(fn: Callable[..., object], *args: object) -> None:
        """The pool thread holds on to what it handed over until the GUI thread is done
        with it: only what the GUI thread emptied may be let go of here."""
        hand_over(fn, *args)
        assert handed_over.wait(WAIT_MS / 1000)

    monkeypatch.setattr(operations, "on_gui_thread", slow_after_handing_over)
    captured = Noted("closure", freed)  # (a dialog its work refers to)

    def work(captured: Noted = captured) -> Noted:
        if fails:
            raise Failed(Noted("error", freed))
        return Noted("result", freed)

    operations.run(
        owner,
        work,
        lambda result: answered.append(result.name),
        lambda exc: answered.append(str(exc)),
        busy=False,
    )
    del captured, work
    qtbot.waitUntil(lambda: answered == ["failed" if fails else "result"], timeout=WAIT_MS)
    handed_over.set()
    qtbot.waitUntil(lambda: len(freed) == 2, timeout=WAIT_MS)
    assert sorted(freed) == sorted([("error" if fails else "result", True), ("closure", True)])


def test_operations_come_back_through_the_one_hop(qtbot: QtBot, owner: Owner) -> None:
    """One way to the GUI thread for the program: no QObject of operations' own."""
    done: list[int] = []
    operations.run(owner, lambda: 1, done.append, busy=False)
    qtbot.waitUntil(lambda: done == [1], timeout=WAIT_MS)
    crossings = {
        type(o).__qualname__
        for o in gc.get_objects()
        if isinstance(o, QtCore.QObject)
        and type(o).__module__ in {operations.__name__, qt.__name__}
    }
    assert crossings <= {"Activity", "_GuiThreadHop"}
    assert [o for o in gc.get_objects() if isinstance(o, type(gui_thread_hop()))] == [
        gui_thread_hop()
    ]


def test_clipboard_text_from_a_worker_arrives_on_the_gui_thread(qtbot: QtBot) -> None:
    gui = threading.current_thread()
    sync = ClipboardSync(lambda text: None, group="worker-signals")
    seen: list[bool] = []
    sync.arrived.connect(
        lambda text: seen.append(threading.current_thread() is gui),
        QtCore.Qt.ConnectionType.DirectConnection,  # runs where the signal is emitted
    )
    text = f"from a worker {threading.get_ident()}"
    try:
        worker = threading.Thread(target=sync.receive, args=(text,))
        worker.start()
        worker.join(WAIT_MS / 1000)
        board = QtWidgets.QApplication.clipboard()
        qtbot.waitUntil(lambda: board.text() == text, timeout=WAIT_MS)
        assert seen == [True]
    finally:
        sync.stop()
        sync.deleteLater()


class Paints(QtCore.QObject):
    """The pixel at (0, 0) of the picture ``view`` holds each time it is painted."""

    def __init__(self, view: ScreenView) -> None:
        super().__init__(view)
        self.view = view
        self.seen: list[tuple[int, ...]] = []
        view.installEventFilter(self)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.Paint:
            self.seen.append(tuple(int(v) for v in self.view.picture()[0, 0, :3]))
        return False


def frame(n: int) -> tuple[np.ndarray, DecodedUpdate]:
    """Frame ``n``: all of it one colour that no other frame has."""
    fb = np.full((48, 64, 4), (n & 0xFF, n >> 8, 0x80, 0xFF), np.uint8)
    return fb, DecodedUpdate(n, True, [Rect(0, 0, 64, 48)], None)


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[ViewerWindow]:
    """A viewer, shown, on a session nobody talks to (its frames come from the test)."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        window = ViewerWindow(AgentSession(ours, "Ana", secure=direct_pair()[0]), "Maria")
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        yield window


def test_a_burst_of_frames_from_a_worker_is_one_repaint_of_the_last(
    qtbot: QtBot, window: ViewerWindow
) -> None:
    gui = threading.current_thread()
    repaints: list[bool] = []
    window.frame_arrived.connect(
        lambda: repaints.append(threading.current_thread() is gui),
        QtCore.Qt.ConnectionType.DirectConnection,  # runs where the signal is emitted
    )
    paints = Paints(window.view)
    frames = [frame(n) for n in range(1001)]

    def send(numbers: range) -> None:
        def decode() -> None:
            for n in numbers:
                window.on_frame(*frames[n])

        worker = threading.Thread(target=decode)
        worker.start()
        worker.join(WAIT_MS / 1000)  # (the GUI thread takes no call meanwhile)
        assert not worker.is_alive()

    send(range(1000))
    qtbot.waitUntil(lambda: paints.seen[-1:] == [(999 & 0xFF, 999 >> 8, 0x80)], timeout=WAIT_MS)
    assert repaints == [True]  # one, on the GUI thread, for the 1,000 frames
    send(range(1000, 1001))  # and the next frame asks again
    qtbot.waitUntil(lambda: paints.seen[-1:] == [(1000 & 0xFF, 1000 >> 8, 0x80)], timeout=WAIT_MS)
    assert repaints == [True, True]


def test_a_frame_that_lands_during_the_repaint_is_painted_too(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, window: ViewerWindow
) -> None:
    """The frame goes into the view before the repaint flag is looked at: frame 2, held
    in ``take_frame`` while the GUI thread repaints and paints frame 1, asks again (the
    other order saw frame 1's request still due, and frame 2 was never painted)."""
    paints = Paints(window.view)
    take, entered, release = window.view.take_frame, threading.Event(), threading.Event()

    def held(fb: np.ndarray, update: DecodedUpdate) -> None:
        if update.seq == 2:
            entered.set()
            assert release.wait(WAIT_MS / 1000)
        take(fb, update)

    monkeypatch.setattr(window.view, "take_frame", held)

    def decode() -> None:
        for n in (1, 2):
            window.on_frame(*frame(n))

    worker = threading.Thread(target=decode)
    worker.start()
    try:
        qtbot.waitUntil(
            lambda: entered.is_set() and paints.seen[-1:] == [(1, 0, 0x80)], timeout=WAIT_MS
        )
    finally:
        release.set()
        worker.join(WAIT_MS / 1000)
    qtbot.waitUntil(lambda: paints.seen[-1:] == [(2, 0, 0x80)], timeout=WAIT_MS)


def test_a_callback_that_raises_keeps_nothing_of_its_operation(qtbot: QtBot, owner: Owner) -> None:
    """The hop says the error itself: PySide's PyErr_Print kept the traceback in
    ``sys.last_traceback``, and with it the operation's work (a dialog it captured)
    until the next error, on whichever thread that came."""
    for name in ("last_type", "last_value", "last_traceback"):
        with contextlib.suppress(AttributeError):
            delattr(sys, name)
    freed: list[tuple[str, bool]] = []
    captured = Noted("closure", freed)

    def work(captured: Noted = captured) -> int:
        return 1

    def on_done(result: int) -> None:
        raise RuntimeError("the window's answer failed")

    with qtbot.capture_exceptions() as caught:
        operations.run(owner, work, on_done, busy=False)
        del captured, work
        qtbot.waitUntil(lambda: len(caught) == 1, timeout=WAIT_MS)
    caught.clear()
    gc.collect()
    assert freed == [("closure", True)]


def test_a_work_that_exits_does_not_stall_its_lane(qtbot: QtBot, owner: Owner) -> None:
    """Whatever the work raises is its outcome (a SystemExit left its lane busy for good,
    and a poll in flight)."""
    lane = operations.Lane()
    failed: list[type[BaseException]] = []
    done: list[int] = []
    operations.run(owner, lambda: sys.exit(3), on_error=lambda e: failed.append(type(e)), lane=lane)
    operations.run(owner, lambda: 2, done.append, lane=lane, busy=False)
    qtbot.waitUntil(lambda: done == [2], timeout=WAIT_MS)
    assert failed == [SystemExit]
