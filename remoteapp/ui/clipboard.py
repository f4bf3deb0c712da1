"""Text clipboard both ways for a session, on either side.

A local copy goes to the peer; the peer's text becomes the local clipboard.  The text
last received (by any session of this program) is remembered so that setting it, which
Qt reports as a change, is not sent anywhere: no ping-pong between machines, and with
several viewers open one customer's text does not travel to another.  What was on the
clipboard before the session, or was sent already, is not sent (again).  Local copies go
to the current session of their group only (the viewer used last).  Text above the
protocol's bound is not sent, with a log line, rather than ending the session; sending
happens off the GUI thread (up to 1 MiB on a slow link).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import ClassVar

from remoteapp.net.session import MAX_PAYLOAD, Msg
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets, Signal, emitter

log = logging.getLogger("remoteapp.clipboard")
MAX_BYTES = MAX_PAYLOAD[Msg.CLIPBOARD]


class ClipboardSync(QtCore.QObject):
    """Created and used on the GUI thread; ``receive`` may be called from any thread."""

    arrived = Signal(str)
    _current: ClassVar[dict[str, ClipboardSync]] = {}  #: per group, the one that sends
    _received: ClassVar[str | None] = None  #: last text received, by any session

    def __init__(
        self,
        send: Callable[[str], object],
        parent: QtCore.QObject | None = None,
        *,
        group: str = "default",
    ) -> None:
        super().__init__(parent)
        self._send = send
        self._group = group
        self._board: QtGui.QClipboard = QtWidgets.QApplication.clipboard()
        self._sent: str | None = self._board.text()  # there before the session: stays here
        self._active = True
        self._board.dataChanged.connect(self._local_changed)
        self.arrived.connect(self._set_local)  # emitted on the GUI thread only
        self._emit_arrived = emitter(self.arrived)
        self.make_current()

    def make_current(self) -> None:
        """Local copies go to this one's peer (its window was used last)."""
        if self._active:
            ClipboardSync._current[self._group] = self

    def receive(self, text: str) -> None:
        """The peer copied ``text`` (called on the network thread): ``arrived`` is emitted
        on the GUI thread (``qt.emitter``: a worker's emission queued to a Python callable
        may call it after it was freed), and not at all if the window has gone by then."""
        self._emit_arrived(text)

    def stop(self) -> None:
        if self._active:
            self._active = False
            self._board.dataChanged.disconnect(self._local_changed)
            if ClipboardSync._current.get(self._group) is self:
                del ClipboardSync._current[self._group]

    def _set_local(self, text: str) -> None:
        if not self._active or text == self._board.text():
            return
        ClipboardSync._received = text
        self._sent = None  # copying what was sent before is news again
        self._board.setText(text)
        log.info("clipboard event=received chars=%d", len(text))

    def _local_changed(self) -> None:
        text = self._board.text()
        if not self._active or not text or text in (ClipboardSync._received, self._sent):
            return
        if ClipboardSync._current.get(self._group) is not self:
            return
        self._sent = text
        if len(text.encode()) > MAX_BYTES:
            log.warning("clipboard event=too-large bytes=%d max=%d", len(text.encode()), MAX_BYTES)
            return
        sender = threading.Thread(target=self._send, args=(text,), name="clipboard", daemon=True)
        sender.start()
        log.info("clipboard event=sent chars=%d", len(text))
