"""Races around a withdrawn offer and a corrected end, on PostgreSQL's row locks
(helper-129's review of b17c655 and 7eae26f).

- A poll read the customer's undelivered offer, then marked it delivered with an update
  on its id alone: a reopen that withdrew the offer in between (``customer-busy``,
  ``relay_dating._make_way``) was overwritten, and the customer was handed an ended
  offer while its old session was reopened. The poll's update is now conditional.
- The relay's own end of a ``relay-lost`` session moves the customer's wait to the
  corrected end only while the stamp still set it (``lifecycle.correct``); it compared
  an unlocked read, so a party's end of the customer's next session, not yet committed,
  was overwritten. The report now holds the customer's row first.

Real transactions on threads, as in test_end_race and test_reopen_race."""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, sessionmaker
from sqlalchemy.orm import Session as Db

from helpdesk import lifecycle
from helpdesk.lifecycle import Event, State
from helpdesk.models import Presence, RemoteSession
from helpdesk.services import presence as presence_service
from helpdesk.services import relay_events
from remotewire import constants as c
from tests.helpdesk.test_end_race import (
    BOUND_S,
    KEY,
    NOW,
    blocked_or_done,
    factory,
    online_customer,
)

__all__ = ["factory"]  # (the fixture, from test_end_race)
SETTINGS: Any = SimpleNamespace(
    clock=SimpleNamespace(now=lambda: NOW), relay_lapse_s=600.0, token_ttl_s=120
)


def _session(sid: str, presence_id: int, agent_id: int, state: State, **more: Any) -> RemoteSession:
    fields: dict[str, Any] = {
        "id": sid, "app_id": "demo", "presence_id": presence_id, "agent_id": agent_id,
        "via": "password", "state": state.value, "relay_address": "127.0.0.1:1",
        "customer_token": "t", "expires_at": NOW + timedelta(minutes=2),
        "waiting_since": NOW, "offered_at": NOW - timedelta(minutes=30), **more,
    }  # fmt: skip
    return RemoteSession(**fields)


def test_a_poll_does_not_hand_over_an_offer_a_reopen_withdrew_meanwhile(
    factory: sessionmaker[Db],
) -> None:
    """The poll has read the undelivered offer; before it marks it delivered, the relay's
    heartbeat reopens the customer's old session and withdraws the offer (committed)."""
    with factory() as db:
        customer, agent = online_customer(db)
        expired = NOW - timedelta(seconds=5)
        db.add(
            _session(
                "old", customer.id, agent.id, State.ENDED, expires_at=expired,
                ended_at=expired, end_reason=c.END_NOT_JOINED,
            )
        )  # fmt: skip
        db.add(_session("new", customer.id, agent.id, State.OFFERED))
        db.commit()
    answers: list[object] = []

    def heartbeat() -> None:
        with factory() as db:
            answers.append(
                relay_events.report(db, SETTINGS, event="heartbeat", relay_id="r1", running=["old"])
            )

    def polling() -> Db:
        db = factory()

        @event.listens_for(db, "do_orm_execute")
        def between_read_and_update(orm: ORMExecuteState) -> None:
            if orm.is_update and not answers:
                reporter = threading.Thread(target=heartbeat)
                reporter.start()
                reporter.join(BOUND_S)

        return db

    polled = presence_service.collect(polling, SETTINGS, "123456789", KEY)
    assert len(answers) == 1, answers
    with factory() as db:
        old, new = db.get(RemoteSession, "old"), db.get(RemoteSession, "new")
        assert old is not None and new is not None
        assert (old.state, new.state, new.end_reason) == ("connected", "ended", "customer-busy")
        assert not new.offer_delivered
    assert polled.offers == ()


def test_a_corrected_end_leaves_the_wait_of_a_party_end_racing_it(
    factory: sessionmaker[Db],
) -> None:
    """The old session was stamped ``relay-lost`` (the customer waiting from the stamp);
    its relay's own end arrives while a party ends the customer's next session, that
    end written but not committed: the report waits, and the next session's end
    (``NOW``) is the customer's wait, not the old one's corrected end."""
    stamp = NOW - timedelta(minutes=5)
    with factory() as db:
        customer, agent = online_customer(db)
        customer.waiting_since = stamp
        presence_id = customer.id
        db.add(
            _session(
                "old", presence_id, agent.id, State.ENDED, relay_id="r1",
                connected_at=NOW - timedelta(minutes=20), ended_at=stamp,
                end_reason=c.END_RELAY_LOST,
            )
        )  # fmt: skip
        db.add(
            _session(
                "next", presence_id, agent.id, State.CONNECTED, relay_id="r2",
                connected_at=NOW - timedelta(minutes=2),
            )
        )  # fmt: skip
        db.commit()
    answers: list[object] = []
    reported = threading.Event()

    def relay_end() -> None:
        sent = NOW.timestamp()
        try:
            with factory() as db:
                answers.append(
                    relay_events.report(
                        db, SETTINGS, event="ended", relay_id="r1", session_id="old",
                        reason=c.END_CUSTOMER_LEFT, sent=sent, ended_at=sent - 60,
                        received=NOW,
                    )
                )  # fmt: skip
        except Exception as exc:  # (reported by the test below)
            answers.append(exc)
        finally:
            reported.set()

    with factory() as ending:  # ``sessions.end_by_party``'s steps, its commit held back
        following = ending.get(RemoteSession, "next", with_for_update=True)
        assert following is not None
        lifecycle.apply(following, Event.PARTY_ENDED, NOW, reason="x")
        ending.flush()  # (the customer's row written: its wait from NOW)
        reporter = threading.Thread(target=relay_end, daemon=True)
        reporter.start()
        # the report waits for the customer's row (fixed), or is done without it (the race)
        blocked_or_done(factory, reported)
        ending.commit()
    reporter.join(BOUND_S)
    assert len(answers) == 1 and isinstance(answers[0], dict), answers
    with factory() as db:
        customer_row, old = db.get(Presence, presence_id), db.get(RemoteSession, "old")
        assert customer_row is not None and old is not None
        assert old.end_reason == c.END_CUSTOMER_LEFT  # (corrected)
        assert customer_row.waiting_since == NOW
