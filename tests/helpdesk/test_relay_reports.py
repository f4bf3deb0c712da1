"""Relay reports: signed, and heartbeats repair state when a report was lost."""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from remoteapp.net.helpdesk import HelpdeskClient
from remotewire.relay_reports import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_report
from tests.helpdesk.conftest import SECRET, device
from tests.helpdesk.server_process import Server


def signed(
    payload: dict[str, Any], secret: str = SECRET, at: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """A report's body and headers, signed as the relay signs them."""
    body = json.dumps(payload).encode()
    stamp = f"{time.time() if at is None else at:.6f}"
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign_report(secret.encode(), stamp, body),
    }
    return body, headers


def post(server: Server, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{server.http_url}/relay/events", data=body, headers=headers, timeout=10)


def report(server: Server, payload: dict[str, Any], secret: str = SECRET) -> int:
    return post(server, *signed(payload, secret)).status_code


def test_heartbeat_reconciles_lost_reports(
    server: Server, agent: HelpdeskClient, customer: HelpdeskClient
) -> None:
    reg = customer.register("demo", device(), {"name": "Lost Report", "email": "l@x.example"})
    grant = agent.connect(reg.partner_id, reg.password)
    # The "connected" report was lost, but the relay's heartbeat lists the session.
    assert (
        report(server, {"event": "heartbeat", "relay_id": "lossy", "sessions": [grant.session_id]})
        == 200
    )
    assert agent.session_state(grant.session_id).state == "connected"
    # The "ended" report was lost too; the next heartbeat no longer lists it.
    assert report(server, {"event": "heartbeat", "relay_id": "lossy", "sessions": []}) == 200
    final = agent.session_state(grant.session_id)
    assert (final.state, final.end_reason) == ("ended", "ended-unreported")
    # A late duplicate report does not change the recorded reason or time.
    assert (
        report(
            server,
            {
                "event": "ended",
                "relay_id": "lossy",
                "session_id": grant.session_id,
                "reason": "agent-left",
            },
        )
        == 200
    )
    assert agent.session_state(grant.session_id) == final


def test_an_unknown_relay_reason_is_recorded_as_relay_closed(
    server: Server, agent: HelpdeskClient, customer: HelpdeskClient
) -> None:
    """End reasons are the shared constants; a relay that reports something else (an
    older relay's "closed") ends the session as ``relay-closed``."""
    reg = customer.register("demo", device(), {"name": "Odd Reason", "email": "o@x.example"})
    grant = agent.connect(reg.partner_id, reg.password)
    ended = {"event": "ended", "relay_id": "odd", "session_id": grant.session_id}
    assert report(server, {**ended, "reason": "closed"}) == 200
    final = agent.session_state(grant.session_id)
    assert (final.state, final.end_reason) == ("ended", "relay-closed")
