"""The relay's log lines and its reports to the helpdesk.

Reports go through one bounded queue, sent in order by one task (a slow or absent
helpdesk never delays forwarding), with a heartbeat queued whenever the queue is idle;
each answer is handed back to the relay (``Relay.apply_answer``: the sessions the
helpdesk has ended).

A "connected" report carries ``connected_at`` and an "ended" one ``ended_at``, the
relay's wall clock when the session connected or ended (``remotewire.relay_reports``).
One the helpdesk did not accept (down, unreachable, an error) is kept and sent again,
unchanged but signed anew, in each heartbeat round until it is accepted: so the helpdesk
records the true connect, end and the relay's reason after an outage, not the time its
heartbeat catch-up noticed the session running or gone. A round sends every kept
"connected" before any kept "ended" (so a session's kept "connected" goes before its
"ended"; an end is held back, kept, while its connect is): the helpdesk reopens an offer
it expired only if the connect comes within a relay lapse, and ends must not delay it. A
round goes on batch after batch (``RETRY_BATCH``) while the helpdesk takes them all, and
stops at its first failure; reports queued meanwhile, and a heartbeat due, go between two
batches. The round's own heartbeat goes before its first batch: back from a cut, the
helpdesk reopens what ran through it only if the relay's word comes within a relay lapse
of its return (``_beat``). Kept reports are bounded together (``keep_ends`` of them, for
``keep_ends_s``); the oldest are dropped first, each with a ``relay event=end-report-dropped`` (or
``connect-report-dropped``) line; one the helpdesk refused for good is dropped at once
(``why=refused``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

log = logging.getLogger("remoteapp.relay")

Reporter = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]
"""Sends one report; may return the helpdesk's answer (``ended`` sessions, ``cursor``)."""

KEPT: Final = {"connected": ("connect", "connected_at"), "ended": ("end", "ended_at")}
"""The reports kept until accepted: their log lines' name and the time each carries."""

RETRY_BATCH: Final = 200
"""Kept reports queued again at once: a round queues the next batch only once this one
has all gone through (a helpdesk that hangs costs one timeout per round, not one per kept
report), and reports queued meanwhile go before it (none waits more than one batch)."""


def log_event(event: str, level: int = logging.INFO, **fields: object) -> None:
    """Emit one ``relay event=... k=v`` line, easy to grep and to parse."""
    parts = " ".join(f"{k}={v}" for k, v in fields.items())
    log.log(level, "relay event=%s %s", event, parts)


def _refused_for_good(exc: Exception) -> bool:
    """The helpdesk answered and refused the report (urllib's HTTPError ``code``): not a
    signature, timeout or rate refusal, which a later try may pass."""
    status = getattr(exc, "code", None)
    return isinstance(status, int) and 400 <= status < 500 and status not in (401, 408, 429)


def _key(payload: dict[str, Any]) -> tuple[str, str] | None:
    """(event, session) of a report kept until accepted; None for any other."""
    event, sid = payload.get("event"), payload.get("session_id")
    return (
        (event, sid) if event in KEPT and isinstance(event, str) and isinstance(sid, str) else None
    )


def _dropped(key: tuple[str, str], why: str) -> None:
    log_event(f"{KEPT[key[0]][0]}-report-dropped", logging.WARNING, session=key[1], why=why)


@dataclass
class _Item:
    payload: dict[str, Any]
    retry: bool = False
    """A kept report sent again (skipped once a retry of the same round failed)."""
    more: bool = False
    """No report: the end of a retry batch, where the round's next batch is queued."""
    beat: bool = False
    """The heartbeat (at most one waits in the queue)."""


class ReportQueue:
    """Queued reports, delivered one by one; heartbeats while idle; connect and end
    reports the helpdesk did not accept are kept (bounded) and sent again in each
    heartbeat round, connects first, batch after batch while the helpdesk takes them."""

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
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.reporter = reporter
        self.heartbeat_s = heartbeat_s
        self.heartbeat = heartbeat
        self.on_answer = on_answer
        self.keep_ends = keep_ends
        self.keep_ends_s = keep_ends_s
        self.wall = wall
        """Stamps ``connected_at`` and ``ended_at`` (the clock ``HttpReporter`` signs with:
        the helpdesk takes their age as the signature's timestamp minus that time)."""
        self.monotonic = monotonic
        """How long a report has been kept."""
        self.sleep = sleep
        """Waits out a heartbeat period (a test ticks it to count rounds)."""
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=capacity)
        self._kept: OrderedDict[tuple[str, str], tuple[float, dict[str, Any]]] = OrderedDict()
        """(event, session) -> (first kept, report), oldest first."""
        self._round: deque[tuple[str, str]] = deque()
        """The kept reports this round has yet to queue, connects first (bounded by the
        kept ones)."""
        self._round_failed = False
        self._beat_queued = False
        self._delivering: asyncio.Task[None] | None = None
        self._beating: asyncio.Task[None] | None = None

    @property
    def kept_ends(self) -> list[str]:
        """The sessions whose end report waits to be sent again, oldest first."""
        return [sid for event, sid in self._kept if event == "ended"]

    @property
    def kept_connects(self) -> list[str]:
        """The sessions whose "connected" report waits to be sent again, oldest first."""
        return [sid for event, sid in self._kept if event == "connected"]

    def start(self) -> None:
        self._delivering = asyncio.create_task(self._deliver())
        self._beating = asyncio.create_task(self._beat())

    def put(self, payload: dict[str, Any]) -> None:
        """Queue a report without waiting (synchronous, so callers keep their order); a
        "connected" or "ended" one is stamped with ``connected_at`` / ``ended_at`` now."""
        event = payload.get("event")
        stamp = KEPT[event][1] if isinstance(event, str) and event in KEPT else None
        if stamp is not None and stamp not in payload:
            payload = {**payload, stamp: round(self.wall(), 6)}
        try:
            self._queue.put_nowait(_Item(payload))
        except asyncio.QueueFull:
            if _key(payload) is not None:
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

    async def settled(self) -> None:
        """Until all that is queued has been handled, the batches of a round under way
        included (tests count rounds with it)."""
        await self._queue.join()

    async def close(self, timeout_s: float = 5.0) -> None:
        """Let what is queued go out (bounded: a round under way goes on meanwhile), then
        stop."""
        await self.stop_heartbeat()
        if self._delivering is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.settled(), timeout_s)
            self._delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivering
        for key in self._kept:
            _dropped(key, "relay-stopping")

    async def _deliver(self) -> None:
        """Send queued reports one by one, in order. A failed "connected" or "ended"
        report is kept and sent again (``_start_round``); any other failure is only logged,
        because the next heartbeat lets the helpdesk reconcile."""
        while True:
            item = await self._queue.get()
            try:
                if item.more:
                    self._queue_batch()
                else:
                    if item.beat:
                        self._beat_queued = False
                    await self._send(item)
            finally:
                self._queue.task_done()

    async def _send(self, item: _Item) -> None:
        payload = item.payload
        key = _key(payload)
        if item.retry and (self._round_failed or key not in self._kept):
            return  # the helpdesk is still away this round, or it took the report already
        if key is not None and key[0] == "ended" and ("connected", key[1]) in self._kept:
            self._keep(payload)  # after its connect, or the helpdesk ends it unconnected
            return
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
            if key is not None and _refused_for_good(exc):  # kept, it would block the others
                self._kept.pop(key, None)
                _dropped(key, "refused")
            elif key is not None:
                self._round_failed = self._round_failed or item.retry
                self._keep(payload)
            return
        if key is not None and self._kept.pop(key, None) is not None:
            if key[0] == "ended":
                log_event("end-report-delivered", session=key[1], ended_at=payload.get("ended_at"))
            else:
                at = payload.get("connected_at")
                log_event("connect-report-delivered", session=key[1], connected_at=at)
        if isinstance(answer, dict):
            self.on_answer(answer)

    def _keep(self, payload: dict[str, Any]) -> None:
        """Keep an undelivered report (its first keeping time stands); past ``keep_ends``
        the oldest is dropped."""
        key = _key(payload)
        assert key is not None  # (only connect and end reports with a session are kept)
        if key not in self._kept:
            self._kept[key] = (self.monotonic(), payload)
            log_event(f"{KEPT[key[0]][0]}-report-kept", session=key[1], kept=len(self._kept))
        while len(self._kept) > self.keep_ends:
            old, _ = self._kept.popitem(last=False)
            _dropped(old, "too-many-kept")

    def _start_round(self) -> None:
        """Queue the first batch of kept reports again, after the heartbeat (``_beat``);
        forget those kept longer than ``keep_ends_s``."""
        oldest = self.monotonic() - self.keep_ends_s
        while self._kept:
            key, (kept_at, _) = next(iter(self._kept.items()))
            if kept_at >= oldest:
                break
            del self._kept[key]
            _dropped(key, "kept-too-long")
        self._round_failed = False
        connects = [key for key in self._kept if key[0] == "connected"]
        self._round = deque(connects + [key for key in self._kept if key[0] != "connected"])
        self._queue_batch()

    def _queue_batch(self) -> None:
        """Queue the round's next kept reports, oldest first, and after them the mark
        that queues the batch after; none once a retry of the round failed, or while new
        reports fill the queue (the rest wait for the next round)."""
        room = self._queue.maxsize - self._queue.qsize() - 2  # the mark and a heartbeat
        if self._queue.maxsize <= 0:  # (asyncio's unbounded queue)
            room = RETRY_BATCH
        if self._round_failed or room <= 0:
            self._round.clear()
        batch: list[dict[str, Any]] = []
        while self._round and len(batch) < min(RETRY_BATCH, room):
            kept = self._kept.get(self._round.popleft())
            if kept is not None:  # (not taken meanwhile, nor dropped)
                batch.append(kept[1])
        for payload in batch:
            self._queue.put_nowait(_Item(payload, retry=True))
        if self._round:
            self._queue.put_nowait(_Item({}, more=True))

    def _queue_heartbeat(self) -> None:
        self._beat_queued = True
        self._queue.put_nowait(_Item(self.heartbeat(), beat=True))

    async def _beat(self) -> None:
        """A round and a heartbeat whenever the queue is idle (no heartbeats pile up while
        the helpdesk is down); while a round drains, a heartbeat each period, between two
        batches (the helpdesk keeps hearing from the relay and answering with the sessions
        it ended).

        The heartbeat goes before a round's first batch: back from a cut, the helpdesk
        reopens the sessions that ran through it only on the relay's word within a relay
        lapse of its first report (``helpdesk.services.relay_dating``), and a first batch
        of 200 kept reports at 120 ms each took longer than that, so the heartbeat listing
        them came too late and they were closed. The kept reports after it correct what
        its catch-up stamped (their connect and end times, by the relay's clock)."""
        while True:
            if self._queue.empty():
                self._queue_heartbeat()
                self._start_round()
            elif self._round and not self._beat_queued and not self._queue.full():
                self._queue_heartbeat()
            await self.sleep(self.heartbeat_s)
