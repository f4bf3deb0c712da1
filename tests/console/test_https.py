"""The session cookie is ``Secure`` behind HTTPS. The console decides by the request's
scheme, which uvicorn takes from ``X-Forwarded-Proto`` only when the proxy's address is
trusted (``FORWARDED_ALLOW_IPS``, default 127.0.0.1: a proxy on the same host)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.console.conftest import FAST, credentials
from tests.helpdesk.server_process import Server, start_server


def login_cookie(server: Server, headers: dict[str, str]) -> str:
    """The Set-Cookie header of a real login through the form."""
    email, password = credentials(server, "agent")  # the demo agent: on every server
    with httpx.Client(base_url=server.http_url, timeout=10, headers=headers) as client:
        page = client.get("/console/login").text
        marker = 'name="csrf" value="'
        start = page.index(marker) + len(marker)
        token = page[start : page.index('"', start)]
        answer = client.post(
            "/console/login",
            data={"email": email, "password": password, "csrf": token},
            headers={"Sec-Fetch-Site": "same-origin"},
        )
    assert answer.status_code == 303, answer.text
    return next(v for k, v in answer.headers.multi_items() if k == "set-cookie")


def flags(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def test_secure_behind_a_trusted_https_proxy(console_server: Server) -> None:
    behind = login_cookie(console_server, {"X-Forwarded-Proto": "https"})
    assert behind.startswith("remoteapp_console=")
    assert {"secure", "httponly", "samesite=lax"} <= flags(behind)
    plain = login_cookie(console_server, {})
    assert "secure" not in flags(plain) and "httponly" in flags(plain)


@pytest.fixture
def untrusting_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that trusts only a proxy at 10.9.9.9: our 127.0.0.1 is not it."""
    server = start_server(
        tmp_path_factory.mktemp("https"), {**FAST, "FORWARDED_ALLOW_IPS": "10.9.9.9"}
    )
    yield server
    server.process.stop()


def test_the_header_from_an_untrusted_address_is_ignored(untrusting_server: Server) -> None:
    cookie = login_cookie(untrusting_server, {"X-Forwarded-Proto": "https"})
    assert "secure" not in flags(cookie)
