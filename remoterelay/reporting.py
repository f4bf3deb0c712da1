"""The relay's log lines and its reports to the helpdesk.

Reports go through one bounded queue, sent in order by one task (a slow or absent
helpdesk never delays forwarding), with a heartbeat queued whenever the queue is idle;
each answer is handed back to the relay (``Relay.apply_answer``: the sessions the
helpdesk has ended).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("remoteapp.relay")

Reporter = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]
"""Sends one report; may return the helpdesk's answer (``ended`` sessions, ``cursor``)."""


def log_event(event: str, level: int = logging.INFO, **fields: object) -> None:
    """Emit one ``relay event=... k=v`` line, easy to grep and to parse."""
    parts = " ".join(f"{k}={v}" for k, v in fields.items())
    log.log(level, "relay event=%s %s", event, parts)


class ReportQueue:
    """Queued reports, delivered one by one; heartbeats while idle."""

    def __init__(
        self,
        reporter: Reporter,
        heartbeat_s: float,
        heartbeat: Callable[[], dict[str, Any]],
        on_answer: Callable[[dict[str, Any]], None],
        capacity: int = 10_000,
    ) -> None:
        self.reporter = reporter
        self.heartbeat_s = heartbeat_s
        self.heartbeat = heartbeat
        self.on_answer = on_answer
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=capacity)
        self._delivering: asyncio.Task[None] | None = None
        self._beating: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._delivering = asyncio.create_task(self._deliver())
        self._beating = asyncio.create_task(self._beat())

    def put(self, payload: dict[str, Any]) -> None:
        """Queue a report without waiting (synchronous, so callers keep their order)."""
        try:
            self._queue.put_nowait(payload)
        except asyncio.QueueFull:
            log_event(
                "report-dropped",
                logging.WARNING,
                session=payload.get("session_id", "-"),
                event_=payload.get("event"),
            )

    async def stop_heartbeat(self) -> None:
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating

    async def close(self, timeout_s: float = 5.0) -> None:
        """Let what is queued go out (bounded), then stop."""
        await self.stop_heartbeat()
        if self._delivering is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout_s)
            self._delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivering

    async def _deliver(self) -> None:
        """Send queued reports one by one, in order; a failure is logged, not retried,
        because the next heartbeat lets the helpdesk reconcile."""
        while True:
            payload = await self._queue.get()
            try:
                answer = await self.reporter(payload)
                if isinstance(answer, dict):
                    self.on_answer(answer)
            except Exception as exc:  # the relay keeps serving even if the helpdesk is down
                log_event(
                    "report-failed",
                    logging.WARNING,
                    event_=payload["event"],
                    session=payload.get("session_id", "-"),
                    error=repr(exc),
                )
            finally:
                self._queue.task_done()

    async def _beat(self) -> None:
        while True:
            if self._queue.empty():  # do not pile up heartbeats while the helpdesk is down
                self._queue.put_nowait(self.heartbeat())
            await asyncio.sleep(self.heartbeat_s)
