"""Relay reports: authenticated, and heartbeats repair state when a report was lost."""

from __future__ import annotations

from typing import Any

import requests

from remoteapp.net.helpdesk import HelpdeskClient
from remotewire.shared_secret import report_key
from tests.helpdesk.conftest import SECRET, device
from tests.helpdesk.server_process import Server


def report(server: Server, payload: dict[str, Any], key: str | None = None) -> int:
    response = requests.post(
        f"{server.http_url}/relay/events",
        json=payload,
        timeout=10,
        headers={"X-Relay-Secret": key or report_key(SECRET.encode())},
    )
    return response.status_code


def test_reports_need_the_derived_key_not_the_signing_secret(server: Server) -> None:
    heartbeat = {"event": "heartbeat", "relay_id": "r", "sessions": []}
    assert report(server, heartbeat, "wrong") == 401
    assert report(server, heartbeat, SECRET) == 401
    assert report(server, heartbeat) == 200


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
