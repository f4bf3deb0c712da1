""" "Notify me when the customer is available for connection": a console user asks to be
told when a client's app comes online; each console page's event stream asks ``fire``
which watches came true (and forgets them: one notification per request)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db

from helpdesk.console.i18n import N_
from helpdesk.db import insert_unless_exists
from helpdesk.errors import NotFound
from helpdesk.models import OnlineWatch, Person, Presence, Ticket, ticket_clients
from helpdesk.settings import Settings
from remotewire.error_codes import ErrorCode


def watch(db: Db, settings: Settings, user_id: int, person_id: int) -> None:
    """Idempotent: watching twice, even at the same moment (a double click), is one
    watch. A read-then-insert raced there (a duplicate key: a 500); the
    insert now does nothing if the watch exists, on both databases."""
    if db.get(Person, person_id) is None:
        raise NotFound(ErrorCode.UNKNOWN_PERSON, N_("No such client."))
    row = {"user_id": user_id, "person_id": person_id, "created_at": settings.clock.now()}
    try:
        insert_unless_exists(db, OnlineWatch, row, [OnlineWatch.user_id, OnlineWatch.person_id])
        db.commit()
    except IntegrityError as exc:  # the client was deleted since the check
        db.rollback()
        raise NotFound(ErrorCode.UNKNOWN_PERSON, N_("No such client.")) from exc


def unwatch(db: Db, user_id: int, person_id: int) -> None:
    found = db.get(OnlineWatch, (user_id, person_id))
    if found is not None:
        db.delete(found)
        db.commit()


def fire(db: Db, settings: Settings, user_id: int) -> list[dict[str, Any]]:
    """The watched clients of ``user_id`` now online: ``{name, person_id, ticket}``."""
    fresh = settings.clock.now() - timedelta(seconds=settings.presence_lapse_s)
    rows = db.execute(
        select(OnlineWatch, Person.business_name)
        .join(Person, Person.id == OnlineWatch.person_id)
        .join(Presence, Presence.person_id == OnlineWatch.person_id)
        .where(OnlineWatch.user_id == user_id, Presence.last_seen >= fresh)
    ).all()
    fired = []
    for found, name in {row[0].person_id: row for row in rows}.values():
        ticket = db.scalar(
            select(Ticket.id)
            .join(ticket_clients, ticket_clients.c.ticket_id == Ticket.id)
            .where(ticket_clients.c.person_id == found.person_id)
            .order_by(Ticket.last_update.desc())
            .limit(1)
        )
        fired.append({"name": name, "person_id": found.person_id, "ticket": ticket})
        db.delete(found)
    if fired:
        db.commit()
    return fired
