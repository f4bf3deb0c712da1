"""Engine creation and schema migration (the schema is only ever changed by Alembic);
the two write patterns that keep concurrent requests apart on both databases; a
membership test over a long list of values as one bound parameter (``one_of``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any, Final, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    ColumnElement,
    Engine,
    QueuePool,
    String,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session, sessionmaker

from helpdesk.errors import Unavailable
from remotewire.error_codes import ErrorCode

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# The server's database concurrency: who may hold a pooled connection at once.
REQUEST_THREADS: Final = 40
"""Threads serving requests: Starlette runs sync endpoints and dependencies on anyio's
threads (``helpdesk.cli`` sets their number)."""
BACKGROUND_THREADS: Final = 16
"""Threads of ``asyncio.to_thread``: each step of a long poll, the sweeper."""
POOL_SIZE: Final = REQUEST_THREADS + BACKGROUND_THREADS
POOL_TIMEOUT_S: Final = 5.0
"""The longest a thread waits for a pooled connection before its request fails (a 5xx
with a JSON body): shorter than the apps' 10 s timeout, so they hear why."""


def make_engine(url: str, *, pool_size: int | None = None) -> Engine:
    """Create the engine; SQLite gets WAL + busy timeout so the relay reports and the
    long-polls do not trip over "database is locked".

    ``pool_size``: the server's ``POOL_SIZE``, one connection per thread that may run
    database work, no overflow, a bounded wait (``POOL_TIMEOUT_S``). SQLAlchemy's default
    (5 + 10 overflow, 30 s wait) was far below the 40 request threads, so threads waited
    for each other's connections. A request still keeps its connection from the thread
    of its dependencies to the thread of its endpoint, and waits for a thread in between:
    a burst of a few hundred requests could take every connection that way while every
    thread waited for one; ``RequestSessions`` admits no more requests than there are
    connections for them. ``None`` (scripts, tests): SQLAlchemy's default pool."""
    pool: dict[str, Any] = {}
    if pool_size is not None:
        pool = {
            "poolclass": QueuePool,
            "pool_size": pool_size,
            "max_overflow": 0,
            "pool_timeout": POOL_TIMEOUT_S,
        }
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 15}, **pool
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


MIGRATION_LOCK: Final = 0x72656D6F7465  # "remote": PostgreSQL advisory lock key
"""Held (transaction-scoped) while migrating: servers started together on one database
take turns, and the later ones find the schema at head and change nothing."""


def startup_lock(db: Session) -> None:
    """Hold ``MIGRATION_LOCK`` for the rest of ``db``'s transaction (PostgreSQL only): the
    first-start data (``helpdesk.demo``) is made by one of the servers starting together,
    and the others then find it."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})


def migrate(engine: Engine) -> None:
    """Bring the database to the newest revision (run at every start). On PostgreSQL under
    an advisory lock, so that two servers starting at once don't both migrate; SQLite's
    single writer serializes them already."""
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def lock_row(db: Session, model: type[DeclarativeBase], key: object) -> None:
    """Hold the row of ``model`` whose primary key is ``key`` until ``db`` commits: the
    way a read-then-write stays one step when requests race (a ticket's action numbers,
    a customer's one session, an app's lists of users).

    A no-op UPDATE is the lock on both databases: on PostgreSQL a row lock held to
    commit; on SQLite the database's write lock, and the reads after it run inside that
    write transaction. So whatever the caller reads next includes every competitor's
    committed write, and the competitor waits for ours. (``SELECT ... FOR UPDATE`` would
    do on PostgreSQL only.) A missing row locks nothing."""
    (column,) = inspect(model).primary_key
    db.execute(
        update(model)
        .where(column == key)
        .values({column.key: column})
        .execution_options(synchronize_session=False)
    )


def insert_unless_exists(
    db: Session,
    model: type[DeclarativeBase],
    row: dict[str, Any],
    keys: list[InstrumentedAttribute[Any]],
) -> None:
    """Insert ``row`` unless a row with the same ``keys`` (a unique index) exists: two
    requests inserting the same row at once both succeed, and there is one row. A
    read-then-insert raced there, and the loser's duplicate key was a 500. On both
    databases the INSERT waits for a concurrent one to commit, so a read after it finds
    the winner's row."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(postgresql.insert(model).values(row).on_conflict_do_nothing(index_elements=keys))
    else:
        db.execute(sqlite.insert(model).values(row).on_conflict_do_nothing(index_elements=keys))


T = TypeVar("T", int, str)


def one_of(
    db: Session, column: InstrumentedAttribute[T], values: Iterable[T]
) -> ColumnElement[bool]:
    """``column IN values`` with the values bound as ONE parameter, however many: ``in_``
    binds one parameter per value, and a statement takes at most 65,535 on PostgreSQL
    (psycopg) and 32,766 on SQLite builds other than Debian's, so a relay's heartbeat
    listing tens of thousands of sessions failed (a 500). Still one statement, so a
    query locking the rows it matches (in id order) stays one query.

    PostgreSQL: ``column = ANY(:array)``, the array of the column's type but unbounded
    (a cast to ``VARCHAR(40)[]`` would cut a longer value into one that matches a row it
    does not name). SQLite: ``column IN (SELECT value FROM json_each(:json))``. The
    values: ints or strs (they travel as JSON to SQLite)."""
    listed = list(values)
    if db.get_bind().dialect.name == "postgresql":
        kind = String() if isinstance(column.type, String) else column.type
        return column == any_(bindparam(None, listed, type_=postgresql.ARRAY(kind)))
    each = func.json_each(bindparam(None, json.dumps(listed), type_=String())).table_valued("value")
    return column.in_(select(each.c.value))


def db_factory(engine: Engine) -> sessionmaker[Session]:
    """Makes database sessions, named ``db`` everywhere in the server: "session" means a
    support session there."""
    return sessionmaker(engine, expire_on_commit=False)


class RequestSessions:
    """At most ``REQUEST_THREADS`` requests hold a database session at once (the pool
    keeps a connection for each). A request keeps its session, and the connection in it,
    from the thread of its dependencies to the thread of its endpoint, and waits for a
    thread in between; unbounded, a burst took every connection that way while every
    thread waited for one. A request waits here instead, on the event loop and holding
    nothing, for at most ``wait_s``; then it is answered 503 ``server-busy``."""

    def __init__(self, factory: sessionmaker[Session], wait_s: float = POOL_TIMEOUT_S) -> None:
        self._factory = factory
        self._free = asyncio.Semaphore(REQUEST_THREADS)
        self.wait_s = wait_s

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        try:
            await asyncio.wait_for(self._free.acquire(), self.wait_s)
        except TimeoutError:
            raise Unavailable(
                ErrorCode.SERVER_BUSY, "the server is busy; try again in a moment", 1
            ) from None
        try:
            db = self._factory()
            try:
                yield db
            finally:  # closing may roll back: a round trip, off the event loop
                await asyncio.to_thread(db.close)
        finally:
            self._free.release()
