"""Migration 0007 (``presences.staff_user_id``) on both databases: a database of 0006
with customers and sessions upgrades without losing a row (on SQLite a copied table
could not be dropped while sessions point at it), ends up as the models describe, and
the revision downgrades and upgrades again."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from helpdesk.db import alembic_config, make_engine, migrate
from helpdesk.models import Base
from tests.postgres import new_database

NOW = datetime(2026, 1, 2, 3, 4, 5)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "postgresql":
        url = new_database(request.getfixturevalue("postgres_cluster"))
    else:
        url = f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    found = make_engine(url)
    request.addfinalizer(found.dispose)
    return found


def to(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("presences")}


def populate_0006(engine: Engine) -> None:
    """A user, an app, a customer and a session of the customer, as 0006 stores them."""
    rows = [
        "INSERT INTO users (id, email, name, password_hash) VALUES (1, 'a@x', 'A', 'h')",
        "INSERT INTO remote_apps (id, name, fields, title) VALUES ('demo', 'D', '{}', 'D')",
        "INSERT INTO presences (id, device_id, partner_id, app_id, key_hash, password,"
        " failures, filled, waiting_since, last_seen) VALUES (1, 'dev-1', '123456789',"
        " 'demo', 'k', 'p', 0, '{}', :now, :now)",
        "INSERT INTO remote_sessions (id, app_id, presence_id, agent_id, via, state,"
        " relay_address, customer_token, offer_delivered, expires_at, waiting_since,"
        " offered_at) VALUES ('s1', 'demo', 1, 1, 'password', 'ended', 'r', 't', true,"
        " :now, :now, :now)",
    ]
    with engine.begin() as connection:
        for row in rows:
            connection.execute(text(row), {"now": NOW})


def test_0007_upgrades_a_populated_database_and_downgrades(engine: Engine) -> None:
    to(engine, "0006")
    populate_0006(engine)
    assert "staff_user_id" not in columns(engine)

    migrate(engine)  # what every server start does: to the head

    assert "staff_user_id" in columns(engine)
    with engine.connect() as connection:
        kept = connection.execute(
            text(
                "SELECT p.partner_id, p.staff_user_id, s.id"
                " FROM presences p JOIN remote_sessions s ON s.presence_id = p.id"
            )
        ).all()
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [tuple(r) for r in kept] == [("123456789", None, "s1")]
    assert diff == []
    # a staff presence names its user (the foreign key holds)
    with engine.begin() as connection:
        connection.execute(text("UPDATE presences SET staff_user_id = 1"))

    if engine.dialect.name == "sqlite":
        # SQLite's downgrade copies the table (as 0006's does): not while sessions
        # point at presences, so it is exercised without them
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM remote_sessions"))
    to(engine, "0006", down=True)
    assert "staff_user_id" not in columns(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT partner_id FROM presences")).scalars().all() == [
            "123456789"
        ]
    migrate(engine)
    assert "staff_user_id" in columns(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
