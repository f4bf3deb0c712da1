"""The relay's log lines and its reports to the helpdesk.

Reports go through one bounded queue, sent in order by one task (a slow or absent
helpdesk never delays forwarding), with a heartbeat queued whenever the queue is idle;
each answer is handed back to the relay (``Relay.apply_answer``: the sessions the
helpdesk has ended).

An "ended" report carries ``ended_at``, the relay's wall clock when the session ended
(``remotewire.relay_reports``). One the helpdesk did not accept (down, unreachable, an
error) is kept and sent again, unchanged but signed anew, before each heartbeat until it
is accepted: so the helpdesk records the true end and the relay's reason after an
outage, not the time its heartbeat catch-up noticed the session gone. Kept ends are
bounded (``keep_ends`` of them, for ``keep_ends_s``); the oldest are dropped first, each
with a ``relay event=end-report-dropped`` line.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

log = logging.getLogger("remoteapp.relay")

Reporter = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]
"""Sends one report; may return the helpdesk's answer (``ended`` sessions, ``cursor``)."""

RETRY_BATCH: Final = 200
"""Kept end reports sent again per heartbeat round (oldest first): a helpdesk that hangs
costs one timeout per round, not one per kept report (a round stops at its first failure)."""


def log_event(event: str, level: int = logging.INFO, **fields: object) -> None:
    """Emit one ``relay event=... k=v`` line, easy to grep and to parse."""
    parts = " ".join(f"{k}={v}" for k, v in fields.items())
    log.log(level, "relay event=%s %s", event, parts)


def _refused_for_good(exc: Exception) -> bool:
    """The helpdesk answered and refused the report (urllib's HTTPError ``code``): not a
    signature, timeout or rate refusal, which a later try may pass."""
    status = getattr(exc, "code", None)
    return isinstance(status, int) and 400 <= status < 500 and status not in (401, 408, 429)


@dataclass
class _Item:
    payload: dict[str, Any]
    retry: bool = False
    """A kept end report sent again (skipped once a retry of the same round failed)."""


class ReportQueue:
    """Queued reports, delivered one by one; heartbeats while idle; end reports the
    helpdesk did not accept are kept (bounded) and sent again before each heartbeat."""

    def __init__(
        self,
        reporter: Reporter,
        heartbeat_s: float,
        heartbeat: Callable[[], dict[str, Any]],
        on_answer: Callable[[dict[str, Any]], None],
        capacity: int = 10_000,
        *,
        keep_ends: int = 10_000,
        keep_ends_s: float = 3600.0,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reporter = reporter
        self.heartbeat_s = heartbeat_s
        self.heartbeat = heartbeat
        self.on_answer = on_answer
        self.keep_ends = keep_ends
        self.keep_ends_s = keep_ends_s
        self.wall = wall
        """Stamps ``ended_at`` (the clock ``HttpReporter`` signs with: the helpdesk takes
        the end's age as the signature's timestamp minus ``ended_at``)."""
        self.monotonic = monotonic
        """How long an end report has been kept."""
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=capacity)
        self._kept: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._round_failed = False
        self._delivering: asyncio.Task[None] | None = None
        self._beating: asyncio.Task[None] | None = None

    @property
    def kept_ends(self) -> list[str]:
        """The sessions whose end report waits to be sent again, oldest first."""
        return list(self._kept)

    def start(self) -> None:
        self._delivering = asyncio.create_task(self._deliver())
        self._beating = asyncio.create_task(self._beat())

    def put(self, payload: dict[str, Any]) -> None:
        """Queue a report without waiting (synchronous, so callers keep their order); an
        "ended" one is stamped with ``ended_at`` now."""
        if payload.get("event") == "ended" and "ended_at" not in payload:
            payload = {**payload, "ended_at": round(self.wall(), 6)}
        try:
            self._queue.put_nowait(_Item(payload))
        except asyncio.QueueFull:
            if payload.get("event") == "ended" and isinstance(payload.get("session_id"), str):
                self._keep(payload)  # sent again with the next heartbeat
                return
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
        for sid in self._kept:
            log_event("end-report-dropped", logging.WARNING, session=sid, why="relay-stopping")

    async def _deliver(self) -> None:
        """Send queued reports one by one, in order. A failed "ended" report is kept and
        sent again (``_retry_kept``); any other failure is only logged, because the next
        heartbeat lets the helpdesk reconcile."""
        while True:
            item = await self._queue.get()
            try:
                await self._send(item)
            finally:
                self._queue.task_done()

    async def _send(self, item: _Item) -> None:
        payload = item.payload
        sid = payload.get("session_id")
        ended = payload.get("event") == "ended" and isinstance(sid, str)
        if item.retry and (self._round_failed or sid not in self._kept):
            return  # the helpdesk is still away this round, or it took the end already
        try:
            answer = await self.reporter(payload)
        except Exception as exc:  # the relay keeps serving even if the helpdesk is down
            log_event(
                "report-failed",
                logging.WARNING,
                event_=payload.get("event"),
                session=payload.get("session_id", "-"),
                retry=int(item.retry),
                error=repr(exc),
            )
            if ended and _refused_for_good(exc):  # sent again, it would block the others
                self._kept.pop(str(sid), None)
                log_event("end-report-dropped", logging.WARNING, session=sid, why="refused")
            elif ended:
                self._round_failed = self._round_failed or item.retry
                self._keep(payload)
            return
        if ended and self._kept.pop(str(sid), None) is not None:
            log_event("end-report-delivered", session=sid, ended_at=payload.get("ended_at"))
        if isinstance(answer, dict):
            self.on_answer(answer)

    def _keep(self, payload: dict[str, Any]) -> None:
        """Keep an undelivered end report (its first keeping time stands); past
        ``keep_ends`` the oldest is dropped."""
        sid = str(payload["session_id"])
        if sid not in self._kept:
            self._kept[sid] = (self.monotonic(), payload)
            log_event("end-report-kept", session=sid, kept=len(self._kept))
        while len(self._kept) > self.keep_ends:
            old, _ = self._kept.popitem(last=False)
            log_event("end-report-dropped", logging.WARNING, session=old, why="too-many-kept")

    def _retry_kept(self) -> None:
        """Queue the oldest kept end reports again (the queue is empty: they go out before
        the heartbeat queued next, so the helpdesk learns the end before it sees the
        session missing); forget those kept longer than ``keep_ends_s``."""
        oldest = self.monotonic() - self.keep_ends_s
        while self._kept:
            sid, (kept_at, _) = next(iter(self._kept.items()))
            if kept_at >= oldest:
                break
            del self._kept[sid]
            log_event("end-report-dropped", logging.WARNING, session=sid, why="kept-too-long")
        self._round_failed = False
        for _, payload in itertools.islice(self._kept.values(), RETRY_BATCH):
            self._queue.put_nowait(_Item(payload, retry=True))

    async def _beat(self) -> None:
        while True:
            if self._queue.empty():  # do not pile up heartbeats while the helpdesk is down
                self._retry_kept()
                self._queue.put_nowait(_Item(self.heartbeat()))
            await asyncio.sleep(self.heartbeat_s)
