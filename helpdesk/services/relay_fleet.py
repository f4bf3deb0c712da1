"""Which relay a new session goes to, when several relays (processes or hosts) report to
the server.

Each relay's heartbeat carries the address apps reach it at (``remoteapp-relay
--public-address``), its region (``--region``) and its load; ``register`` keeps them on
its ``RelayNode``. A new session gets the live relay (heard from within
``relay_lapse_s``) of its app's region with the fewest open sessions in the database
(offered or connected: current between heartbeats and the same in every server
process), ties broken at random so concurrent offers spread; with no live relay in
the region, any live relay; with none at all, ``settings.relay_address`` (the embedded
relay, or ``--public-relay``). A relay that stops heartbeating gets no new sessions; the
sweeper ends its connected sessions as ``relay-lost`` (``relay_events.sweep``). A relay
that stops cleanly says so (``stopping``) and leaves the placement at once.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from helpdesk.errors import InvalidInput
from helpdesk.lifecycle import OPEN_STATES
from helpdesk.models import RelayNode, RemoteApp, RemoteSession
from helpdesk.settings import Settings
from remotewire.address import parse_relay_address
from remotewire.error_codes import ErrorCode

DEFAULT_REGION: Final = "default"
REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
"""A region's name: lower-case letters, digits and dashes (``eu-west``, ``br``)."""
MAX_LOAD: Final = 10_000_000


def check_region(region: str) -> str:
    if not REGION.fullmatch(region):
        raise InvalidInput(
            ErrorCode.INVALID_INPUT, "a region is 1-40 lower-case letters, digits or dashes"
        )
    return region


def register(node: RelayNode, address: str | None, region: str | None, load: int | None) -> None:
    """Record what a heartbeat says about its relay; a relay without an address (one
    that was given none) is kept for the sweeper but gets no sessions."""
    if address is not None:
        try:
            parse_relay_address(address)
        except ValueError as exc:
            raise InvalidInput(ErrorCode.INVALID_INPUT, "bad relay address") from exc
        node.address = address
    if region is not None:
        node.region = check_region(region)
    if load is not None:
        node.load = max(0, min(load, MAX_LOAD))


def stopping(node: RelayNode) -> None:
    """The relay is shutting down: no new sessions go there."""
    node.address = None
    node.load = 0


def place(db: Db, settings: Settings, app_id: str, now: datetime) -> str:
    """The relay address for a new session of ``app_id``'s customer (see the module)."""
    region = db.scalar(select(RemoteApp.region).where(RemoteApp.id == app_id))
    open_sessions = (
        select(RemoteSession.relay_address, func.count().label("n"))
        .where(RemoteSession.state.in_(OPEN_STATES))
        .group_by(RemoteSession.relay_address)
        .subquery()
    )
    rows = db.execute(
        select(RelayNode.address, RelayNode.region, func.coalesce(open_sessions.c.n, 0))
        .outerjoin(open_sessions, open_sessions.c.relay_address == RelayNode.address)
        .where(
            RelayNode.address.is_not(None),
            RelayNode.last_seen >= now - timedelta(seconds=settings.relay_lapse_s),
        )
    ).all()
    candidates = [row for row in rows if row[1] == (region or DEFAULT_REGION)] or rows
    if not candidates:
        return settings.relay_address
    fewest = min(row[2] for row in candidates)
    return str(random.choice([row[0] for row in candidates if row[2] == fewest]))
