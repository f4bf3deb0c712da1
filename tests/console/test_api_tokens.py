"""Settings » API tokens (issue 10 §3.9): an administrator makes a token scoped to one
organization, sees it once, the tickets API answers it within that scope only, and
revoking it in the console shuts it out."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from playwright.sync_api import Page, expect

from tests.console.conftest import screenshot
from tests.helpdesk.server_process import Server


def test_a_scoped_token_is_shown_once_honoured_in_scope_and_revocable(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    page = login_as("admin")
    page.goto("/console/tickets")
    page.locator("header nav summary").filter(has_text="Configurações").click()
    page.click("a[href='/console/settings/tokens']")
    expect(page.locator("h1")).to_have_text("Configurações » Tokens de API")
    page.fill("#token-form input[name=name]", "Globex portal")
    page.fill("#token-form input[name=organization]", "Globex SA")
    page.click("#token-form button[type=submit]")
    expect(page.locator("#new-token [role=status]")).to_contain_text("não será mostrado de novo")
    token = page.locator("#new-token-value").input_value()
    assert len(token) >= 40
    row = page.locator("#tokens tr", has_text="Globex portal")
    expect(row).to_contain_text("Organização: Globex SA")
    screenshot(page, "settings-api-tokens")

    with httpx.Client(base_url=console_server.http_url, timeout=10) as api:
        found = api.get("/public/v1/tickets", params={"token": token})
        assert found.status_code == 200
        subjects = {t["subject"] for t in found.json()}
        assert subjects == {"VPN drops at noon"}  # Globex's; not Acme's printer
        persons = api.get("/public/v1/persons", params={"token": token}).json()
        assert not any(p["organization"] == {"businessName": "Acme Ltda"} for p in persons)
        staff = [p for p in persons if p["profileType"] == 1]
        assert staff and all(p["email"] is None for p in staff)  # no staff emails
        # the page never shows it again
        page.goto("/console/settings/tokens")
        expect(page.locator("#new-token")).to_have_count(0)
        assert token not in page.content()

        row.locator("button", has_text="Revogar").click()
        expect(page.locator("[role=status]")).to_have_text("Token revogado.")
        expect(page.locator("#tokens tr", has_text="Globex portal")).to_contain_text("Revogado")
        denied = api.get("/public/v1/tickets", params={"token": token})
        assert (denied.status_code, denied.json()["code"]) == (401, "bad-api-token")
    stored = b"".join(
        path.read_bytes() for path in console_server.data_dir.glob("helpdesk.sqlite3*")
    )
    assert token.encode() not in stored  # only its hash is kept


def test_the_page_speaks_english_and_checks_its_form(login_as: Callable[..., Page]) -> None:
    page = login_as("admin", locale="en-US")
    page.goto("/console/settings/tokens")
    expect(page.locator("h1")).to_have_text("Settings » API tokens")
    page.fill("#token-form input[name=name]", "Both scopes")
    page.fill("#token-form input[name=organization]", "Acme Ltda")
    page.select_option("#token-form select[name=app_id]", "demo")
    page.click("#token-form button[type=submit]")
    expect(page.locator("[role=alert]")).to_have_text("Choose an organization or an app, not both.")
    expect(page.locator("#new-token")).to_have_count(0)
