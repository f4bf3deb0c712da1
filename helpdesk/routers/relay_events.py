"""``POST /relay/events``: the relay's reports (connected, ended, heartbeat), signed over
a timestamp and the body (``remotewire.relay_reports``); the answer lists the sessions the
relay must refuse or close."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Depends, Header, Request
from pydantic import Field, ValidationError

from helpdesk.deps import AppSettings, Db
from helpdesk.errors import InvalidInput
from helpdesk.inputs import Input
from helpdesk.services import relay_events
from remotewire.error_codes import ErrorCode

MAX_ENDED_AT = 1e11
"""Seconds since the epoch (year 5138), for ``ended_at`` and ``connected_at``: the bound
keeps the server's date arithmetic sane."""

router = APIRouter(prefix="/relay", tags=["relay"])


class RelayEventIn(Input):
    event: str = Field(max_length=40)
    relay_id: str = Field(max_length=40)
    session_id: str | None = Field(default=None, max_length=40)
    reason: str | None = Field(default=None, max_length=100)
    sessions: list[str] = Field(default_factory=list, max_length=100_000)
    ended_since: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=40)
    load: int | None = Field(default=None, ge=0, le=10_000_000)
    ended_at: float | None = Field(default=None, ge=0, le=MAX_ENDED_AT)
    """An "ended" report's: when the session ended, the relay's wall clock (absent from
    relays older than this field: the end is then recorded when the report arrives)."""
    connected_at: float | None = Field(default=None, ge=0, le=MAX_ENDED_AT)
    """A "connected" report's: when both sides were paired, the relay's wall clock (absent
    from relays older than this field: the connect is then recorded when it arrives)."""


class SignedReport(NamedTuple):
    report: RelayEventIn
    signature: str
    sent: float
    """The report's timestamp (seconds since the epoch)."""
    received: datetime
    """The server's clock when the report was read: a connect's or end's age counts from
    here, not from when a busy thread pool or database got to it."""


async def signed_report(
    request: Request,
    settings: AppSettings,
    x_relay_timestamp: Annotated[str | None, Header()] = None,
    x_relay_signature: Annotated[str | None, Header()] = None,
) -> SignedReport:
    """The report, once its signature, freshness and novelty are checked (on the event
    loop: cheap, and the one place the replay memory is touched)."""
    body = await request.body()
    state = request.app.state
    if not hasattr(state, "relay_reports_seen"):
        state.relay_reports_seen = relay_events.SeenReports()
    sent = relay_events.check_signature(
        settings, state.relay_reports_seen, x_relay_timestamp, x_relay_signature, body
    )
    assert x_relay_signature is not None  # checked above
    received = settings.clock.now()
    try:
        report = RelayEventIn.model_validate_json(body)
        return SignedReport(report, x_relay_signature, sent, received)
    except ValidationError as exc:
        raise InvalidInput(ErrorCode.INVALID_INPUT, "malformed relay report") from exc


@router.post("/events")
def relay_event(
    signed: Annotated[SignedReport, Depends(signed_report)], db: Db, settings: AppSettings
) -> dict[str, Any]:
    body = signed.report
    return relay_events.report(
        db,
        settings,
        event=body.event,
        relay_id=body.relay_id,
        session_id=body.session_id,
        reason=body.reason,
        running=body.sessions,
        ended_since=body.ended_since,
        address=body.address,
        region=body.region,
        load=body.load,
        signature=signed.signature,  # remembered in the database: every process refuses a replay
        sent=signed.sent,
        ended_at=body.ended_at,
        received=signed.received,
        connected_at=body.connected_at,
    )
