"""The C books of updates sent (``_senttimes.SentTimes``) with their lock contended: a
holder without the GIL (the native lane's stand-in, ``tests/books_lock.py``) while
Python's threads call in.  Python's threads alone never contend for it (each call holds
the GIL throughout, and no locked section lets it go: ``books_lock``'s first try always
wins), so the tests that hammer the books from threads only, with no lane, would never
run the path where a call lets the GIL go and waits.  These do, and check that every
call waits there (the books unchanged meanwhile), that the GIL is let go while it waits
(the test thread runs Python all along), and that the books come out whole."""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import pytest

from remoteapp.codec import sent_times
from remoteapp.codec.sent_times import MAX_CAPACITY
from tests.books_lock import (
    WAIT_S,
    LaneLock,
    Turns,
    bounded_test,  # noqa: F401  (the fixture, used by name)
    every_call_waits,
    run_with_turns,
)
from tests.native import built

pytestmark = pytest.mark.usefixtures("bounded_test")

WRITERS = 3
PER_WRITER = 300  #: 900 booked in all: under MAX_CAPACITY, so none is dropped
TURN_EVERY = 50  #: a writer's calls between two of the lane's turns


def native() -> Any:
    return built(sent_times.native, "_senttimes").SentTimes  # type: ignore[attr-defined]


def test_every_call_waits_while_the_lane_holds_the_lock() -> None:
    """Each call, from its own thread, is seen blocked on the lock itself while the lane
    holds it, none has answered, and the test thread still runs (so each let the GIL go
    to wait: one that waited holding it would stop this thread too, till ``bounded``);
    let go, all answer and the books are what those calls make, in any order."""
    times = native()(16)
    times.sent(1, 10, 1.0)
    times.sent(2, 20, 2.0)
    lane = LaneLock(times)
    calls: dict[str, Callable[[], object]] = {
        "sent": lambda: times.sent(10, 100, 10.0),
        "sent again": lambda: times.sent(11, 110, 11.0),
        "local": lambda: times.local(2, 0.5),
        "ack": lambda: times.ack(1),
        "oldest": times.oldest,
        "entries": times.entries,
        "len": lambda: len(times),
        "reporting": lambda: times.reporting,
    }
    answers = every_call_waits(lane, calls)
    assert answers["ack"] == [(10, 1.0, None)]
    assert 1 <= answers["len"] <= 4  # type: ignore[operator]
    first, *rest = times.entries()
    assert first == (2, 20, 2.0, 0.5)
    assert sorted(rest) == [(10, 100, 10.0, None), (11, 110, 11.0, None)]
    assert times.reporting


def test_threads_hammering_the_books_while_the_lane_cuts_in_keep_them_whole() -> None:
    """Three writers book (``sent``, then ``local``), a reader acks (cumulative) and
    reads, and the lane takes the lock every ``TURN_EVERY`` calls of the first writer,
    each turn held until a caller waits on it.  After: every update booked is popped
    once or still booked, in the order each writer booked it; a lag is its own or, if an
    ack popped the update before its writer reported it, None; no thread is left."""
    times = native()(MAX_CAPACITY)
    turns = Turns(LaneLock(times))
    acks: queue.SimpleQueue[int | None] = queue.SimpleQueue()
    popped: list[tuple[int, float, float | None]] = []

    def writer(w: int) -> None:
        for i in range(PER_WRITER):
            if w == 0 and i % TURN_EVERY == TURN_EVERY // 2:
                turns.ask()
            seq = i * WRITERS + w
            times.sent(seq, seq, float(seq))
            times.local(seq, seq / 1e6)
            acks.put(seq)
        acks.put(None)

    def reader() -> None:
        done = 0
        while done < WRITERS:
            seq = acks.get(timeout=WAIT_S)
            if seq is None:
                done += 1
            elif seq % 4 != 3:  # (some not acked: a later one pops them)
                popped.extend(times.ack(seq) or [])
                times.oldest()
                assert len(times) <= MAX_CAPACITY

    run_with_turns(turns, writer, WRITERS, reader)

    assert len(turns.seen) == PER_WRITER // TURN_EVERY
    assert all(turns.seen), turns.seen
    left = times.entries()
    assert len(times) == len(left)
    order = [nbytes for nbytes, _, _ in popped] + [seq for seq, _, _, _ in left]
    assert sorted(order) == list(range(WRITERS * PER_WRITER))  # each once
    for w in range(WRITERS):
        mine = [seq for seq in order if seq % WRITERS == w]
        assert mine == sorted(mine), f"writer {w}'s updates out of order"
    assert all(at == float(nbytes) for nbytes, at, _ in popped)
    assert all(lag in (None, nbytes / 1e6) for nbytes, _, lag in popped)
    assert all(lag == seq / 1e6 and nbytes == seq for seq, nbytes, _, lag in left)
    assert times.reporting
