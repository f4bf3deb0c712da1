"""The console's pages (and ``/docs``) run under the server's Content-Security-Policy
(``helpdesk.middleware``: only our own scripts and styles, no inline code) without a
single violation, and the headers are on every answer."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import ConsoleMessage, Page

from helpdesk.middleware import CONSOLE_CSP
from tests.helpdesk.server_process import Server

PAGES = (
    "/console/monitoring",
    "/console/monitoring/demo",
    "/console/tickets",
    "/console/tickets/1",
    "/console/settings/apps",
    "/console/settings/apps/demo",
    "/console/settings/apps/demo?tab=appearance",
    "/console/settings/users",
    "/console/settings/profiles",
    "/console/account/password",
    "/docs",
    "/download/demo",
)


def watch_violations(page: Page) -> list[str]:
    """What the browser refused under the CSP (Chromium logs each refusal)."""
    refused: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", seen)
    page.on("pageerror", lambda error: refused.append(f"{page.url}: {error}"))
    return refused


def test_console_pages_keep_to_the_content_security_policy(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    page = login_as("admin")
    refused = watch_violations(page)
    for path in PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        headers = response.headers
        expected = CONSOLE_CSP if not path.startswith("/download/") else None
        if expected:
            assert headers["content-security-policy"] == expected, path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        page.wait_for_load_state("load")
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)  # rendered, no CDN
    assert refused == []


def test_an_auto_submitting_select_still_saves(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    """The users page's profile select lost its inline ``onchange``; console.js does it."""
    page = login_as("admin")
    refused = watch_violations(page)
    page.goto("/console/settings/users")
    form = page.locator("form.profile-form").first
    select = form.locator("select[data-autosubmit]")
    current = select.input_value()
    options = [v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)")]
    other = next(v for v in options if v != current)
    with page.expect_navigation():
        select.select_option(other)
    assert page.locator("form.profile-form").first.locator("select").input_value() == other
    with page.expect_navigation():
        page.locator("form.profile-form").first.locator("select").select_option(current)
    assert refused == []
