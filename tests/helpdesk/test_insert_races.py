"""Concurrent identical creations: one row, and no 500 for the others (a fuzz review).

Each service read "does it exist?", then inserted: 20 identical requests at once all
found nothing, and all but one failed on the unique key (a 500). Here 20 threads, each
with its own connection, released together by a barrier, make the same request through
the service, on SQLite and on PostgreSQL: a creation has one winner and the others get
the same refusal a later duplicate gets (422 ``invalid-input`` in the console's form);
an idempotent one (a watch, a device's registration) succeeds for every caller, and all
of them refer to the one row. The last test sends the registrations to the real server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import sessionmaker

from helpdesk.db import db_factory, lock_row, make_engine, migrate
from helpdesk.demo import seed
from helpdesk.errors import DomainError, InvalidInput
from helpdesk.models import (
    AccessProfile,
    OnlineWatch,
    Person,
    Presence,
    RemoteApp,
    User,
    app_admins,
)
from helpdesk.security import sha256_hex
from helpdesk.services import access, app_settings, online_watch
from helpdesk.services import presence as presence_service
from remoteapp.net.helpdesk import HelpdeskClient
from remotewire.error_codes import ErrorCode
from tests.helpdesk.conftest import device
from tests.helpdesk.server_process import Server
from tests.postgres import new_database

THREADS = 20
BOUND_S = 120.0  #: a bound on the joins (20 argon2 hashes on a busy machine)
NOW = datetime(2026, 12, 5, 12, 0, 0)
FIELDS = {"name": "Race Person", "email": "race@acme.example", "organization": "Acme Ltda"}
SETTINGS: Any = SimpleNamespace(clock=SimpleNamespace(now=lambda: NOW))


@pytest.fixture(params=["sqlite", "postgresql"])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Db]]:
    if request.param == "postgresql":
        url = new_database(request.getfixturevalue("postgres_cluster"))
    else:
        url = f"sqlite:///{tmp_path / 'races.sqlite3'}"
    engine = make_engine(url, pool_size=THREADS)
    try:
        migrate(engine)
        made = db_factory(engine)
        seed(made)
        yield made
    finally:
        engine.dispose()


def at_once(factory: sessionmaker[Db], call: Callable[[Db], object]) -> list[object]:
    """``call(db)`` in THREADS threads released together, each with its own session: what
    each returned or raised."""
    start = threading.Barrier(THREADS)
    outcomes: list[object] = []

    def run() -> None:
        with factory() as db:
            start.wait()
            try:
                outcomes.append(call(db))
            except Exception as exc:  # (every outcome is checked by the caller)
                outcomes.append(exc)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BOUND_S)
    assert not any(thread.is_alive() for thread in threads)
    assert len(outcomes) == THREADS
    return outcomes


def one_winner(outcomes: list[object], message: str) -> None:
    """One creation succeeded; every other got the duplicate's refusal, nothing else."""
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    unexpected = [o for o in refused if not isinstance(o, InvalidInput)]
    assert not unexpected, unexpected[:3]
    assert len(refused) == THREADS - 1, outcomes
    for exc in refused:
        assert isinstance(exc, DomainError)
        assert (exc.code, exc.message) == (ErrorCode.INVALID_INPUT, message)


def count(factory: sessionmaker[Db], model: Any, *where: Any) -> int:
    with factory() as db:
        return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_one_user_email_created_at_once_makes_one_user(factory: sessionmaker[Db]) -> None:
    email = "race-user@example.com"
    outcomes = at_once(
        factory,
        lambda db: access.create_user(db, email, "Race User", "quartz-zebra-lantern-91", None),
    )
    one_winner(outcomes, "A user with this email exists.")
    assert count(factory, User, User.email == email) == 1
    assert count(factory, Person, Person.email == email) == 1  # no loser's person left


def test_one_profile_name_saved_at_once_makes_one_profile(factory: sessionmaker[Db]) -> None:
    outcomes = at_once(
        factory, lambda db: access.save_profile(db, None, "Race profile", [access.REMOTE_APPS])
    )
    one_winner(outcomes, "Another profile has this name.")
    assert count(factory, AccessProfile, AccessProfile.name == "Race profile") == 1


def test_one_app_id_created_at_once_makes_one_app(factory: sessionmaker[Db]) -> None:
    with factory() as db:
        admin = db.scalars(select(User).where(User.email == "admin@example.com")).one()

    def create(db: Db) -> RemoteApp:
        form = app_settings.AppForm(app_id="raceapp", name="Race App", admins=[admin.id])
        return app_settings.save(db, form, create=True)

    one_winner(at_once(factory, create), "An application with this ID exists.")
    assert count(factory, RemoteApp, RemoteApp.id == "raceapp") == 1
    assert count(factory, app_admins, app_admins.c.app_id == "raceapp") == 1


def test_one_app_saved_at_once_takes_turns(factory: sessionmaker[Db]) -> None:
    """Edits of one app at once (a double click on Save), half adding an agent and half
    removing it: each wrote the lists read before the others committed, and failed on a
    row another had added (IntegrityError) or removed (StaleDataError), a 500 (helper-80's
    review). Now they take turns on the app's row: every save succeeds."""
    with factory() as db:
        admin = db.scalars(select(User).where(User.email == "admin@example.com")).one()
        agent = db.scalars(select(User).where(User.email == "agent@example.com")).one()
        admin_id, agent_id = admin.id, agent.id
        app_settings.save(
            db, app_settings.AppForm(app_id="turns", name="Turns", admins=[admin_id]), create=True
        )
    turn = iter(range(THREADS))
    lock = threading.Lock()

    def edit(db: Db) -> str:
        with lock:
            adds = next(turn) % 2 == 0
        agents = [agent_id] if adds else []
        form = app_settings.AppForm(app_id="turns", name="Turns", admins=[admin_id], agents=agents)
        return app_settings.save(db, form, create=False).id

    outcomes = at_once(factory, edit)
    assert outcomes == ["turns"] * THREADS, [o for o in outcomes if o != "turns"][:3]
    assert count(factory, app_admins, app_admins.c.app_id == "turns") == 1


def test_watching_one_client_at_once_is_one_watch(factory: sessionmaker[Db]) -> None:
    with factory() as db:
        user = db.scalars(select(User).where(User.email == "agent@example.com")).one()
        client = db.scalars(select(Person).where(Person.profile_type == 2)).first()
        assert client is not None
        user_id, person_id = user.id, client.id
    outcomes = at_once(factory, lambda db: online_watch.watch(db, SETTINGS, user_id, person_id))
    assert outcomes == [None] * THREADS, [o for o in outcomes if o is not None][:3]
    assert count(factory, OnlineWatch) == 1
    with factory() as db:
        online_watch.watch(db, SETTINGS, user_id, person_id)  # and once more, later
    assert count(factory, OnlineWatch) == 1


def test_a_new_device_registering_at_once_gets_one_presence(factory: sessionmaker[Db]) -> None:
    device_id = "device-race-" + device()

    def register(db: Db) -> tuple[str, str]:
        app = db.get(RemoteApp, "demo")
        assert app is not None
        customer, key = presence_service.register(db, SETTINGS, app, device_id, FIELDS, {})
        return customer.partner_id, key

    outcomes = at_once(factory, register)
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert not failed, failed[:3]
    answers: list[Any] = outcomes
    assert len({partner_id for partner_id, _ in answers}) == 1  # one stable partner ID
    assert count(factory, Presence, Presence.device_id == device_id) == 1
    with factory() as db:
        stored = db.scalars(select(Presence).where(Presence.device_id == device_id)).one()
    assert stored.partner_id == answers[0][0]
    # the last registration's key is the valid one, as with registrations one by one
    assert stored.key_hash in {sha256_hex(key) for _, key in answers}


def test_lock_row_makes_a_read_then_write_one_step(factory: sessionmaker[Db]) -> None:
    """``helpdesk.db.lock_row``'s own contract, which the ticket's action numbers, a
    customer's one session and an app's saves rely on: 20 read-add-write steps at once,
    each after taking the row, lose none of the 20 increments."""
    device_id = "device-lock-" + device()
    with factory() as db:
        app = db.get(RemoteApp, "demo")
        assert app is not None
        customer, _ = presence_service.register(db, SETTINGS, app, device_id, FIELDS, {})
        presence_id = customer.id
        db.commit()

    def increment(db: Db) -> None:
        lock_row(db, Presence, presence_id)
        found = db.get(Presence, presence_id)
        assert found is not None
        found.failures += 1
        db.commit()

    outcomes = at_once(factory, increment)
    assert outcomes == [None] * THREADS
    with factory() as db:
        found = db.get(Presence, presence_id)
        assert found is not None
        assert found.failures == THREADS
        lock_row(db, Presence, -1)  # a missing row locks nothing, and is no error
        db.rollback()


def test_a_new_device_registering_at_once_over_http_gets_one_id(server: Server) -> None:
    """The same through the real server (POST /api/presence): 20 answers 200, one ID."""
    device_id = "device-pg-race-" + device()
    start = threading.Barrier(THREADS)
    outcomes: list[object] = []

    def run() -> None:
        client = HelpdeskClient(server.http_url, timeout_s=30)
        try:
            start.wait()
            outcomes.append(client.register("demo", device_id, FIELDS).partner_id)
        except Exception as exc:  # (checked below)
            outcomes.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=run, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BOUND_S)
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert not failed, failed[:3]
    assert len(outcomes) == THREADS and len(set(outcomes)) == 1, outcomes
