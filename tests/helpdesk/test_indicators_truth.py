"""The administrator's figures, checked against sessions whose truth is known by
construction, on SQLite and PostgreSQL (helper-103's review of the monitoring page):

- "today" and the daily chart are the desk's days (``REMOTEAPP_TIME_ZONE``, São Paulo
  by default), not UTC's: at 22:30 in Brazil the evening's sessions were "yesterday";
- durations are of ended sessions: one left open for 17 hours made the mean 3 hours;
- two agents of one name are two rows;
- an offer declined or never joined keeps the customer's wait and place in the queue;
- an offered session is listed as connecting (it was in neither list), and the count
  of sessions in progress is all of them, past the listing's cap.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import sessionmaker

from helpdesk import lifecycle
from helpdesk.admin import add_user
from helpdesk.clock import Clock, day_start
from helpdesk.db import db_factory, make_engine, migrate
from helpdesk.demo import seed
from helpdesk.lifecycle import Event, State
from helpdesk.models import Presence, RemoteSession, User
from helpdesk.security import sha256_hex
from helpdesk.services import apps
from helpdesk.services.indicators import indicators
from helpdesk.services.monitoring import daily_sessions
from helpdesk.settings import BadTimeZone, Settings, desk_zone
from tests.postgres import new_database

NOW = datetime(2026, 12, 7, 1, 30)  # UTC: 22:30 on Dec 6 in São Paulo
_ids = itertools.count(1)


class Fixed(Clock):
    def time(self) -> float:
        return NOW.replace(tzinfo=UTC).timestamp()

    def now(self) -> datetime:
        return NOW


def settings(zone: str = "America/Sao_Paulo") -> Settings:
    return Settings(secret=b"s" * 32, clock=Fixed(), time_zone=zone)


@pytest.fixture(params=["sqlite", "postgresql"])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Db]]:
    if request.param == "postgresql":
        url = new_database(request.getfixturevalue("postgres_cluster"))
    else:
        url = f"sqlite:///{tmp_path / 'helpdesk.sqlite3'}"
    engine = make_engine(url)
    try:
        migrate(engine)
        made = db_factory(engine)
        seed(made)
        yield made
    finally:
        engine.dispose()


def customer(db: Db, waiting_since: datetime = NOW) -> Presence:
    n = next(_ids)
    found = Presence(
        device_id=f"d{n}", partner_id=f"{100000000 + n}", app_id="demo",
        key_hash=sha256_hex(f"k{n}"), password="abcdef", failures=0,
        filled={"name": f"Cliente {n}"}, waiting_since=waiting_since, last_seen=NOW,
    )  # fmt: skip
    db.add(found)
    db.flush()
    return found


def session(
    db: Db,
    agent: int,
    connected: datetime | None,
    ended: datetime | None = None,
    waited_s: float = 60,
) -> RemoteSession:
    offered = (connected or NOW) - timedelta(seconds=5)
    since = offered - timedelta(seconds=waited_s)
    state = State.ENDED if ended else State.CONNECTED if connected else State.OFFERED
    found = RemoteSession(
        id=f"s{next(_ids)}", app_id="demo", presence_id=customer(db, since).id,
        agent_id=agent, via="password", state=state.value, relay_address="127.0.0.1:1",
        customer_token="t", expires_at=offered + timedelta(minutes=2), waiting_since=since,
        offered_at=offered, connected_at=connected, ended_at=ended,
        end_reason="agent-left" if ended else None,
    )  # fmt: skip
    db.add(found)
    db.flush()
    return found


def demo_agent(db: Db) -> int:
    agent = db.scalar(select(User.id).where(User.email == "agent@demo.local"))
    if agent is None:
        agent = db.scalar(select(User.id).order_by(User.id))
    assert agent is not None
    return agent


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute)  # UTC


def test_today_and_the_chart_are_the_desks_days(factory: sessionmaker[Db]) -> None:
    with factory() as db:
        agent = demo_agent(db)
        # 20:50 and 21:20 on Dec 6 in São Paulo (23:50 and 00:20 UTC): today there
        session(db, agent, at(6, 23, 50), at(7, 0, 5))
        session(db, agent, at(7, 0, 20), at(7, 0, 40))
        # 23:00 on Dec 5 in São Paulo (02:00 on Dec 6, UTC): yesterday there
        session(db, agent, at(6, 2), at(6, 2, 30))
        db.commit()
        brazil = indicators(db, settings(), "demo")
        chart = dict(daily_sessions(db, settings(), "demo", NOW))
        utc = indicators(db, settings("UTC"), "demo")
        utc_chart = dict(daily_sessions(db, settings("UTC"), "demo", NOW))
    assert brazil["sessions_today"] == 2 and brazil["sessions_7_days"] == 3
    assert list(chart)[-1] == "2026-12-06" and len(chart) == 30
    assert (chart["2026-12-06"], chart["2026-12-05"]) == (2, 1)
    # a desk on UTC (REMOTEAPP_TIME_ZONE=UTC) keeps UTC's days
    assert utc["sessions_today"] == 1
    assert list(utc_chart)[-1] == "2026-12-07"
    assert (utc_chart["2026-12-07"], utc_chart["2026-12-06"]) == (1, 2)


def test_durations_are_of_ended_sessions(factory: sessionmaker[Db]) -> None:
    with factory() as db:
        agent = demo_agent(db)
        session(
            db, agent, NOW - timedelta(hours=2), NOW - timedelta(hours=2) + timedelta(minutes=10)
        )
        session(db, agent, NOW - timedelta(hours=17))  # still open, for 17 hours
        db.commit()
        found = indicators(db, settings(), "demo")
    assert found["average_duration_s"] == 600.0 and found["total_duration_s"] == 600.0
    assert found["sessions_in_progress"] == 1 and found["sessions_7_days"] == 2


def test_an_app_with_no_session_has_no_averages(factory: sessionmaker[Db]) -> None:
    with factory() as db:
        found = indicators(db, settings(), "demo")
    assert found["average_duration_s"] is None and found["average_queue_wait_s"] is None
    assert found["sessions_per_agent"] == {} and found["total_duration_s"] == 0


def test_two_agents_of_one_name_are_two_rows(factory: sessionmaker[Db]) -> None:
    first = add_user(
        factory, "carlos1@example.com", "Carlos Silva", "pass-one-1", agent_of=["demo"]
    )
    second = add_user(
        factory, "carlos2@example.com", "Carlos Silva", "pass-two-2", agent_of=["demo"]
    )
    ana = add_user(factory, "ana@example.com", "Ana", "pass-ana-3", agent_of=["demo"])
    with factory() as db:
        for agent in (first, second, ana, ana):
            session(db, agent, NOW - timedelta(hours=1), NOW - timedelta(minutes=50))
        db.commit()
        found = indicators(db, settings(), "demo")
    assert list(found["sessions_per_agent"].items()) == [
        ("Ana", 2),
        ("Carlos Silva (carlos1@example.com)", 1),
        ("Carlos Silva (carlos2@example.com)", 1),
    ]


@pytest.mark.parametrize(
    ("connected", "event", "kept"),
    [
        (False, Event.PARTY_ENDED, True),  # the customer declined the offer
        (False, Event.NOT_JOINED, True),  # the agent's app never joined
        (True, Event.PARTY_ENDED, False),  # served: waiting anew from the end
    ],
)
def test_an_offer_that_never_connected_keeps_the_wait(
    factory: sessionmaker[Db], connected: bool, event: Event, kept: bool
) -> None:
    waited = NOW - timedelta(minutes=10)
    with factory() as db:
        found = session(db, demo_agent(db), NOW - timedelta(minutes=1) if connected else None)
        found.presence.waiting_since = waited
        assert lifecycle.apply(found, event, NOW)
        assert found.presence.waiting_since == (waited if kept else NOW)


def test_offered_sessions_are_listed_and_all_are_counted(
    factory: sessionmaker[Db], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apps, "MAX_IN_PROGRESS", 2)
    with factory() as db:
        agent = demo_agent(db)
        session(db, agent, None)  # offered a second ago: connecting
        session(db, agent, NOW - timedelta(minutes=3))
        session(db, agent, NOW - timedelta(minutes=9))
        db.commit()
        user = db.get(User, agent)
        assert user is not None
        listed = apps.in_progress(db, settings(), "demo", user)
        total = apps.in_progress_count(db, "demo")
    assert [(s.connecting, s.duration_s) for s in listed] == [(False, 540), (False, 180)]
    assert total == 3
    monkeypatch.setattr(apps, "MAX_IN_PROGRESS", 10)
    with factory() as db:
        user = db.get(User, agent)
        assert user is not None
        listed = apps.in_progress(db, settings(), "demo", user)
    assert [s.connecting for s in listed] == [False, False, True]


def test_a_day_without_midnight_begins_at_its_first_hour() -> None:
    """Brazil's DST began at 00:00 until 2019: 4 Nov 2018 had no midnight."""
    brazil = ZoneInfo("America/Sao_Paulo")
    assert day_start(datetime(2018, 11, 4, 15, 0), brazil) == datetime(2018, 11, 4, 3, 0)
    assert day_start(datetime(2026, 12, 7, 2, 59), brazil) == datetime(2026, 12, 6, 3, 0)
    assert day_start(datetime(2026, 12, 7, 3, 0), brazil, 1) == datetime(2026, 12, 6, 3, 0)


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "", "UTC+3"])
def test_an_unknown_zone_is_refused_in_words(name: str) -> None:
    with pytest.raises(BadTimeZone, match="REMOTEAPP_TIME_ZONE"):
        desk_zone(name)
