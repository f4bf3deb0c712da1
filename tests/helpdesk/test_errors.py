"""Every refusal carries a stable ``code`` next to its ``detail``, and the codes are the
ones docs/ documents."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests

from remoteapp.net.helpdesk import ErrorCode, HelpdeskClient, NotAllowed
from tests.helpdesk.conftest import device
from tests.helpdesk.server_process import Server

DOCS = Path(__file__).resolve().parents[2] / "docs"


def call(server: Server, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, server.http_url + path, timeout=10, **kwargs)


def refusal(response: requests.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["code"], body["detail"]


def test_refusals_carry_status_code_and_message(server: Server, agent: HelpdeskClient) -> None:
    bearer = {"Authorization": f"Bearer {agent.bearer}"}
    assert refusal(call(server, "GET", "/api/me")) == (
        401,
        "missing-bearer-token",
        "missing bearer token",
    )
    assert refusal(call(server, "GET", "/api/me", headers={"Authorization": "Bearer x.y"}))[:2] == (
        401,
        "invalid-bearer-token",
    )
    assert refusal(call(server, "GET", "/api/apps/nope")) == (
        404,
        "unknown-app",
        "No such remote-access app.",
    )
    assert refusal(call(server, "GET", "/api/apps/demo/indicators", headers=bearer))[:2] == (
        403,
        "not-app-admin",
    )
    assert refusal(call(server, "GET", "/api/sessions/nope", headers=bearer))[:2] == (
        404,
        "unknown-session",
    )
    assert refusal(call(server, "POST", "/api/sessions", json={}, headers=bearer))[:2] == (
        422,
        "invalid-input",
    )
    assert refusal(call(server, "GET", "/no/such/path"))[:2] == (404, "unknown-route")
    assert refusal(call(server, "DELETE", "/api/me"))[:2] == (405, "method-not-allowed")
    assert refusal(call(server, "GET", "/public/v1/tickets", params={"token": "x"}))[:2] == (
        401,
        "bad-api-token",
    )


def test_validation_errors_keep_their_readable_detail(server: Server) -> None:
    response = call(server, "POST", "/api/presence", json={"app_id": "demo", "device_id": "x"})
    status, code, detail = refusal(response)
    assert (status, code) == (422, "invalid-input")
    assert detail.startswith("device_id: ") and "8 characters" in detail
    assert response.json()["errors"]  # FastAPI's list, for tools


def test_the_client_reads_the_code(server: Server, customer: HelpdeskClient) -> None:
    brute = HelpdeskClient(server.http_url)
    brute.login("both@example.com", "both-pass")
    reg = customer.register("demo", device(), {"name": "Coded Cora", "email": "c@x.example"})
    with pytest.raises(NotAllowed) as wrong:
        brute.connect(reg.partner_id, "not-the-password")
    assert wrong.value.code == ErrorCode.WRONG_PARTNER_PASSWORD
    brute.close()


def documented_codes() -> dict[str, str]:
    """``code -> status`` from every table row ``| `code` | status | ... |`` in docs/."""
    rows: dict[str, str] = {}
    for doc in sorted(DOCS.glob("*.md")):
        row = r"^\| `([a-z][a-z-]*)` \| (\d{3}[^|]*|other 4xx) \|"
        for code, status in re.findall(row, doc.read_text(), flags=re.MULTILINE):
            rows[code] = status
    return rows


def test_every_code_is_documented_and_every_documented_code_exists() -> None:
    documented = documented_codes()
    codes = {c.value for c in ErrorCode}
    missing = sorted(codes - set(documented))
    assert not missing, f"add a row '| `code` | status | when |' to docs/ for: {missing}"
    assert not sorted(set(documented) - codes), "documented codes that do not exist"


def test_a_429_keeps_retry_after(server: Server) -> None:
    login = {"email": f"nobody-{device()}@example.com", "password": "guess"}
    for _ in range(6):
        assert refusal(call(server, "POST", "/api/login", json=login))[:2] == (401, "wrong-login")
    blocked = call(server, "POST", "/api/login", json=login)
    status, code, detail = refusal(blocked)
    assert (status, code) == (429, "too-many-failed-logins")
    assert detail == f"too many failed logins; try again in {blocked.headers['Retry-After']} s"
    assert int(blocked.headers["Retry-After"]) >= 1
