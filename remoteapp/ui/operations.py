"""Run blocking work (network calls) off the GUI thread; deliver the result by signal.

Like Anki's QueryOp: ``run(parent, work, on_done, on_error)``.  The callbacks run on the
GUI thread; the work runs on Qt's global thread pool, so the GUI never waits on the
network.  ``parent`` going away drops the result instead of touching a dead widget.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from remoteapp.ui.qt import QtCore, Signal, is_alive

log = logging.getLogger("remoteapp.ui")
_alive: set[_Relay] = set()  # keep relays alive until their work reports back


class _Relay(QtCore.QObject):
    done = Signal(object)
    failed = Signal(object)


class _Task(QtCore.QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.work, self.relay = work, relay

    def run(self) -> None:
        try:
            result = self.work()
        except Exception as exc:  # delivered to on_error on the GUI thread
            self.relay.failed.emit(exc)
        else:
            self.relay.done.emit(result)


def run(
    parent: QtCore.QObject,
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[Exception], None],
) -> None:
    relay = _Relay()
    relay.moveToThread(parent.thread())
    _alive.add(relay)

    def finish(callback: Callable[[Any], None], value: Any) -> None:
        _alive.discard(relay)
        if not is_alive(parent):
            log.info("ui event=result-dropped reason='window closed'")
            return
        callback(value)

    queued = QtCore.Qt.ConnectionType.QueuedConnection
    relay.done.connect(lambda value: finish(on_done, value), queued)
    relay.failed.connect(lambda exc: finish(on_error, exc), queued)
    QtCore.QThreadPool.globalInstance().start(_Task(work, relay))
