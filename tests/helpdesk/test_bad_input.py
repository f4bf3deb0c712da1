"""Input hardening (issue 10, red-team defects 2, 6, 7 and the headers of 10): text UTF-8
cannot carry and NUL are refused at the door, integers are bounded, bodies are capped as
they stream in, ``$filter`` is parsed in linear time, the Host header is checked, and
every answer carries the security headers. Each test here failed on the code before.

Live tests run against the shared real server (SQLite and PostgreSQL); the catch-all and
HSTS are checked on the real app in-process (no HTTPS listener needed, nothing to break
on purpose in a shared server).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import requests
from fastapi.routing import APIRoute
from sqlalchemy import select

from helpdesk.app import create_app
from helpdesk.db import db_factory, make_engine
from helpdesk.inputs import Input
from helpdesk.middleware import MAX_BODY
from helpdesk.models import TicketAction
from helpdesk.routers import ROUTERS, connect_codes
from helpdesk.services.app_settings import MAX_LOGO_BYTES
from helpdesk.settings import Settings
from tests.helpdesk.conftest import FAST, device
from tests.helpdesk.server_process import Server, start_server

POISON = ["\ud800", "a\udfffb", "\udbff\udbff", "x\x00y"]


def call(server: Server, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, server.http_url + path, timeout=15, **kwargs)


def raw_json(value: Any) -> bytes:
    """JSON as a hostile client writes it: lone surrogates as ``\\ud800`` escapes."""
    return json.dumps(value).encode()


def post_json(server: Server, path: str, value: Any, **kwargs: Any) -> requests.Response:
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    return call(server, "POST", path, data=raw_json(value), headers=headers, **kwargs)


def refused(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


def registration(name: str) -> dict[str, Any]:
    return {
        "app_id": "demo",
        "device_id": device(),
        "fields": {"name": name, "email": "someone@example.com"},
    }


@pytest.mark.parametrize("bad", POISON)
def test_registration_refuses_text_utf8_cannot_carry(server: Server, bad: str, agent: Any) -> None:
    """A name of "\\ud800" was accepted (200) and made the queue 500 for every agent."""
    refused(post_json(server, "/api/presence", registration(bad)), 422, "invalid-input")
    custom = {**registration("Fine Name"), "custom": {"note": bad}}
    refused(post_json(server, "/api/presence", custom), 422, "invalid-input")
    keyed = {**registration("Fine Name"), "fields": {bad: "x", "name": "n", "email": "e@x.io"}}
    refused(post_json(server, "/api/presence", keyed), 422, "invalid-input")
    queue = call(server, "GET", "/api/apps/demo/queue", headers=agent_header(agent))
    assert queue.status_code == 200, queue.text


def agent_header(agent: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {agent.bearer}"}


def ticket_body(**action: Any) -> dict[str, Any]:
    return {
        "subject": "Hardening",
        "createdBy": {"id": "3"},
        "actions": [{"description": "first", **action}],
    }


@pytest.mark.parametrize("bad", POISON)
def test_tickets_refuse_bad_text_anywhere_even_in_extra_keys(server: Server, bad: str) -> None:
    """Via timeAppointments it made GET /public/v1/tickets 500 for good."""
    token = {"token": server.credentials["token"]}
    for body in (
        ticket_body(timeAppointments=[{"activity": bad}]),
        ticket_body(timeAppointments=[{"someExtra": [bad]}]),
        {**ticket_body(), "customFieldValues": {"k": bad}},
        ticket_body(description=bad),
    ):
        refused(post_json(server, "/public/v1/tickets", body, params=token), 422, "invalid-input")
    listed = call(server, "GET", "/public/v1/tickets", params=token)
    assert listed.status_code == 200, listed.text


def test_text_stored_before_the_checks_is_served_not_a_500(server: Server) -> None:
    """A row written by an older server (a lone surrogate in a time appointment) made
    every read of the ticket list a 500; now it reads back with U+FFFD in its place."""
    token = {"token": server.credentials["token"]}
    body = {**ticket_body(), "owner": {"id": "2"}, "clients": [{"id": "3"}]}  # in scope
    created = post_json(server, "/public/v1/tickets", body, params=token)
    assert created.status_code == 200, created.text
    ticket_id = created.json()["id"]
    engine = make_engine(server.db_url)
    try:
        with db_factory(engine)() as db:
            action = db.scalars(
                select(TicketAction).where(TicketAction.ticket_id == ticket_id)
            ).one()
            action.time_appointments = [{"id": 1, "activity": "old \ud800 row"}]
            db.commit()
    finally:
        engine.dispose()
    response = call(server, "GET", "/public/v1/tickets", params={**token, "id": str(ticket_id)})
    assert response.status_code == 200, response.text
    assert response.json()["actions"][0]["timeAppointments"][0]["activity"] == "old \ufffd row"


def test_validation_errors_never_echo_what_cannot_be_encoded(server: Server) -> None:
    """A refusal that quoted the input back failed to encode it: a 500 instead of a 422."""
    response = post_json(server, "/api/login", {"\ud800": "x", "email": 5})
    refused(response, 422, "invalid-input")
    assert all("input" not in error for error in response.json()["errors"])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/public/v1/tickets", {"id": "9" * 20}),
        ("/public/v1/tickets", {"$skip": str(2**70)}),
        ("/public/v1/tickets", {"$skip": "9223372036854775808"}),
        ("/public/v1/tickets", {"id": "²"}),
        ("/public/v1/persons", {"$skip": "1" + "0" * 20}),
    ],
)
def test_integers_out_of_range_are_refused(
    server: Server, path: str, params: dict[str, str]
) -> None:
    response = call(server, "GET", path, params={"token": server.credentials["token"], **params})
    refused(response, 422, "invalid-input")


def test_ids_in_text_take_ascii_digits_only(server: Server, agent: Any) -> None:
    """``"²".isdigit()`` is True, and ``int("²")`` raised: a 500 on each of these."""
    token = {"token": server.credentials["token"]}
    for person in ("²", "١٢", "9" * 20):
        response = call(server, "GET", "/public/v1/persons", params={**token, "id": person})
        refused(response, 404, "unknown-person")
        body = {**ticket_body(), "createdBy": {"id": person}}
        refused(
            post_json(server, "/public/v1/tickets", body, params=token), 400, "unknown-person-ref"
        )
    for ref in ("q²", "q" + "9" * 20):
        response = post_json(
            server, "/api/sessions", {"queue_ref": ref}, headers=agent_header(agent)
        )
        assert 400 <= response.status_code < 500, response.text
    big = {**ticket_body(), "type": 2**70}
    refused(post_json(server, "/public/v1/tickets", big, params=token), 422, "invalid-input")
    deep = ticket_body(origin=-(2**63) - 1)
    refused(post_json(server, "/public/v1/tickets", deep, params=token), 422, "invalid-input")


def test_non_finite_numbers_are_refused(server: Server) -> None:
    body = b'{"subject": "x", "createdBy": {"id": "3"}, "actions": [{"d": NaN}]}'
    response = call(
        server,
        "POST",
        "/public/v1/tickets",
        params={"token": server.credentials["token"]},
        data=body,
        headers={"Content-Type": "application/json"},
    )
    refused(response, 422, "invalid-input")


def test_nul_in_the_url_or_a_form_is_refused(server: Server) -> None:
    refused(call(server, "GET", "/api/apps/de%00mo"), 400, "invalid-input")
    refused(call(server, "GET", "/public/v1/tickets?token=a%00b"), 400, "invalid-input")
    form = call(
        server,
        "POST",
        "/console/login",
        data="email=a%00b&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    refused(form, 400, "invalid-input")


# --- body limit -------------------------------------------------------------------------


def test_a_body_over_64_kib_is_refused_by_its_length(server: Server) -> None:
    """A 40 MiB name was stored and sent back on every queue fetch."""
    response = post_json(server, "/api/presence", registration("x" * (MAX_BODY + 1)))
    refused(response, 413, "body-too-large")
    fine = post_json(server, "/api/presence", registration("y" * 100))
    assert fine.status_code == 200, fine.text
    # A relay's heartbeat lists every session it carries: its own, larger bound.
    heartbeat = {"event": "heartbeat", "relay_id": "r1", "sessions": ["s" * 32] * 10_000}
    report = post_json(server, "/relay/events", heartbeat)
    assert report.status_code == 401, report.text  # unsigned, but not refused for its size


def chunked_post(url: str, path: str, chunks: Iterator[bytes]) -> tuple[int, bytes]:
    """A POST with no Content-Length (chunked), the way a client that lies would send it;
    returns the status and body once the server answers (it may answer mid-body)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=15) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        try:
            for chunk in chunks:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body = body.split(b"\r\n", 1)[1].rsplit(b"\r\n0\r\n", 1)[0]
    return status, body


def test_a_chunked_body_is_counted_as_it_arrives(server: Server) -> None:
    def endless() -> Iterator[bytes]:
        yield b'{"app_id": "demo", "device_id": "'
        for _ in range(1000):  # 8 MiB, if nobody stopped it
            yield b"z" * 8192

    status, body = chunked_post(server.http_url, "/api/presence", endless())
    assert status == 413 and json.loads(body)["code"] == "body-too-large"
    small = raw_json(registration("Chunked Customer"))
    status, body = chunked_post(server.http_url, "/api/presence", iter([small[:10], small[10:]]))
    assert status == 200, body


def test_the_logo_upload_has_its_own_bound(server: Server) -> None:
    """The console's app form (with its logo) may be larger than 64 KiB, not unbounded."""
    over_default = call(
        server,
        "POST",
        "/console/settings/apps",
        data=b"a=" + b"x" * (MAX_BODY + 10),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert over_default.status_code != 413  # refused later (no login), not for its size
    over_logo = call(
        server,
        "POST",
        "/console/settings/apps",
        data=b"a=" + b"x" * (MAX_LOGO_BYTES + MAX_BODY),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    refused(over_logo, 413, "body-too-large")


# --- headers, Host, catch-all -----------------------------------------------------------


def test_every_answer_carries_the_security_headers(server: Server) -> None:
    for response in (
        call(server, "GET", "/api/apps/demo"),
        call(server, "GET", "/api/apps/nope"),
        call(server, "GET", "/console/login"),
        call(server, "GET", "/openapi.json"),
    ):
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in headers  # plain HTTP here


def test_docs_need_nothing_from_a_cdn(server: Server) -> None:
    page = call(server, "GET", "/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "<script>" not in page.text
    assert "/console/static/vendor/swagger-ui-bundle.js" in page.text
    assert call(server, "GET", "/openapi.json").json()["paths"]


def test_an_unknown_host_is_refused(server: Server) -> None:
    """DNS rebinding: a page on evil.example re-pointed at this server sends its own Host."""
    port = urlsplit(server.http_url).port
    for host in ("evil.example", f"evil.example:{port}", "localhost.evil.example"):
        refused(call(server, "GET", "/api/apps/demo", headers={"Host": host}), 400, "bad-host")
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "LOCALHOST", f"[::1]:{port}"):
        response = call(server, "GET", "/api/apps/demo", headers={"Host": host})
        assert response.status_code == 200, (host, response.text)
    # Relay reports are signed and come by whatever name a lone relay was given.
    report = post_json(
        server, "/relay/events", {"event": "heartbeat"}, headers={"Host": "relay-net"}
    )
    assert report.status_code == 401, report.text


def test_allowed_host_names_come_from_the_command_line_and_environment(
    tmp_path: Path,
) -> None:
    env = {**FAST, "REMOTEAPP_ALLOWED_HOSTS": "intranet.example, other.example"}
    own = start_server(tmp_path, env, ["--allowed-host", "help.example"], demo=False)
    try:
        for host, status in (
            ("help.example", 200),
            ("HELP.example:443", 200),
            ("intranet.example", 200),
            ("other.example", 200),
            ("evil.example", 400),
        ):
            response = requests.get(
                f"{own.http_url}/openapi.json", headers={"Host": host}, timeout=15
            )
            assert response.status_code == status, (host, response.text[:200])
    finally:
        assert own.process.stop() == 0, "".join(own.process.log[-30:])


@pytest.fixture
def in_process() -> Iterator[Any]:
    engine = make_engine("sqlite://")
    app = create_app(engine, Settings(secret=b"in-process", allowed_hosts=("api.example",)))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug with a secret in its message")

    yield app
    engine.dispose()


def test_a_bug_is_a_coded_500_and_a_log_line(
    in_process: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def fetch() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=in_process, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="https://api.example") as client:
            return await client.get("/boom"), await client.get("/openapi.json")

    with caplog.at_level(logging.ERROR, logger="helpdesk.http"):
        response, docs = asyncio.run(fetch())
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error", "code": "internal-error"}
    assert "secret" not in response.text and "Traceback" not in response.text
    assert any("event=internal-error" in r.getMessage() and r.exc_info for r in caplog.records)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert docs.headers["Strict-Transport-Security"].startswith("max-age=")


def test_every_json_body_model_checks_all_its_text() -> None:
    """The one validator is on every request model, so no string field is forgotten."""
    models = [
        route.body_field.field_info.annotation
        for router in (*ROUTERS, connect_codes.router)
        for route in router.routes
        if isinstance(route, APIRoute) and route.body_field is not None
    ]
    assert len(models) >= 6
    assert [m for m in models if not (isinstance(m, type) and issubclass(m, Input))] == []
