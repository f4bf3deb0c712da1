"""The failure limiter's reservation is atomic in the database itself (issue 10 §3.3).

Two engines stand for two server processes (separate connection pools, no lock shared in
Python); 20 threads each reserve one attempt under the same key at once. Exactly the
limit's number of reservations succeed, on SQLite and on PostgreSQL, and rows that left
every window are purged (the table stays bounded).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from helpdesk.clock import Clock
from helpdesk.db import db_factory, make_engine, migrate
from helpdesk.errors import RateLimited
from helpdesk.limits import PURGE_EVERY_S, AttemptLimits, Rule, backoff
from helpdesk.models import FailedAttempt
from remotewire.error_codes import ErrorCode
from tests.postgres import new_database

THREADS = 20
LIMIT = 6


class MovedClock(Clock):
    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


@pytest.fixture(params=["sqlite", "postgresql"])
def engines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Engine]]:
    if request.param == "postgresql":
        url = new_database(request.getfixturevalue("postgres_cluster"))
    else:
        url = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    made = [make_engine(url, pool_size=THREADS) for _ in range(2)]
    migrate(made[0])
    yield made
    for engine in made:
        engine.dispose()


def reserve_at_once(engines: list[Engine], clock: Clock, key: str) -> tuple[int, int]:
    """THREADS reservations of one key released together; (reserved, refused)."""
    limits = [AttemptLimits(clock) for _ in engines]  # one per "process"
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        factory = db_factory(engines[i % len(engines)])
        limiter = limits[i % len(engines)].for_address("192.0.2.1")
        with factory() as db:
            start.wait()
            try:
                limiter.reserve(
                    db,
                    [Rule(key, LIMIT, 60)],
                    code=ErrorCode.TOO_MANY_FAILED_LOGINS,
                    message="wait {wait} s",
                )
                outcomes.append("reserved")
            except RateLimited:
                outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes.count("reserved"), outcomes.count("refused")


def test_concurrent_reservations_from_two_processes_never_pass_the_limit(
    engines: list[Engine],
) -> None:
    reserved, refused = reserve_at_once(engines, MovedClock(), "login:race@example.com")
    print(f"{THREADS} concurrent reservations, limit {LIMIT}: {reserved} reserved, {refused} 429")
    assert (reserved, refused) == (LIMIT, THREADS - LIMIT)


def test_rows_that_left_every_window_are_purged(engines: list[Engine]) -> None:
    clock = MovedClock()
    reserve_at_once(engines, clock, "login:old@example.com")
    factory = db_factory(engines[0])
    clock.offset += 61 + PURGE_EVERY_S  # past the 60 s window and the purge interval
    limiter = AttemptLimits(clock).for_address("192.0.2.2")
    with factory() as db:
        limiter.reserve(
            db, [Rule("login:new@example.com", LIMIT, 60)], code=ErrorCode.WRONG_LOGIN, message=""
        )
        assert db.scalar(select(func.count()).select_from(FailedAttempt)) == 1


def test_backoff_waits_longer_after_each_full_window(engines: list[Engine]) -> None:
    """6 failures: wait one window; 6 more right after it: wait until the 4-window step
    frees up, not just one more window."""
    clock = MovedClock()
    limiter = AttemptLimits(clock).for_address("192.0.2.3")
    rules = backoff("partner-pair:1:123456789", LIMIT, 60)

    def fail_until_refused() -> int:
        with db_factory(engines[0])() as db:
            while True:
                try:
                    limiter.reserve(db, rules, code=ErrorCode.WRONG_LOGIN, message="{wait}")
                except RateLimited as refused:
                    return refused.retry_after

    first = fail_until_refused()
    assert 55 <= first <= 60
    clock.offset += first
    second = fail_until_refused()  # 12 failures within 4 windows: the second step is full
    assert 170 <= second <= 180, second
