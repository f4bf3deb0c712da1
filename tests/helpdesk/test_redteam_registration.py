"""Red-team findings on anonymous registration (issue 10 §3.5): limited per source
address and per app, fields capped and only declared custom keys kept, no client linked
in the open by an unverified email, no permanent record per registration, stale devices
forgotten."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from helpdesk.admin import add_app
from helpdesk.db import db_factory, make_engine
from helpdesk.models import Person, Presence
from remoteapp.net.helpdesk import HelpdeskClient
from tests.helpdesk.conftest import SECRET, device, wait_until
from tests.helpdesk.server_process import Server, start_server

FIELDS = {"name": "Reg Istrant", "email": "registrant@example.com"}


def register(http: httpx.Client, app_id: str = "demo", **body: Any) -> httpx.Response:
    payload = {"app_id": app_id, "device_id": device(), "fields": FIELDS, "custom": {}, **body}
    return http.post("/api/presence", json=payload)


def scalar(server: Server, query: Any) -> Any:
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            return db.scalar(query)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own, with small registration limits and a short retention."""
    env = {
        "REMOTEAPP_RELAY_SECRET": SECRET,
        "REMOTEAPP_REGISTER_PER_ADDRESS": "6",
        "REMOTEAPP_REGISTER_PER_APP": "4",
        "REMOTEAPP_PRESENCE_RETENTION_S": "100",
        "REMOTEAPP_SWEEP_S": "0.2",
    }
    data: Path = tmp_path_factory.mktemp("limited")
    server = start_server(data, env, clocked=True)
    engine = make_engine(server.db_url)
    add_app(db_factory(engine), "other", "Other Support")
    engine.dispose()
    yield server
    assert server.process.stop() == 0


def test_registrations_are_limited_per_app_and_per_address(limited: Server) -> None:
    limited.advance(61)  # a window of its own
    with httpx.Client(base_url=limited.http_url, timeout=10) as http:
        assert [register(http).status_code for _ in range(4)] == [200] * 4
        blocked = register(http)  # the app's budget (4) is spent
        assert blocked.status_code == 429
        assert blocked.json()["code"] == "too-many-registrations"
        assert int(blocked.headers["Retry-After"]) > 0
        # another app still takes customers, until this address's budget (6) is spent
        assert [register(http, "other").status_code for _ in range(2)] == [200, 200]
        assert register(http, "other").status_code == 429
        limited.advance(61)
        assert register(http).status_code == 200  # the window has passed


def test_stale_devices_are_forgotten(limited: Server) -> None:
    limited.advance(61)
    with httpx.Client(base_url=limited.http_url, timeout=10) as http:
        gone, kept = device(), device()
        first = register(http, device_id=gone).json()
        register(http, device_id=kept)
        limited.advance(50)
        assert register(http, device_id=kept).status_code == 200  # seen again: stays
        limited.advance(60)  # `gone` silent 110 s > 100 s retention; `kept` only 60 s
        partner = first["partner_id"]
        wait_until(
            lambda: (
                scalar(limited, select(Presence.id).where(Presence.partner_id == partner)) is None
            )
        )
        assert scalar(limited, select(Presence.id).where(Presence.device_id == kept)) is not None
        again = register(http, device_id=gone).json()  # back after a long time: a new ID
        assert again["partner_id"] != partner


def test_fields_are_capped_and_only_declared_custom_keys_kept(server: Server) -> None:
    with httpx.Client(base_url=server.http_url, timeout=10) as http:
        too_long = register(http, fields={**FIELDS, "name": "x" * 201})
        assert too_long.status_code == 422 and "name" in too_long.json()["detail"]
        custom = {"contract": "C-1", "asset": "y" * 201}
        strict = {**FIELDS, "phone": "555"}
        assert register(http, "strict", fields=strict, custom=custom).status_code == 422
        junk = {f"k{i}": "v" * 200 for i in range(50)}
        ok = register(http, "strict", fields=strict, custom={"contract": "C-2", **junk})
        assert ok.status_code == 200
    filled = scalar(
        server, select(Presence.filled).where(Presence.partner_id == ok.json()["partner_id"])
    )
    assert filled["custom"] == {"contract": "C-2"}


def test_an_unverified_email_neither_shows_a_client_nor_adds_one(
    server: Server, agent: HelpdeskClient
) -> None:
    persons = scalar(server, select(func.count()).select_from(Person))
    with httpx.Client(base_url=server.http_url, timeout=10) as http:
        # a stranger types a known client's email (Ana Souza: Acme Ltda, Gold)
        name = "Not Ana " + secrets.token_hex(3)
        impostor = register(http, fields={"name": name, "email": "ana@acme.example"})
        assert impostor.status_code == 200
        for _ in range(5):  # new emails: no client record each
            email = f"new-{secrets.token_hex(4)}@example.com"
            assert register(http, fields={"name": "New", "email": email}).status_code == 200
    assert scalar(server, select(func.count()).select_from(Person)) == persons
    queue = agent.queue("demo")
    row = next(w for w in queue if w.name == name)
    assert row.organization in (None, "") and row.classification in (None, "")
