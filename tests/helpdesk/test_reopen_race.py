"""A reopen racing a new connect to the same customer, on PostgreSQL's row locks.

The reviewer's find: ``relay_dating.reopenable`` read the customer's other open sessions
without holding the customer's presence row, which ``sessions.connect`` holds while it
offers a new session. With two server processes, a relay's word that an expired offer
runs (its "connected" report, or a heartbeat listing it) and an agent's new connect to
the same customer each missed the other's uncommitted session: the customer was left
with the reopened session and a new offer. Now the reopen takes the presence row after
the session's, so it waits for the connect and sees its offer (the connect never waits
for a session's row while it holds the presence: docs/server.md, "Lock order").

Two real transactions on threads: the "connect" holds the presence row (as
``sessions.connect`` does, ``lock_row``) and has added its offer; the relay's report
runs into it. SQLite has one writer at a time: no such race there."""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import sessionmaker

from helpdesk.db import lock_row
from helpdesk.lifecycle import State
from helpdesk.models import Presence, RemoteSession
from helpdesk.services import relay_events
from remotewire import constants as c
from tests.helpdesk.test_end_race import (
    BOUND_S,
    NOW,
    blocked_or_done,
    factory,
    online_customer,
)

__all__ = ["factory"]  # (the fixture, from test_end_race)
LAPSE_S = 600.0
EXPIRED_AT = NOW - timedelta(seconds=5)  # within a relay lapse: reopenable but for the race


def _expired_offer(factory: sessionmaker[Db]) -> tuple[int, int]:
    """A customer whose offer expired as not joined 5 s ago: (presence id, agent id)."""
    with factory() as db:
        customer, agent = online_customer(db)
        db.add(_offer("old", customer.id, agent.id, State.ENDED))
        db.commit()
        return customer.id, agent.id


def _offer(sid: str, presence_id: int, agent_id: int, state: State) -> RemoteSession:
    ended = state is State.ENDED
    return RemoteSession(
        id=sid, app_id="demo", presence_id=presence_id, agent_id=agent_id, via="password",
        state=state.value, relay_address="127.0.0.1:1", customer_token="t",
        expires_at=EXPIRED_AT if ended else NOW + timedelta(minutes=2),
        waiting_since=NOW, offered_at=EXPIRED_AT - timedelta(minutes=2),
        ended_at=EXPIRED_AT if ended else None,
        end_reason=c.END_NOT_JOINED if ended else None,
    )  # fmt: skip


def _report(event: str) -> dict[str, Any]:
    if event == "heartbeat":
        return {"event": "heartbeat", "relay_id": "r1", "running": ["old"]}
    return {"event": "connected", "relay_id": "r1", "session_id": "old"}


@pytest.mark.parametrize("delivered", [True, False])
@pytest.mark.parametrize("event", ["connected", "heartbeat"])
def test_a_reopen_waits_for_a_connect_holding_the_customer(
    factory: sessionmaker[Db], event: str, delivered: bool
) -> None:
    """The report waits for the connect and sees its offer: one the customer's poll took
    (``delivered``) stands, and the expired one stays ended; one it did not take (the
    customer, in the session the relay says runs, polls for none) is withdrawn
    (``customer-busy``) and the session reopened. Never both open."""
    presence_id, agent_id = _expired_offer(factory)
    settings: Any = SimpleNamespace(
        clock=SimpleNamespace(now=lambda: NOW), relay_lapse_s=LAPSE_S, token_ttl_s=120
    )
    answers: list[object] = []
    reported = threading.Event()

    def relay_word() -> None:
        try:
            with factory() as db:
                answers.append(relay_events.report(db, settings, **_report(event)))
        except Exception as exc:  # (reported by the test below)
            answers.append(exc)
        finally:
            reported.set()

    with factory() as connecting:  # ``sessions.connect``'s steps, its commit held back
        lock_row(connecting, Presence, presence_id)
        offer = _offer("new", presence_id, agent_id, State.OFFERED)
        offer.offer_delivered = delivered
        connecting.add(offer)
        connecting.flush()
        reporter = threading.Thread(target=relay_word, daemon=True)
        reporter.start()
        # the report waits for the presence row (fixed), or is done without it (the race)
        blocked_or_done(factory, reported)
        connecting.commit()
    reporter.join(BOUND_S)
    assert not reporter.is_alive()
    assert len(answers) == 1 and not isinstance(answers[0], Exception), answers
    with factory() as db:
        old, new = db.get(RemoteSession, "old"), db.get(RemoteSession, "new")
        assert old is not None and new is not None
        if delivered:
            assert (old.state, old.end_reason) == (State.ENDED.value, c.END_NOT_JOINED)
            assert new.state == State.OFFERED.value
        else:
            assert (old.state, old.end_reason) == (State.CONNECTED.value, None)
            assert (new.state, new.end_reason) == (State.ENDED.value, c.END_CUSTOMER_BUSY)
    answer = answers[0]
    assert isinstance(answer, dict)
    ended = [e["session_id"] for e in answer["ended"]]
    assert ("old" in ended) is delivered  # the relay closes it, or keeps it running
