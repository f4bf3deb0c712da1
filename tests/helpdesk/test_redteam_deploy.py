"""Red-team deployment defaults (issue 10 §3.10): demo data only with ``--demo``, no
password printed, an owner-only data directory, atomic action numbering."""

from __future__ import annotations

import json
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from remoteapp.net.helpdesk import HelpdeskClient, TicketClient
from tests.helpdesk.server_process import Server, start_server


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_no_demo_data_without_the_flag_and_no_password_printed(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "data"  # created by the server, parents too
    server = start_server(data, {}, demo=False)
    try:
        with httpx.Client(base_url=server.http_url, timeout=10) as http:
            assert http.get("/api/apps/demo").status_code == 404
        assert not (data / "demo-credentials.json").exists()
        admin = server.credentials["admin"]
        client = HelpdeskClient(server.http_url, timeout_s=10)
        try:
            client.login(admin["email"], admin["password"])  # the first admin, from the file
        finally:
            client.close()
        log = "".join(server.process.log)
        assert "event=admin-created" in log and "initial-admin.json" in log
        assert admin["password"] not in log
    finally:
        assert server.process.stop() == 0
    # owner-only from creation: the directory, the database, the secret, the credentials
    assert _mode(data) == 0o700
    for made in data.rglob("*"):
        assert _mode(made) & 0o077 == 0, f"{made} is {oct(_mode(made))}"
    assert {p.name for p in data.iterdir()} >= {
        "helpdesk.sqlite3",
        "relay-secret",
        "initial-admin.json",
    }


def test_demo_flag_prints_no_password_or_token(tmp_path: Path) -> None:
    server = start_server(tmp_path / "demo", {"REMOTEAPP_RELAY_SECRET": "s" * 32})
    try:
        log = "".join(server.process.log)
        assert "event=demo-created" in log
        creds = server.credentials
        for secret in (creds["admin"]["password"], creds["agent"]["password"], creds["token"]):
            assert secret not in log
        assert _mode(server.data_dir / "demo-credentials.json") == 0o600
    finally:
        assert server.process.stop() == 0


def test_concurrent_actions_get_distinct_numbers(server: Server, tickets: TicketClient) -> None:
    """Real concurrent PATCH requests, on SQLite and PostgreSQL (the ``server`` fixture)."""
    ticket_id = tickets.create_ticket(
        {
            "subject": "Concurrent actions",
            "createdBy": {"id": "3"},
            "owner": {"id": "2"},  # the demo agent: in the demo token's scope
            "actions": [{"type": 2, "origin": 9, "description": "first"}],
        }
    )
    token = server.credentials["token"]
    count = 40

    def append(i: int) -> int:
        with httpx.Client(base_url=server.http_url, timeout=30) as http:
            answer = http.patch(
                "/public/v1/tickets",
                params={"token": token, "id": ticket_id},
                json={"actions": [{"type": 2, "origin": 9, "description": f"action {i}"}]},
            )
            return answer.status_code

    with ThreadPoolExecutor(max_workers=count) as pool:
        codes = list(pool.map(append, range(count)))
    assert codes == [200] * count
    numbers = [a["id"] for a in tickets.get_ticket(ticket_id)["actions"]]
    assert sorted(numbers) == list(range(1, count + 2)), json.dumps(numbers)
