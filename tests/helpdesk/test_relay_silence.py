"""The relay's row as every report marks it (``relay_dating.heard``), from helper-125's
review: two first reports of a relay never seen, taken at once by two transactions on
PostgreSQL, both answer (the second's duplicate insert was a 500); and a relay that keeps
flapping holds its first silence's reopen window for ``SILENCES_JOINED_S`` at most, not
for good."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import sessionmaker

from helpdesk.db import db_factory, make_engine, migrate
from helpdesk.models import RelayNode
from helpdesk.services import relay_events
from helpdesk.services.relay_dating import SILENCES_JOINED_S, heard
from tests.helpdesk.test_end_race import BOUND_S, NOW, _waiting_on_a_lock, factory

__all__ = ["factory"]
LAPSE_S = 20.0
SETTINGS: Any = SimpleNamespace(
    clock=SimpleNamespace(now=lambda: NOW),
    relay_lapse_s=LAPSE_S,
    token_ttl_s=120,
    presence_retention_s=10**9,
)


def test_two_first_reports_of_a_new_relay_both_answer(factory: sessionmaker[Db]) -> None:
    """The first report's transaction has inserted the relay's row, not yet committed;
    the second, racing it (a report slower than the relay's timeout), waits for it and
    answers instead of failing on the duplicate key."""
    out: list[object] = []

    def second() -> None:
        try:
            with factory() as db:
                out.append(
                    relay_events.report(
                        db, SETTINGS, event="heartbeat", relay_id="fresh", running=[]
                    )
                )
        except Exception as exc:  # (said in the assert below)
            out.append(exc)

    with factory() as first:
        heard(first, "fresh", NOW, LAPSE_S)
        first.flush()
        thread = threading.Thread(target=second, daemon=True)
        thread.start()
        for _ in range(int(BOUND_S / 0.01)):  # until the second waits for the first
            thread.join(0.01)
            if not thread.is_alive() or _waiting_on_a_lock(factory, 0):
                break
        first.commit()
    thread.join(BOUND_S)
    assert len(out) == 1 and isinstance(out[0], dict), out
    with factory() as db:
        assert db.get(RelayNode, "fresh") is not None


def test_a_flapping_relay_holds_its_first_silence_an_hour_at_most(tmp_path: Path) -> None:
    """Silent past the lapse, back for half a lapse, again and again: each silence
    begins within a lapse of the last return, so the silences count as one (an expiry in
    the first stays reopenable) — until ``SILENCES_JOINED_S``; then the window counts
    from the latest silence only."""
    engine = make_engine(f"sqlite:///{tmp_path / 'flap.sqlite3'}")
    try:
        migrate(engine)
        made = db_factory(engine)
        at = NOW

        def report() -> RelayNode:
            with made() as db:
                node = heard(db, "flap", at, LAPSE_S)
                db.commit()
                return node

        report()
        first_heard = at
        marks = []
        while at - first_heard < timedelta(seconds=SILENCES_JOINED_S + 10 * LAPSE_S):
            at += timedelta(seconds=1.5 * LAPSE_S)  # silent
            node = report()  # back
            marks.append((at, node.silent_from))
            at += timedelta(seconds=0.5 * LAPSE_S)
            report()
        held = [since for when, since in marks if when - first_heard <= timedelta(seconds=3600)]
        assert set(held) == {first_heard}  # one silence, joined
        last_return, last_since = marks[-1]
        assert last_return - last_since <= timedelta(seconds=SILENCES_JOINED_S)
        assert last_since > first_heard
    finally:
        engine.dispose()
