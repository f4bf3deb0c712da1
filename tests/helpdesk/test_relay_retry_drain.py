"""After an outage the relay's kept reports reach the helpdesk in time: connects first,
batch after batch while the helpdesk takes them.

The helpdesk reopens an offer it expired as "not-joined" only if the relay's "connected"
comes within a relay lapse of the expiry (``relay_dating.reopenable``). Before the fix the
relay sent its kept reports again ``RETRY_BATCH`` (200) per heartbeat round, in the order
they were kept: past about 1,600 of them the connects came too late, and a session that
started and ended during the outage stayed "not-joined" on its ticket. Now a round sends
every kept connect before any kept end, and goes on with the next batch at once while the
helpdesk takes them all, stopping at its first failure; reports queued meanwhile and a
heartbeat due go between two batches.

Real parts: the relay's ``ReportQueue`` with its real ``HttpReporter`` posting to the
real server (a clocked one, SQLite and PostgreSQL). Two things stand in for what the
relay does not own: the network between them (``Link``: cut, the connection refused as
when nothing listens, or through) and the heartbeat period (``Ticks``: each tick is one
period gone by, so rounds are counted, not timed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from remoterelay.reporter import HttpReporter
from remoterelay.reporting import RETRY_BATCH, ReportQueue
from tests.helpdesk.server_process import Server
from tests.helpdesk.test_relay_connected_retry import offered_session
from tests.helpdesk.test_relay_end_retry import SECRET, clocked_server, row

Key = tuple[str, str]
"""(event, session) of a report."""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def clocked(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    """A server with a relay lapse longer than the tests (no relay is swept meanwhile)."""
    with clocked_server(tmp_path_factory, request, "retry-drain") as server:
        yield server


class Link:
    """The network from the relay to the real helpdesk: cut (each report refused, as by a
    port nobody listens on) or through; notes each report's fate, in order, and runs
    ``on[key]`` once when that report comes to it (to cut it, or act, mid-drain)."""

    def __init__(self, server: Server) -> None:
        self.real = HttpReporter(server.http_url, SECRET.encode(), timeout_s=10)
        self.cut = True
        self.through: list[Key] = []
        self.refused: list[Key] = []
        self.on: dict[Key, Callable[[], None]] = {}

    async def __call__(self, payload: dict[str, Any]) -> dict[str, Any]:
        key = (str(payload["event"]), str(payload.get("session_id", "-")))
        if (act := self.on.pop(key, None)) is not None:
            act()
        if self.cut:
            self.refused.append(key)
            raise ConnectionRefusedError("the link to the helpdesk is cut")
        answer = await self.real(payload)
        self.through.append(key)
        return answer

    def kept_through(self) -> list[Key]:
        """The connect and end reports that went through, in order."""
        return [key for key in self.through if key[0] != "heartbeat"]


class Ticks:
    """The queue's heartbeat period, gone by only when the test ticks it."""

    def __init__(self) -> None:
        self._go = asyncio.Event()
        self._asleep = asyncio.Event()

    async def sleep(self, _seconds: float) -> None:
        self._asleep.set()
        await self._go.wait()
        self._go.clear()

    async def asleep(self) -> None:
        """Until the queue waits out its period (its round and heartbeat queued)."""
        await asyncio.wait_for(self._asleep.wait(), 10)

    def release(self) -> None:
        """One period goes by (the queue's next beat runs when the loop gets to it)."""
        self._asleep.clear()
        self._go.set()

    async def tick(self) -> None:
        """One period goes by; returns once the next round has been queued."""
        self.release()
        await self.asleep()


def queue_of(link: Link, ticks: Ticks, relay_id: str, capacity: int = 10_000) -> ReportQueue:
    """The relay's queue as it runs (defaults: 10 000 kept at most), on the test's ticks."""
    return ReportQueue(
        link,
        5.0,
        lambda: {"event": "heartbeat", "relay_id": relay_id, "sessions": []},
        lambda answer: None,
        capacity=capacity,
        sleep=ticks.sleep,
    )


@contextlib.asynccontextmanager
async def running(
    link: Link, ticks: Ticks, relay_id: str, capacity: int = 10_000
) -> AsyncIterator[ReportQueue]:
    """The queue started, its first round and heartbeat queued; closed after."""
    queue = queue_of(link, ticks, relay_id, capacity)
    queue.start()
    try:
        await ticks.asleep()
        yield queue
    finally:
        await queue.close(timeout_s=5)


async def kept_during_a_cut(queue: ReportQueue, link: Link, reports: list[Key]) -> None:
    """Each report put while the link is cut (so kept), then the link back."""
    relay_id = "drain-" + secrets.token_hex(4)
    for event, sid in reports:
        queue.put({"event": event, "relay_id": relay_id, "session_id": sid})
    await asyncio.wait_for(queue.settled(), 60)
    assert len(queue.kept_connects) + len(queue.kept_ends) == len(reports)
    link.cut = False


def started_and_ended(count: int) -> list[Key]:
    """Reports of ``count`` sessions (no such session on the server: it takes and
    ignores them) each started and ended, as they come: connect, end, connect, end..."""
    tag = secrets.token_hex(4)
    return [(event, f"s{i:05d}-{tag}") for i in range(count) for event in ("connected", "ended")]


def connects_then_ends(reports: list[Key]) -> list[Key]:
    return [k for k in reports if k[0] == "connected"] + [k for k in reports if k[0] == "ended"]


async def rounds_until_drained(queue: ReportQueue, ticks: Ticks, most: int = 30) -> int:
    """Heartbeat rounds until nothing is kept (each round settled before the next)."""
    rounds = 0
    while queue.kept_connects or queue.kept_ends:
        assert rounds < most, f"{len(queue.kept_connects + queue.kept_ends)} still kept"
        await ticks.tick()
        await asyncio.wait_for(queue.settled(), 120)
        rounds += 1
    return rounds


def test_kept_connects_go_before_kept_ends_and_each_end_after_its_connect(
    clocked: Server,
) -> None:
    """Three sessions offered, each paired and ended while the link is cut: once it is
    back, the three connects go first, then the three ends, so on the server each session
    connected and then ended (no end arrives for an offer that never connected)."""
    sids = [offered_session(clocked) for _ in range(3)]
    reports = [(event, sid) for sid in sids for event in ("connected", "ended")]

    async def scenario() -> list[Key]:
        link, ticks = Link(clocked), Ticks()
        async with running(link, ticks, "order-" + secrets.token_hex(4)) as queue:
            await kept_during_a_cut(queue, link, reports)
            # the first heartbeat, then the connects (each end held back behind its own)
            assert link.refused == [("heartbeat", "-")] + [("connected", sid) for sid in sids]
            assert await rounds_until_drained(queue, ticks) == 1
            return link.kept_through()

    assert asyncio.run(scenario()) == connects_then_ends(reports)
    for sid in sids:
        done = row(clocked, sid)
        assert done.state == "ended" and done.end_reason == "relay-closed", sid
        assert done.connected_at is not None and done.ended_at is not None, "ended unconnected"
        assert done.connected_at <= done.ended_at


def test_two_thousand_kept_reports_drain_in_one_heartbeat_round(
    clocked: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """1,000 sessions started and ended during a cut: 2,000 kept reports (the default
    bound keeps 10,000). The helpdesk takes them all, so one round sends them all, not ten
    (2,000 / ``RETRY_BATCH``), connects first; none is dropped."""
    caplog.set_level(logging.INFO, "remoteapp.relay")
    reports = started_and_ended(1000)
    assert len(reports) // RETRY_BATCH == 10

    async def scenario() -> tuple[int, list[Key]]:
        link, ticks = Link(clocked), Ticks()
        async with running(link, ticks, "drain-" + secrets.token_hex(4)) as queue:
            await kept_during_a_cut(queue, link, reports)
            return await rounds_until_drained(queue, ticks), link.through

    rounds, through = asyncio.run(scenario())
    assert rounds == 1
    assert [key for key in through if key[0] != "heartbeat"] == connects_then_ends(reports)
    assert not [r for r in caplog.records if "report-dropped" in r.getMessage()]


def test_a_failure_mid_drain_stops_the_round_and_the_next_sends_the_rest_in_order(
    clocked: Server,
) -> None:
    """The link is cut again at the 300th kept report (the second batch): that round
    stops there (the batch's rest is not tried, no batch follows); the next round sends
    the rest, from that report on, in order; nothing is lost or sent twice."""
    reports = started_and_ended(300)
    order = connects_then_ends(reports)
    failing = order[299]

    async def scenario() -> tuple[list[Key], list[Key], list[str], list[Key]]:
        link, ticks = Link(clocked), Ticks()
        async with running(link, ticks, "midway-" + secrets.token_hex(4)) as queue:
            await kept_during_a_cut(queue, link, reports)
            link.refused.clear()
            link.on[failing] = lambda: setattr(link, "cut", True)
            await ticks.tick()
            await asyncio.wait_for(queue.settled(), 60)
            first, kept = link.kept_through(), queue.kept_connects + queue.kept_ends
            link.cut = False
            assert await rounds_until_drained(queue, ticks) == 1
            return first, link.refused, kept, link.kept_through()

    first, refused, kept, through = asyncio.run(scenario())
    assert first == order[:299]
    assert refused == [failing]  # the round's one failure: nothing after it was tried
    assert kept == [sid for _, sid in order[299:]]  # still kept, in their order
    assert through == order  # the rest in the next round: each once, none lost


def test_new_reports_and_the_heartbeat_go_between_batches_of_a_drain(clocked: Server) -> None:
    """While a round drains 1,200 kept reports, a new session's "connected" is put and a
    heartbeat period goes by: each goes out within one batch, not after the drain."""
    reports = started_and_ended(600)
    order = connects_then_ends(reports)
    live = ("connected", "live-" + secrets.token_hex(4))
    relay_id = "between-" + secrets.token_hex(4)

    async def scenario() -> list[Key]:
        link, ticks = Link(clocked), Ticks()
        async with running(link, ticks, relay_id) as queue:

            def meanwhile() -> None:
                queue.put({"event": live[0], "relay_id": relay_id, "session_id": live[1]})
                ticks.release()

            await kept_during_a_cut(queue, link, reports)
            link.through.clear()
            link.on[order[450]] = meanwhile
            await ticks.tick()  # the round: its first batch and its heartbeat
            await asyncio.wait_for(queue.settled(), 120)
            await ticks.asleep()  # the period released mid-drain was taken
            return link.through

    through = asyncio.run(scenario())
    assert [key for key in through if key not in (live, ("heartbeat", "-"))] == order
    at = through.index(order[450])
    beats = [i for i, key in enumerate(through) if key == ("heartbeat", "-")]
    assert beats[0] <= RETRY_BATCH  # the round's own, after its first batch
    # each came out after at most one batch more of kept reports
    assert at < through.index(live) <= at + RETRY_BATCH
    assert [i for i in beats if i > at] and at < beats[1] <= at + RETRY_BATCH + 1


def test_an_unbounded_queue_sends_its_kept_reports_again(clocked: Server) -> None:
    """``capacity=0`` is asyncio's unbounded queue: the room a batch has is not its
    maxsize less what waits (negative: no kept report was ever sent again)."""
    reports = started_and_ended(3)

    async def scenario() -> int:
        link, ticks = Link(clocked), Ticks()
        async with running(link, ticks, "unbounded-" + secrets.token_hex(4), capacity=0) as queue:
            await kept_during_a_cut(queue, link, reports)
            return await rounds_until_drained(queue, ticks, most=3)

    assert asyncio.run(scenario()) == 1


def test_back_from_a_cut_the_heartbeat_goes_before_the_kept_reports(clocked: Server) -> None:
    """The helpdesk reopens the sessions that ran through a cut only on the relay's word
    within a relay lapse of its first report after it (``relay_dating``): the heartbeat
    that lists them goes first in the round. After a first batch of 200 kept reports (at
    120 ms each over a distant link, 24 s) it came past the 20 s lapse (helper-126), and
    the sessions were closed. The kept reports follow, connects first, and correct what
    the heartbeat's catch-up stamped."""
    reports = started_and_ended(300)

    async def scenario() -> list[Key]:
        link, ticks = Link(clocked), Ticks()
        async with running(link, ticks, "beat-first-" + secrets.token_hex(4)) as queue:
            await kept_during_a_cut(queue, link, reports)
            link.through.clear()
            await ticks.tick()
            await asyncio.wait_for(queue.settled(), 60)
            return link.through

    through = asyncio.run(scenario())
    assert through[0] == ("heartbeat", "-")
    assert [key for key in through if key[0] != "heartbeat"] == connects_then_ends(reports)
