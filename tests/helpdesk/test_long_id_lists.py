"""A relay's heartbeat may list 100,000 running sessions (``routers.relay_events``), and
no input yields a 500.

The server tested whether a session was listed with ``id IN (...)``, one bound parameter
per id: ``relay_events.reconcile`` bound the list twice, ``listed_ended`` once more, and
``sessions.lock_customers`` bound one per customer. PostgreSQL (psycopg) takes at most
65,535 parameters in a statement, so a heartbeat listing more than about 30,000 sessions
failed there; SQLite builds other than Debian's stop at 32,766. Now each list is one
parameter (``helpdesk.db.one_of``): an array on PostgreSQL, JSON text on SQLite.

A real server (SQLite and PostgreSQL) answers a heartbeat listing 100,000 ids, a few of
them real sessions, with the result a short list gets; and ``one_of`` itself matches the
right rows for more than 70,000 ints and strs, SQLite held to 32,766 parameters.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, String, event, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from helpdesk.db import db_factory, make_engine, migrate, one_of
from helpdesk.services.sessions import lock_customers
from tests.helpdesk.server_process import Server
from tests.helpdesk.test_relay_cut_reopen import (
    Customer,
    cut_server,
    end,
    ended_ids,
    heartbeat,
    is_reopened,
    kept_connect,
    send,
)
from tests.helpdesk.test_relay_end_retry import row
from tests.helpdesk.test_relay_lost_reopen import lost, running
from tests.postgres import new_database

LISTED = 100_000
"""The most sessions a heartbeat may list (``RelayEventIn.sessions``)."""
MANY = 70_001
"""More values than PostgreSQL's 65,535 parameters (and SQLite's 32,766) in a statement."""
SQLITE_MAX_VARIABLES = 32_766
"""The limit of SQLite builds other than Debian's (which allows 250,000)."""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def clocked(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    yield from cut_server(tmp_path_factory, request)


def unknown_ids(count: int) -> list[str]:
    """Session ids the server never made, shaped as its own (32 hex digits)."""
    prefix = secrets.token_hex(4)
    return [f"{prefix}{n:024x}" for n in range(count)]


def test_a_heartbeat_listing_100000_sessions_is_answered(clocked: Server) -> None:
    """The heartbeat lists, among 100,000 ids: an offer (now connected on the relay), a
    session the sweep ended ``relay-lost`` in the relay's silence (reopened), and one
    another relay reported closed (named in ``ended``, ``listed_ended``); a session
    running on the relay that it no longer lists ends (its customer's row locked,
    ``lock_customers``). The rest are unknown: ignored."""
    relay_id, reopened, _ = running(clocked)
    closed = Customer(clocked).offer()
    elsewhere = "other-" + secrets.token_hex(4)
    kept_connect(clocked, elsewhere, closed)
    send(clocked, {"event": "ended", "relay_id": elsewhere, "session_id": closed})
    lost(clocked, reopened)  # the relay silent for more than a lapse: it is back next
    offered, missing = Customer(clocked).offer(), Customer(clocked).offer()
    real = [offered, reopened, closed]
    listed = unknown_ids(LISTED - len(real))
    for at, sid in zip((7, LISTED // 2, LISTED - 10), real, strict=True):
        listed.insert(at, sid)
    assert len(listed) == LISTED
    heartbeat(clocked, relay_id, [missing])  # running there, and back from the silence
    answer = heartbeat(clocked, relay_id, listed)
    assert {"session_id": closed, "reason": "relay-closed"} in answer["ended"]
    assert {"session_id": missing, "reason": "ended-unreported"} in answer["ended"]
    assert offered not in ended_ids(answer) and reopened not in ended_ids(answer)
    assert (row(clocked, offered).state, row(clocked, offered).relay_id) == (
        "connected",
        relay_id,
    )
    assert is_reopened(clocked, reopened, relay_id)
    assert (row(clocked, missing).state, row(clocked, closed).state) == ("ended", "ended")
    end(clocked, relay_id, offered)
    end(clocked, relay_id, reopened)


class Scratch(DeclarativeBase):
    pass


class Item(Scratch):
    __tablename__ = "long_list_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A fresh database at the schema's head, plus a scratch table of 1,000 items named
    by 40 digits; SQLite held to 32,766 parameters a statement, as most builds are."""
    if request.param == "postgresql":
        url = new_database(request.getfixturevalue("postgres_cluster"))
    else:
        url = f"sqlite:///{tmp_path / 'long-lists.db'}"
    made = make_engine(url)
    if request.param == "sqlite":

        @event.listens_for(made, "connect")
        def _few_variables(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_MAX_VARIABLES)

    migrate(made)
    Scratch.metadata.create_all(made)
    with made.begin() as connection:
        connection.execute(insert(Item), [{"id": n, "name": f"{n:040d}"} for n in range(1000)])
    yield made
    made.dispose()


def test_one_of_matches_the_right_rows_for_70001_values(engine: Engine) -> None:
    """Ints: a range overlapping half the items. Strs: every third item's name, each other
    name with a character more (no cut to the column's 40 makes it match), and the rest
    unknown. In one locking query, in id order, as ``reconcile``'s."""
    with db_factory(engine)() as db:
        ints = range(500, 500 + MANY)
        found = db.scalars(
            select(Item.id).where(one_of(db, Item.id, ints)).order_by(Item.id).with_for_update()
        ).all()
        assert found == list(range(500, 1000))
        names = [f"{n:040d}" if n % 3 == 0 else f"{n:040d}0" for n in range(1000)]
        names += unknown_ids(MANY - len(names))
        assert len(names) == MANY
        matched = db.scalars(
            select(Item.name).where(one_of(db, Item.name, set(names))).order_by(Item.id)
        ).all()
        assert matched == [f"{n:040d}" for n in range(0, 1000, 3)]
        assert db.scalars(select(Item.id).where(one_of(db, Item.id, []))).all() == []
        lock_customers(db, range(1, MANY + 1))  # no customers there: locks nothing, fails not
        db.commit()
