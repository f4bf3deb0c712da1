"""A logo can be taken away from an app: "Remover a imagem (logo)" beside the logo field;
once saved, the app has no logo anywhere a customer's app reads one (the app's JSON, the
signed profile a desktop build fetches). A refused save keeps the tick and the logo."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Page, expect

from helpdesk.services import profiles
from remoteapp.branding.identity import ProfileCache, verify
from tests.helpdesk.server_process import Server

APP_ID = "droplogo"
REMOVE = "Remover a imagem (logo)"


def png(color: str = "blue") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 32), color).save(out, format="PNG")
    return out.getvalue()


def what_the_apps_read(server: Server, app_id: str = APP_ID) -> tuple[Any, dict[str, Any]]:
    """(the app's logo in ``/api/apps/{id}``, the verified signed profile's body)."""
    with httpx.Client(base_url=server.http_url, timeout=10) as client:
        logo = client.get(f"/api/apps/{app_id}").json()["appearance"]["logo"]
        envelope = client.get(f"/api/profiles/{app_id}")
    assert envelope.status_code == 200, envelope.text
    key = base64.b64decode(profiles.public_key_b64(profiles.load_or_create_key(server.data_dir)))
    return logo, verify(envelope.content, key, app_id)


def app_with_a_logo(page: Page, app_id: str) -> None:
    page.goto("/console/settings/apps/new")
    page.fill("input[name=app_id]", app_id)
    page.fill("input[name=name]", "Logo Co")
    page.click("a[data-tab=appearance]")
    expect(page.get_by_label(REMOVE)).to_have_count(0)  # nothing to remove yet
    page.set_input_files(
        "input[name=logo]", files=[{"name": "logo.png", "mimeType": "image/png", "buffer": png()}]
    )
    page.click("#save-app")
    expect(page.locator("#saved")).to_be_visible()


def test_a_logo_is_removed_and_the_app_shows_none(
    console_server: Server, login_as: Callable[..., Page], tmp_path: Path
) -> None:
    page = login_as("admin")
    app_with_a_logo(page, APP_ID)
    logo, body = what_the_apps_read(console_server)
    assert logo.startswith("data:image/png;base64,") and body["logo_png"]
    assert ProfileCache(tmp_path / "with").profile(body).logo is not None

    # a refused save (a custom field's key with a space) keeps the tick, and the logo
    page.click("a[data-tab=appearance]")
    expect(page.locator("#preview img")).to_be_visible()
    page.get_by_label(REMOVE).check()
    expect(page.locator("#preview img")).to_be_hidden()  # the preview shows it gone at once
    page.click("a[data-tab=parameters]")
    page.fill("input[name=custom_key_0]", "bad key")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#save-app")
    assert answer.value.status == 422
    expect(page.get_by_label(REMOVE)).to_be_checked()
    assert what_the_apps_read(console_server)[0] == logo

    page.fill("input[name=custom_key_0]", "")
    page.click("#save-app")
    expect(page.locator("#saved")).to_be_visible()
    logo, body = what_the_apps_read(console_server)
    assert logo is None
    assert body["logo_png"] is None
    assert ProfileCache(tmp_path / "without").profile(body).logo is None  # the desktop app's
    page.click("a[data-tab=appearance]")
    expect(page.get_by_label(REMOVE)).to_have_count(0)
    expect(page.locator("#preview img")).to_be_hidden()
    assert page.locator("#preview img").get_attribute("src") == ""


def test_a_new_file_chosen_with_the_tick_replaces_the_logo(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    """Ticking then choosing a file unticks (the new file is what the admin wants)."""
    page = login_as("admin")
    app_with_a_logo(page, "swaplogo")
    before = what_the_apps_read(console_server, "swaplogo")[0]
    page.click("a[data-tab=appearance]")
    page.get_by_label(REMOVE).check()
    page.set_input_files(
        "input[name=logo]",
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": png("red")}],
    )
    expect(page.get_by_label(REMOVE)).not_to_be_checked()
    expect(page.locator("#preview img")).to_be_visible()
    page.click("#save-app")
    expect(page.locator("#saved")).to_be_visible()
    after = what_the_apps_read(console_server, "swaplogo")[0]
    assert after.startswith("data:image/png;base64,") and after != before
