"""The relay's list of ended sessions is paged by (ended_at, id): a sweep ends many
offers at one instant, and a cursor of the time alone handed out the same full page
forever, so the relay never heard of the sessions behind it (a frozen test clock showed
it: every session of a run ends at the same instant)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from helpdesk.db import db_factory, make_engine, migrate
from helpdesk.demo import seed
from helpdesk.lifecycle import State
from helpdesk.models import Presence, RemoteSession, User
from helpdesk.services import relay_events

NOW = datetime(2026, 11, 30, 12, 0, 0)


def test_a_full_page_of_ends_at_one_instant_is_paged_past(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(relay_events, "MAX_ENDED_PER_ANSWER", 3)
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        migrate(engine)
        factory = db_factory(engine)
        seed(factory)
        with factory() as db:
            agent = db.scalars(select(User)).first()
            assert agent is not None
            presence = Presence(
                device_id="d",
                partner_id="123456789",
                app_id="demo",
                key_hash="k" * 64,
                password="abcdef",
                filled={},
            )
            db.add(presence)
            db.flush()
            ended_at = NOW - timedelta(seconds=30)
            for i in range(8):  # 8 ends at one instant: pages of 3, 3, 2
                db.add(
                    RemoteSession(
                        id=f"s{i:02d}",
                        app_id="demo",
                        presence_id=presence.id,
                        agent_id=agent.id,
                        via="queue",
                        state=State.ENDED.value,
                        end_reason="not-joined",
                        relay_address="127.0.0.1:1",
                        customer_token="t",
                        expires_at=ended_at,
                        waiting_since=ended_at,
                        offered_at=ended_at,
                        ended_at=ended_at,
                    )
                )
            db.commit()
            settings = SimpleNamespace(token_ttl_s=120)
            seen: list[str] = []
            cursor: str | None = None
            for _ in range(5):
                ended, cursor = relay_events.ended_for(db, settings, "r1", cursor, NOW)  # type: ignore[arg-type]
                seen += [e["session_id"] for e in ended]
                if len(ended) < 3:
                    break
            assert sorted(set(seen)) == [f"s{i:02d}" for i in range(8)]
            assert len(seen) == 8  # each once: pages after a full one start past it
            # the answer after the last page goes back to a time cursor with the slack
            again, _ = relay_events.ended_for(db, settings, "r1", cursor, NOW)  # type: ignore[arg-type]
            assert len(again) <= 3
    finally:
        engine.dispose()
