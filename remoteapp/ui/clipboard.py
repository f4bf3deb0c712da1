"""Text clipboard both ways for one session, on either side.

A local copy goes to the peer; the peer's text becomes the local clipboard.  The text
just received is remembered so that setting it (which Qt reports as a change) is not sent
back: no ping-pong between the two machines.  Text above the protocol's bound is not
sent, with a log line, rather than ending the session.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from remoteapp.net.session import MAX_PAYLOAD, Msg
from remoteapp.ui.qt import QtCore, QtGui, QtWidgets, Signal

log = logging.getLogger("remoteapp.clipboard")
MAX_BYTES = MAX_PAYLOAD[Msg.CLIPBOARD]


class ClipboardSync(QtCore.QObject):
    """Created and used on the GUI thread; ``receive`` may be called from any thread."""

    arrived = Signal(str)

    def __init__(self, send: Callable[[str], object], parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._send = send
        self._board: QtGui.QClipboard = QtWidgets.QApplication.clipboard()
        self._last = self._board.text()  # what was there before the session stays here
        self._active = True
        self._board.dataChanged.connect(self._local_changed)
        self.arrived.connect(self._set_local, QtCore.Qt.ConnectionType.QueuedConnection)

    def receive(self, text: str) -> None:
        """The peer copied ``text`` (called on the network thread; the window may be gone
        by then, and raising would kill that thread)."""
        with contextlib.suppress(RuntimeError):  # "Signal source has been deleted"
            self.arrived.emit(text)

    def stop(self) -> None:
        if self._active:
            self._active = False
            self._board.dataChanged.disconnect(self._local_changed)

    def _set_local(self, text: str) -> None:
        if not self._active or text == self._board.text():
            return
        self._last = text
        self._board.setText(text)
        log.info("clipboard event=received chars=%d", len(text))

    def _local_changed(self) -> None:
        text = self._board.text()
        if not self._active or not text or text == self._last:
            return
        self._last = text
        if len(text.encode()) > MAX_BYTES:
            log.warning("clipboard event=too-large bytes=%d max=%d", len(text.encode()), MAX_BYTES)
            return
        self._send(text)
        log.info("clipboard event=sent chars=%d", len(text))
