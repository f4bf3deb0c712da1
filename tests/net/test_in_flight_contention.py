"""The C books of updates in flight (``_inflight.InFlight``) with their lock contended: a
holder without the GIL (the native lane's stand-in, ``tests/books_lock.py``) while
Python's threads call in.  Python's threads alone never contend for it (each call holds
the GIL throughout, and no locked section lets it go: ``books_lock``'s first try always
wins), so the tests that hammer the books from threads only, with no lane, would never
run the path where a call lets the GIL go and waits.  These do, and check that every
call waits there (the books unchanged meanwhile), that the GIL is let go while it waits
(the test thread runs Python all along), and that the books come out whole.  (Only the C
books: the Python ones have no lock, their owner's guards them.)"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import pytest

from remoteapp.net import in_flight
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
PER_WRITER = 300  #: 900 booked in all: under WINDOW, so a credit is always free
TURN_EVERY = 50  #: a writer's calls between two of the lane's turns
WINDOW, SMALL_WINDOW = 1000, 1024


def native() -> Any:
    return built(in_flight.native, "_inflight").InFlight  # type: ignore[attr-defined]


def test_every_call_waits_while_the_lane_holds_the_lock() -> None:
    """Each call, from its own thread, is seen blocked on the lock itself while the lane
    holds it, none has answered, and the test thread still runs (so each let the GIL go
    to wait: one that waited holding it would stop this thread too, till ``bounded``);
    let go, all answer and the books are what those calls make, in any order."""
    books = native()(8, 16)
    books.book(1, False)
    books.book(2, False)
    lane = LaneLock(books)
    calls: dict[str, Callable[[], object]] = {
        "book": lambda: books.book(10, False),
        "book large": lambda: books.book(11, True),
        "ack": lambda: books.ack(1),
        "entries": books.entries,
        "credits": lambda: books.credits,
        "len": lambda: len(books),
    }
    answers = every_call_waits(lane, calls)
    assert answers["book"] is True
    assert answers["book large"] is True
    assert answers["ack"] == 1
    assert 1 <= answers["len"] <= 4  # type: ignore[operator]
    first, *rest = books.entries()
    assert first == (2, False)
    assert sorted(rest) == [(10, False), (11, True)]
    assert books.credits == 8 - 3  # (a large one in flight: the window of 8 rules)


def test_threads_hammering_the_books_while_the_lane_cuts_in_keep_them_whole() -> None:
    """Three writers book (every third update large), a reader acks (cumulative) and
    reads (what is in flight is each time in the order each writer booked it), and the
    lane takes the lock every ``TURN_EVERY`` calls of the first writer, each turn held
    until a caller waits on it.  After: every update booked is popped once or still in
    flight; the credits agree with what is left, and once all is acked the count of
    large ones is back to none."""
    books = native()(WINDOW, SMALL_WINDOW)
    turns = Turns(LaneLock(books))
    acks: queue.SimpleQueue[int | None] = queue.SimpleQueue()
    popped: list[int] = []

    def in_order(entries: list[tuple[int, bool]]) -> None:
        assert all(large == (seq % 3 == 0) for seq, large in entries)
        for w in range(WRITERS):
            mine = [seq for seq, _ in entries if seq % WRITERS == w]
            assert mine == sorted(mine), f"writer {w}'s updates out of order"

    def writer(w: int) -> None:
        for i in range(PER_WRITER):
            if w == 0 and i % TURN_EVERY == TURN_EVERY // 2:
                turns.ask()
            seq = i * WRITERS + w
            assert books.book(seq, seq % 3 == 0), f"no credit for {seq}"
            acks.put(seq)
        acks.put(None)

    def reader() -> None:
        done = 0
        while done < WRITERS:
            seq = acks.get(timeout=WAIT_S)
            if seq is None:
                done += 1
            elif seq % 4 != 3:  # (some not acked: a later one pops them)
                popped.append(books.ack(seq))
                in_order(books.entries())

    run_with_turns(turns, writer, WRITERS, reader)

    assert len(turns.seen) == PER_WRITER // TURN_EVERY
    assert all(turns.seen), turns.seen
    left = books.entries()
    assert len(books) == len(left)
    assert sum(popped) + len(left) == WRITERS * PER_WRITER  # (each popped once)
    in_order(left)
    any_large = any(large for _, large in left)
    assert books.credits == (WINDOW if any_large else SMALL_WINDOW) - len(left)
    if left:
        assert books.ack(left[-1][0]) == len(left)
    assert books.credits == SMALL_WINDOW  # (no large one counted any more)
