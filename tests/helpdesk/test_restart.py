"""First start creates demo data; later starts keep it (and logins) untouched."""

from __future__ import annotations

from pathlib import Path

from remoteapp.net.helpdesk import HelpdeskClient
from tests.helpdesk.server_process import spawn, start_server


def test_demo_data_is_created_once_and_never_overwritten(tmp_path: Path) -> None:
    env = {"REMOTEAPP_RELAY_SECRET": "restart-secret"}
    first = start_server(tmp_path, env)
    credentials_file = tmp_path / "demo-credentials.json"
    original = credentials_file.read_text()
    assert set(first.credentials) == {"admin", "agent", "token", "app_id", "http_url", "relay"}
    assert oct(credentials_file.stat().st_mode & 0o777) == "0o600"
    assert any("event=demo-created" in line for line in first.process.log)
    assert first.process.stop() == 0

    second = start_server(tmp_path, env)
    try:
        assert not any("event=demo-created" in line for line in second.process.log)
        assert credentials_file.read_text() == original
        client = HelpdeskClient(second.http_url)
        client.login(**first.credentials["agent"])  # same account, same password
        assert [a["id"] for a in client.me()["apps"]] == ["demo"]
        client.close()
    finally:
        assert second.process.stop() == 0


def test_db_url_overrides_the_default_file(tmp_path: Path) -> None:
    db_file = tmp_path / "elsewhere.sqlite3"
    process = spawn(
        [
            "-m",
            "helpdesk.cli",
            "--data-dir",
            str(tmp_path / "data"),
            "--db",
            f"sqlite:///{db_file}",
            "--http-port",
            "0",
            "--no-relay",
            "--public-relay",
            "relay.example:443",
        ],
        {"REMOTEAPP_RELAY_SECRET": "x"},
    )
    try:
        process.wait_for(r"helpdesk event=ready .*relay=relay\.example:443")
        assert db_file.exists()
        assert not (tmp_path / "data" / "helpdesk.sqlite3").exists()
    finally:
        assert process.stop() == 0
