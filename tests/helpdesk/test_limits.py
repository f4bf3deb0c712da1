"""Failure limits against a real server (issue 10 §3.3 and §3.4), on SQLite and PostgreSQL.

- Raced: 30 wrong logins or 40 wrong partner passwords sent at once are checked no more
  often than the limit allows (the attempt is reserved before the check).
- Scoped: one agent's (or one address's) guesses no longer lock the real agent or user
  out; an address has its own limit; a guesser spread over many accounts and addresses
  still meets the partner's ceiling.
- Timing: a login for an unknown email costs what a wrong password costs.

The clients here speak plain HTTP from chosen loopback addresses (127.0.0.x: Linux routes
all of 127/8 to lo), so each test is its own "source address". Only HTTP: the module runs
against an older server too, which is how the "before" figures in the report were taken.
"""

from __future__ import annotations

import secrets
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpdesk.admin import add_user
from helpdesk.db import db_factory, make_engine
from tests.helpdesk.conftest import db_args
from tests.helpdesk.server_process import Server, start_server

WINDOW_S = 60  # longer than any burst here takes, on a slow shared machine too
ENV = {"REMOTEAPP_RELAY_SECRET": secrets.token_hex(32), "REMOTEAPP_RATE_WINDOW_S": str(WINDOW_S)}
LIMIT = 6  # Settings.rate_max_failures
AGENT_PASSWORD = "limits-agent-pass"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("limits")
    server = start_server(data_dir, ENV, db_args(request), clocked=True)
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


def agents(server: Server, prefix: str, count: int) -> list[str]:
    """``count`` new agents of the demo app; their emails."""
    engine = make_engine(server.db_url)
    try:
        emails = [f"{prefix}-{i}@example.com" for i in range(count)]
        for email in emails:
            add_user(db_factory(engine), email, email, AGENT_PASSWORD, agent_of=["demo"])
        return emails
    finally:
        engine.dispose()


def client(server: Server, address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.http_url, transport=transport, timeout=60)


def bearer(server: Server, email: str, address: str) -> dict[str, str]:
    with client(server, address) as http:
        answer = http.post("/api/login", json={"email": email, "password": AGENT_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def customer(server: Server) -> dict[str, Any]:
    """A registered, online customer: partner_id and password."""
    with httpx.Client(base_url=server.http_url, timeout=30) as http:
        answer = http.post(
            "/api/presence",
            json={
                "app_id": "demo",
                "device_id": "lim-" + secrets.token_hex(8),
                "fields": {"name": "Limit Lia", "email": "lia@example.com"},
            },
        )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def at_once(count: int, call: Any) -> Counter[tuple[int, str]]:
    """``count`` calls released together; how many of each (status, code) came back."""
    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(lambda _: call(), range(count)))
    return Counter((a.status_code, a.json().get("code", "")) for a in answers)


def guess(
    server: Server, address: str, headers: dict[str, str], partner: str, password: str
) -> httpx.Response:
    with client(server, address) as http:
        return http.post(
            "/api/sessions", json={"partner_id": partner, "password": password}, headers=headers
        )


def login(server: Server, address: str, email: str, password: str) -> httpx.Response:
    with client(server, address) as http:
        return http.post("/api/login", json={"email": email, "password": password})


def test_concurrent_wrong_logins_are_checked_only_up_to_the_limit(server: Server) -> None:
    (email,) = agents(server, f"race-{secrets.token_hex(3)}", 1)  # a real account: argon2
    counts = at_once(30, lambda: login(server, "127.0.0.11", email, "wrong-guess"))
    print(f"30 concurrent wrong logins: {dict(counts)}")
    assert counts == {(401, "wrong-login"): LIMIT, (429, "too-many-failed-logins"): 30 - LIMIT}


def test_concurrent_partner_guesses_are_checked_only_up_to_the_limit(server: Server) -> None:
    (email,) = agents(server, f"racer-{secrets.token_hex(3)}", 1)
    headers = bearer(server, email, "127.0.0.12")
    partner = customer(server)["partner_id"]
    counts = at_once(40, lambda: guess(server, "127.0.0.12", headers, partner, "wrong"))
    print(f"40 concurrent partner guesses: {dict(counts)}")
    assert counts == {
        (403, "wrong-partner-password"): LIMIT,
        (429, "too-many-failed-attempts"): 40 - LIMIT,
    }


def test_one_agents_guesses_do_not_lock_the_real_agent_out(server: Server) -> None:
    guesser, real = agents(server, f"scope-{secrets.token_hex(3)}", 2)
    reg = customer(server)
    guesser_headers = bearer(server, guesser, "127.0.0.13")
    for _ in range(LIMIT):
        wrong = guess(server, "127.0.0.13", guesser_headers, reg["partner_id"], "wrong")
        assert wrong.json()["code"] == "wrong-partner-password"
    blocked = guess(server, "127.0.0.13", guesser_headers, reg["partner_id"], reg["password"])
    assert blocked.status_code == 429  # the guesser waits, even with the right password
    granted = guess(
        server, "127.0.0.14", bearer(server, real, "127.0.0.14"), reg["partner_id"], reg["password"]
    )
    assert granted.status_code == 200, granted.text  # the real agent is not locked out


def test_wrong_logins_from_elsewhere_do_not_lock_the_real_user_out(server: Server) -> None:
    (victim,) = agents(server, f"victim-{secrets.token_hex(3)}", 1)
    for _ in range(LIMIT):
        assert login(server, "127.0.0.15", victim, "guess-guess").status_code == 401
    assert login(server, "127.0.0.15", victim, AGENT_PASSWORD).status_code == 429
    assert login(server, "127.0.0.16", victim, AGENT_PASSWORD).status_code == 200


def test_one_address_trying_many_accounts_meets_its_own_limit(server: Server) -> None:
    per_address = LIMIT * 5
    counts = at_once(
        per_address + 10,
        lambda: login(server, "127.0.0.17", f"spray-{secrets.token_hex(6)}@example.com", "x"),
    )
    print(f"{per_address + 10} logins for distinct unknown emails from one address: {dict(counts)}")
    assert counts == {(401, "wrong-login"): per_address, (429, "too-many-failed-logins"): 10}


def test_a_guesser_spread_over_accounts_and_addresses_meets_the_partner_ceiling(
    server: Server,
) -> None:
    ceiling = LIMIT * 10
    crowd = agents(server, f"crowd-{secrets.token_hex(3)}", ceiling // LIMIT + 1)
    partner = customer(server)["partner_id"]
    for i, email in enumerate(crowd[:-1]):
        address = f"127.0.1.{i + 1}"
        headers = bearer(server, email, address)
        counts = at_once(LIMIT, lambda a=address, h=headers: guess(server, a, h, partner, "wrong"))
        assert counts == {(403, "wrong-partner-password"): LIMIT}
    late = guess(server, "127.0.1.200", bearer(server, crowd[-1], "127.0.1.200"), partner, "x")
    assert (late.status_code, late.json()["code"]) == (429, "too-many-failed-attempts")


def test_unknown_emails_take_as_long_as_wrong_passwords(server: Server) -> None:
    (known,) = agents(server, f"timing-{secrets.token_hex(3)}", 1)

    def took(email: str, address: str) -> float:
        start = time.perf_counter()
        assert login(server, address, email, "wrong-password").status_code == 401
        return time.perf_counter() - start

    known_s, unknown_s = [], []
    for i in range(LIMIT - 1):  # interleaved: the shared machine's noise hits both alike
        known_s.append(took(known, "127.0.0.18"))
        unknown_s.append(took(f"nobody-{secrets.token_hex(6)}@example.com", f"127.0.2.{i + 1}"))
    known_ms, unknown_ms = statistics.median(known_s) * 1e3, statistics.median(unknown_s) * 1e3
    print(
        f"login, median of {LIMIT - 1}: wrong password {known_ms:.0f} ms,"
        f" unknown email {unknown_ms:.0f} ms"
    )
    assert unknown_ms > 0.5 * known_ms
