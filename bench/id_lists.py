"""A long id list in one query: ``helpdesk.db.one_of`` (the list as one bound parameter)
against SQLAlchemy's ``in_`` (one parameter per id, the baseline), in the same run.

The query has the shape of a relay heartbeat's ``relay_events.reconcile``: the listed
ids twice, in id order. It runs on an empty ``remote_sessions`` table (migrated), so it
measures what the list costs (binding, planning), not the rows. On PostgreSQL ``in_``
fails past 65,535 parameters: the table says so. PostgreSQL is a throwaway cluster
(``tests/postgres.py``; ``--db-cluster URL`` for your own).

    python -m bench.id_lists                    # table
    python -m bench.id_lists --json             # one JSON object
    python -m bench.id_lists --sizes 10,1000 --rounds 3 --no-postgresql
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from helpdesk.db import db_factory, make_engine, migrate, one_of
from helpdesk.models import RemoteSession
from tests.postgres import cluster, new_database

SIZES = (10, 100, 1_000, 10_000, 30_000, 100_000)


def _timed(db: Session, listed: ColumnElement[bool]) -> float:
    """Milliseconds of one reconcile-shaped query over ``listed``."""
    started = time.perf_counter()
    db.scalars(
        select(RemoteSession)
        .where(
            or_(
                and_(listed, RemoteSession.state == "offered"),
                and_(listed, RemoteSession.state == "ended"),
            )
        )
        .order_by(RemoteSession.id)
    ).all()
    return (time.perf_counter() - started) * 1000


def _try(db: Session, listed: ColumnElement[bool]) -> float | None:
    """``_timed``, or None if the query fails (too many parameters: the transaction is
    rolled back, so the next query runs)."""
    try:
        return _timed(db, listed)
    except SQLAlchemyError:
        db.rollback()
        return None


def measure(url: str, sizes: tuple[int, ...], rounds: int) -> dict[str, dict[str, float | None]]:
    """Per size: ``in_`` and ``one_of`` medians, ms, alternating round by round (None: the
    query failed in a round)."""
    engine = make_engine(url)
    migrate(engine)
    result: dict[str, dict[str, float | None]] = {}
    try:
        for size in sizes:
            ids = [secrets.token_hex(16) for _ in range(size)]
            times: dict[str, list[float | None]] = {"in_ms": [], "one_of_ms": []}
            with db_factory(engine)() as db:
                for _ in range(rounds):
                    times["in_ms"].append(_try(db, RemoteSession.id.in_(ids)))
                    times["one_of_ms"].append(_try(db, one_of(db, RemoteSession.id, ids)))
            result[str(size)] = {name: _median(runs) for name, runs in times.items()}
    finally:
        engine.dispose()
    return result


def _median(runs: list[float | None]) -> float | None:
    done = [run for run in runs if run is not None]
    return statistics.median(done) if len(done) == len(runs) else None


def table(results: dict[str, dict[str, dict[str, float | None]]]) -> str:
    def ms(value: float | None) -> str:
        return "fails" if value is None else f"{value:.2f}"

    lines = ["| database | ids | in_ (baseline) ms | one_of ms |", "|---|---|---|---|"]
    for database, sizes in results.items():
        for size, row in sizes.items():
            lines.append(f"| {database} | {size} | {ms(row['in_ms'])} | {ms(row['one_of_ms'])} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument("--db-cluster", help="postgresql+psycopg://user@host:port (no db name)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as stack:
        results["sqlite"] = measure(f"sqlite:///{Path(scratch) / 'h.db'}", sizes, args.rounds)
        if not args.no_postgresql:
            cluster_url = args.db_cluster or stack.enter_context(cluster())
            results["postgresql"] = measure(new_database(cluster_url), sizes, args.rounds)
    print(json.dumps(results) if args.json else table(results))


if __name__ == "__main__":
    main()
