"""The one PostgreSQL connection per server process that LISTENs for offer wake-ups
(``helpdesk.notify``) sent by any process, and hands them to the local ``Notifier``.

It connects directly (psycopg 3, async, autocommit): LISTEN needs a session of its own,
so it must not go through PgBouncer's transaction pooling. When the connection drops
(the database restarted, an administrator's ``pg_terminate_backend``, a network cut) it
reconnects with a bounded backoff, and after every (re)connect wakes every local waiter,
because notifications sent meanwhile are lost: each waiter re-checks the database.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Final

from sqlalchemy import URL, make_url

from helpdesk.notify import CHANNEL, Notifier

log = logging.getLogger("helpdesk.listen")

BACKOFF_S: Final = (0.1, 0.5, 1.0, 2.0, 5.0)
"""Waits between reconnect attempts; the last one repeats."""
CONNECT_TIMEOUT_S: Final = 5
APPLICATION_NAME: Final = "remoteapp-listen"
"""With the process ID, the listener's ``application_name``: an operator (or a test) finds
each process's listening backend in ``pg_stat_activity``."""


def conninfo(url: str | URL) -> str:
    """The libpq URI of a SQLAlchemy URL (``postgresql+psycopg://`` → ``postgresql://``)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


class Listener:
    """Run ``listen_forever`` as a task; ``connected`` is set while LISTEN is active (the
    tests wait on it), ``reconnects`` counts the connections made after the first."""

    def __init__(self, url: str | URL, notifier: Notifier) -> None:
        self._conninfo = conninfo(url)
        self._notifier = notifier
        self.connected = asyncio.Event()
        self.reconnects = -1
        self.backend_pid: int | None = None

    async def listen_forever(self) -> None:
        import psycopg  # the postgresql extra: only a server on PostgreSQL needs it

        failures = 0
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self._conninfo,
                    autocommit=True,
                    connect_timeout=CONNECT_TIMEOUT_S,
                    application_name=f"{APPLICATION_NAME} {os.getpid()}",  # pg_stat_activity
                )
            except psycopg.Error as exc:
                wait = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                log.warning("listen event=connect-failed retry_in_s=%s error=%r", wait, str(exc))
                await asyncio.sleep(wait)
                continue
            try:
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.backend_pid = conn.info.backend_pid
                    self.reconnects += 1
                    failures = 0
                    self.connected.set()
                    # anything sent while we were not listening is lost: re-check
                    self._notifier.wake_all()
                    log.info("listen event=listening pid=%s", self.backend_pid)
                    async for note in conn.notifies():
                        self._notifier.notify(note.payload)
            except psycopg.Error as exc:
                log.warning("listen event=lost error=%r", str(exc))
            finally:
                self.connected.clear()
                self.backend_pid = None
            await asyncio.sleep(BACKOFF_S[0])
