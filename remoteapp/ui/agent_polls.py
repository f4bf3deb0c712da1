"""The agent window's refreshes: the queue and the sessions in progress, every few seconds.

Each is an ``operations.Poll``: on the poll threads, never two of one at once.  A server
that hangs (stopped, not refusing) used to pile refreshes up on the threads Connect and
the ticket look-up wait for.  While refreshes fail the status line says the server
cannot be reached, once; the first that succeeds again takes that back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from remoteapp.net.helpdesk import (
    HelpdeskClient,
    HelpdeskUnavailable,
    NotAuthenticated,
    QueueEntry,
    SessionInProgress,
)
from remoteapp.ui import operations
from remoteapp.ui.i18n import tr
from remoteapp.ui.qt import QtCore, QtWidgets

log = logging.getLogger("remoteapp.agent")
QUEUE_REFRESH_MS = 3000


def unreachable_text() -> str:
    return tr("The server cannot be reached; trying again.")


def login_ended_text() -> str:
    return tr(
        "Your login has ended (a logout elsewhere, or a password change): log out and "
        "log in again. Sessions in progress go on."
    )


class AgentPolls(QtCore.QObject):
    """A child of the agent window; ``refresh`` also runs on demand (skipped if one of
    the same kind is still in flight)."""

    def __init__(
        self,
        window: QtWidgets.QWidget,
        client: HelpdeskClient,
        app_id: str,
        status: QtWidgets.QLabel,
        show_queue: Callable[[list[QueueEntry]], None],
        show_sessions: Callable[[list[SessionInProgress]], None],
    ) -> None:
        super().__init__(window)
        self.client, self.app_id, self.status = client, app_id, status
        self.show_queue, self.show_sessions = show_queue, show_sessions
        self.queue_poll, self.sessions_poll = operations.Poll(), operations.Poll()
        self.unreachable = False  #: the last refresh found no server
        self.login_ended = False
        """The server no longer takes this login (401): every refresh, ticket look-up
        and record flush is refused until the agent logs in again."""
        self.timer = QtCore.QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(QUEUE_REFRESH_MS)

    def refresh(self) -> None:
        window = self.parent()
        assert isinstance(window, QtWidgets.QWidget)
        operations.run(
            window,
            lambda: self.client.queue(self.app_id),
            lambda entries: self._answered(self.show_queue, entries),
            self._failed,
            busy=False,
            poll=self.queue_poll,
        )
        operations.run(
            window,
            lambda: self.client.sessions_in_progress(self.app_id),
            lambda rows: self._answered(self.show_sessions, rows),
            self._failed,
            busy=False,
            poll=self.sessions_poll,
        )

    def stop(self) -> None:
        self.timer.stop()

    def _answered(self, show: Callable[[Any], None], rows: Any) -> None:
        show(rows)
        if self.unreachable:
            self.unreachable = False
            if self.status.text() == unreachable_text():  # (not what was said since)
                self.status.setText("")

    def _failed(self, exc: Exception) -> None:
        log.warning("agent event=queue-failed reason=%r", str(exc))
        if isinstance(exc, NotAuthenticated):
            if not self.login_ended:  # (once: a later message is not overwritten)
                self.login_ended = True
                self.status.setText(login_ended_text())
        elif isinstance(exc, HelpdeskUnavailable) and not self.unreachable:
            self.unreachable = True
            self.status.setText(unreachable_text())
