"""An end racing the poll that collects its offer, on PostgreSQL's row locks.

The agent ends a session right after connecting (here, or a relay reports the offer
ended) while the customer's poll, woken by the connect, hands the offer over.  The end
locks the session's row, then writes the customer's presence (a new password); the poll
wrote the presence first, then marked the offer delivered.  Each then waited for the
other's lock, PostgreSQL broke the deadlock by failing one, and the agent's end answered
500 (the project's CI saw it in tests/helpdesk/test_longpoll_load.py).  Every writer now
takes a session's row before its customer's presence.  SQLite has one writer at a time:
no such race there."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import sessionmaker

from helpdesk.db import db_factory, make_engine, migrate
from helpdesk.demo import seed
from helpdesk.lifecycle import State
from helpdesk.models import Presence, RemoteSession, User
from helpdesk.security import sha256_hex
from helpdesk.services import presence as presence_service
from helpdesk.services import sessions
from tests.postgres import new_database

NOW = datetime(2026, 12, 5, 12, 0, 0)
KEY = "presence-key"
BOUND_S = 30.0  #: a bound on each wait (the race itself settles in milliseconds)


@pytest.fixture
def factory(postgres_cluster: str) -> Iterator[sessionmaker[Db]]:
    engine = make_engine(new_database(postgres_cluster))
    try:
        migrate(engine)
        made = db_factory(engine)
        seed(made)
        yield made
    finally:
        engine.dispose()


def online_customer(db: Db) -> tuple[Presence, User]:
    """A customer of the demo app online since ``NOW`` (flushed), and an agent."""
    agent = db.scalars(select(User)).first()
    assert agent is not None
    customer = Presence(
        device_id="d", partner_id="123456789", app_id="demo", key_hash=sha256_hex(KEY),
        password="abcdef", failures=0, filled={}, waiting_since=NOW, last_seen=NOW,
    )  # fmt: skip
    db.add(customer)
    db.flush()
    return customer, agent


def _offered(factory: sessionmaker[Db]) -> str:
    """A customer online with one offer not handed over yet: the offer's session id."""
    with factory() as db:
        customer, agent = online_customer(db)
        offer = RemoteSession(
            id="s1", app_id="demo", presence_id=customer.id, agent_id=agent.id,
            via="password", state=State.OFFERED.value, relay_address="127.0.0.1:1",
            customer_token="t", expires_at=NOW + timedelta(minutes=2),
            waiting_since=NOW, offered_at=NOW,
        )  # fmt: skip
        db.add(offer)
        db.commit()
        return "s1"


def _waiting_on_a_lock(factory: sessionmaker[Db], before: int) -> bool:
    with factory() as db:
        waiting = db.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return int(waiting or 0) > before


def blocked_or_done(factory: sessionmaker[Db], done: threading.Event) -> None:
    """Until another transaction waits on a lock (the fixed order) or ``done`` is set
    (it finished without waiting: the race the test then sees), within ``BOUND_S``."""
    for _ in range(int(BOUND_S / 0.01)):
        if done.wait(0.01) or _waiting_on_a_lock(factory, 0):
            return
    raise AssertionError("it neither waited nor finished")


def test_an_end_racing_the_poll_that_collects_its_offer_does_not_deadlock(
    factory: sessionmaker[Db],
) -> None:
    session_id = _offered(factory)
    settings: Any = SimpleNamespace(clock=SimpleNamespace(now=lambda: NOW))
    polled: list[object] = []

    def poll() -> None:
        try:
            polled.append(presence_service.collect(factory, settings, "123456789", KEY))
        except Exception as exc:  # (reported by the test below)
            polled.append(exc)

    with factory() as ending:
        session = ending.get(RemoteSession, session_id)
        assert session is not None
        ending.refresh(session, with_for_update=True)  # the end's first step: the row locked
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        give_up = time.monotonic() + BOUND_S
        while not _waiting_on_a_lock(factory, 0):  # the poll waits for the end's row
            assert time.monotonic() < give_up, "the poll never waited for the session's row"
            assert poller.is_alive(), f"the poll ended first: {polled}"
            time.sleep(0.01)
        sessions.end_by_party(ending, settings, session, "test")  # raised: deadlock
        poller.join(BOUND_S)
    assert not poller.is_alive()
    assert len(polled) == 1 and not isinstance(polled[0], Exception), polled
    with factory() as db:
        ended = db.get(RemoteSession, session_id)
        assert ended is not None and ended.state == State.ENDED.value
        customer = db.scalar(select(Presence).where(Presence.partner_id == "123456789"))
        assert customer is not None and customer.last_seen == NOW  # the poll's refresh kept
