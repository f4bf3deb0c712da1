"""The console's flows end to end in chromium: an app set up by hand, the live queue,
connect codes, escaping, and the ticket page's remote-access icon."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable

import httpx
from PIL import Image
from playwright.sync_api import Page, expect

from helpdesk.services import connect_codes
from helpdesk.settings import Settings
from tests.console.conftest import FAST, credentials, screenshot, waiting_customer
from tests.helpdesk.server_process import Server


def png(color: str = "red", size: tuple[int, int] = (64, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def test_create_an_app_with_phone_required_a_logo_and_an_agent(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    page = login_as("manager")
    page.goto("/console/settings/apps")
    screenshot(page, "03-applications")
    page.click("#new-app")
    page.fill("input[name=app_id]", "acme")
    page.fill("input[name=name]", "Acme Help")
    page.click("a[data-tab=parameters]")
    page.select_option("select[name=mode_phone]", "required")
    page.click("a[data-tab=appearance]")
    page.fill("input[name=title]", "Acme remote help")
    page.set_input_files(
        "input[name=logo]", files=[{"name": "logo.png", "mimeType": "image/png", "buffer": png()}]
    )
    expect(page.locator("#preview .title")).to_have_text("Acme remote help")
    expect(page.locator("#preview [data-preview-field=phone] .req")).to_have_text(" *")
    screenshot(page, "04-application-appearance")
    page.click("a[data-tab=agents]")
    expect(page.locator("#agent-rule")).to_contain_text("não terá acesso aos indicadores")
    page.locator("#tab-agents").get_by_label("Agent Only").check()
    page.click("a[data-tab=administrators]")
    expect(page.locator("#admin-rule")).to_contain_text("não poderá realizar conexões")
    page.click("#save-app")
    expect(page.locator("#saved")).to_be_visible()
    page.click("a[data-tab=download]")
    expect(page.locator("#download-link")).to_have_text(f"{console_server.http_url}/download/acme")
    with httpx.Client(base_url=console_server.http_url, timeout=10) as client:
        # the link works at once (nothing is built per app); the old console link leads there
        assert client.get("/download/acme").status_code == 200
        moved = client.get("/console/download/acme")
        assert moved.status_code == 308
        assert moved.headers["location"] == f"{console_server.http_url}/download/acme"
        profile = client.get("/api/apps/acme").json()
        assert profile["fields"]["phone"] == {"shown": True, "required": True}
        assert profile["appearance"]["title"] == "Acme remote help"
        logo = profile["appearance"]["logo"]
        assert logo.startswith("data:image/png;base64,")
        email, password = credentials(console_server, "agentonly")
        token = client.post("/api/login", json={"email": email, "password": password}).json()
        me = client.get("/api/me", headers={"Authorization": f"Bearer {token['token']}"}).json()
        assert {"id": "acme", "agent": True, "admin": False} in [
            {k: a[k] for k in ("id", "agent", "admin")} for a in me["apps"]
        ]


def test_an_svg_logo_is_refused_and_the_form_keeps_what_was_typed(
    login_as: Callable[..., Page],
) -> None:
    page = login_as("admin")
    page.goto("/console/settings/apps/new")
    page.fill("input[name=app_id]", "svgco")
    page.fill("input[name=name]", "SVG Company")
    page.click("a[data-tab=appearance]")
    page.fill("input[name=title]", "Typed title")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    page.set_input_files(
        "input[name=logo]", files=[{"name": "x.svg", "mimeType": "image/svg+xml", "buffer": svg}]
    )
    page.click("#save-app")
    expect(page.locator("#form-error")).to_have_text("A imagem deve ser PNG ou JPEG (não SVG).")
    expect(page.locator("input[name=name]")).to_have_value("SVG Company")
    expect(page.locator("input[name=title]")).to_have_value("Typed title")
    assert page.request.get("/console/settings/apps/svgco").status == 404


def test_a_customer_shows_live_and_its_name_is_only_text(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    page = login_as("both")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/console/monitoring/demo")
    expect(page.locator("#waiting-table")).to_be_visible()
    page.wait_for_function("document.querySelector('#live') !== null")
    evil = "<img src=x onerror=alert(1)>"
    with waiting_customer(console_server, evil, organization="<b>Org</b>") as customer:
        row = page.locator(f"tr:has(code:text-is('{customer['partner_id']}'))")
        expect(row).to_be_visible()
        expect(row.locator(".customer-name")).to_have_text(evil)
        assert page.locator("#waiting img").count() == 0
        screenshot(page, "07-monitoring-live-row")
    expect(row).to_have_count(0)
    assert dialogs == []
    # live: the stream brought the row and took it away, the page never fell back to
    # polling (how soon, 1 s at most, is bench/console.py's figure)
    assert page.locator("#live").get_attribute("data-fallback") is None


def test_copied_credentials_connect_without_password_and_expire_with_a_message(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    page = login_as("both")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/console/monitoring/demo")
    with waiting_customer(console_server, "Copy Me") as customer:
        row = page.locator("tr", has_text="Copy Me")
        row.locator("button.copy").click()
        # What the agent gets: the toast, and the code on the clipboard. (Not the button's
        # data-copied: a live update may replace the row, button and all, at any moment.)
        expect(page.locator("#toasts .toast", has_text="Copiado")).to_be_visible()
        code = page.evaluate("navigator.clipboard.readText()")
        assert re.fullmatch(r"\d{9}-\w+-\w+", code), code
        assert code.startswith(customer["partner_id"] + "-")
        with httpx.Client(base_url=console_server.http_url, timeout=10) as client:
            headers = bearer(client, console_server, "both")
            other = bearer(client, console_server, "agentonly")
            refused = client.post("/api/sessions/by-code", json={"code": code}, headers=other)
            assert refused.status_code == 403
            assert refused.json()["code"] == "bad-connect-code"
            granted = client.post("/api/sessions/by-code", json={"code": code}, headers=headers)
            assert granted.status_code == 200, granted.text
            assert granted.json()["partner_id"] == customer["partner_id"]
            client.post(f"/api/sessions/{granted.json()['session_id']}/end", headers=headers)
            me = client.get("/api/me", headers=headers).json()
            expired = expired_code(customer["partner_id"], me["id"])
            late = client.post("/api/sessions/by-code", json={"code": expired}, headers=headers)
            assert late.status_code == 403
            assert late.json()["code"] == "connect-code-expired"
            assert "expired" in late.json()["detail"]


def bearer(client: httpx.Client, server: Server, who: str) -> dict[str, str]:
    email, password = credentials(server, who)
    token = client.post("/api/login", json={"email": email, "password": password}).json()
    return {"Authorization": f"Bearer {token['token']}"}


def expired_code(partner_id: str, user_id: int) -> str:
    """A code issued to this agent an hour ago, with the server's secret (the test knows
    it): the same text the copy icon gave then."""
    settings = Settings(
        secret=FAST["REMOTEAPP_RELAY_SECRET"].encode(),
        server_secret=FAST["REMOTEAPP_SERVER_SECRET"].encode(),
    )
    expiry = int(time.time()) - 3600
    mac = connect_codes._mac(settings, partner_id, user_id, expiry)
    return f"{partner_id}-{connect_codes._base36(expiry)}-{mac}"


def test_ticket_page_actions_download_link_and_notify_when_online(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    page = login_as("both")
    page.context.grant_permissions(["notifications"])
    page.goto("/console/tickets")
    screenshot(page, "08-tickets")
    page.goto("/console/tickets/1")
    expect(page.locator("#remote-offline")).to_be_visible()
    page.click("#remote-menu-button")  # the requester's remote-access icon opens its menu
    page.click("#send-download-link")
    link = f"{console_server.http_url}/download/demo"
    expect(page.locator("#action-text")).to_have_value(re.compile(re.escape(link) + "$"))
    page.fill("#action-text", "Checked the printer queue.")
    page.fill("input[name=minutes]", "15")
    page.click("#add-action")
    action = page.locator(".action", has_text="Checked the printer queue.")
    expect(action.locator(".time-appointments")).to_contain_text("00:15:00")
    page.click("#remote-menu-button")
    page.click("#notify-online")
    expect(page.locator("#remote-watching")).to_be_visible()
    screenshot(page, "09-ticket")
    with waiting_customer(console_server, "Ana Souza", email="ana@acme.example"):
        expect(page.locator(".toast", has_text="Ana Souza")).to_be_visible(timeout=5000)
        expect(page.locator("#remote-online")).to_be_visible(timeout=6000)
        expect(page.locator("#remote-connect")).to_have_attribute("href", re.compile("ticket=1"))
