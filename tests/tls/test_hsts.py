"""Over HTTPS every answer tells browsers to stay on HTTPS (``Strict-Transport-Security``,
``helpdesk.middleware.SecurityHeaders``); over plain HTTP it must not (it would pin a
name to HTTPS that has none)."""

from __future__ import annotations

import ssl

import httpx

from tests.helpdesk.server_process import Server
from tests.tls.conftest import Pki


def test_https_answers_carry_hsts(tls_server: Server, pki: Pki) -> None:
    context = ssl.create_default_context(cadata=pki.ca.pem)
    with httpx.Client(base_url=tls_server.http_url, timeout=10, verify=context) as client:
        for path in ("/api/apps/demo", "/console/login", "/no/such/path"):
            response = client.get(path)
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000", path
            assert response.headers["X-Content-Type-Options"] == "nosniff"
