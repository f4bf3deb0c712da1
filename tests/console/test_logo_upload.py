"""A company's logo as it comes: a file of a few megabytes is taken and stored small, a
file past the bound is refused at the field before the form goes (nothing typed is lost),
an image of too many pixels is refused in words at any size of file (it was a 500), and
the preview shows the chosen file under the console's CSP."""

from __future__ import annotations

import base64
import io
import os
import struct
import zlib
from collections.abc import Callable

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from helpdesk.errors import InvalidInput
from helpdesk.services.app_settings import MAX_LOGO_BYTES, MAX_LOGO_SIDE, reencode_logo
from tests.helpdesk.server_process import Server

TOO_MANY = "The logo has too many pixels (at most 40 megapixels)."


def header_only_png(width: int, height: int) -> bytes:
    """A PNG that claims its size and holds no pixels: Pillow judges the size on opening,
    so a file of 57 bytes can claim 400 million pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def noise_png(side: int) -> bytes:
    """A photograph's worth of entropy: PNG cannot shrink it (about 3 bytes a pixel)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (7_000, 7_000),  # 49 M: past our bound, under Pillow's warning
        (10_000, 10_000),  # 100 M: Pillow's "decompression bomb" warning
        (20_000, 20_000),  # 400 M: Pillow's own refusal (DecompressionBombError, a 500)
    ],
)
def test_too_many_pixels_is_refused_in_words_whatever_pillow_thinks(
    width: int, height: int
) -> None:
    with pytest.raises(InvalidInput) as refused:
        reencode_logo(header_only_png(width, height))
    assert refused.value.message == TOO_MANY


def test_a_logo_of_megabytes_is_stored_small() -> None:
    upload = noise_png(1_000)
    assert 2_000_000 < len(upload) < MAX_LOGO_BYTES
    stored = reencode_logo(upload)
    prefix = "data:image/png;base64,"
    assert stored.startswith(prefix)
    with Image.open(io.BytesIO(base64.b64decode(stored[len(prefix) :]))) as image:
        assert image.size == (MAX_LOGO_SIDE, MAX_LOGO_SIDE)


def logo_form(page: Page, app_id: str) -> None:
    page.goto("/console/settings/apps/new")
    page.fill("input[name=app_id]", app_id)
    page.fill("input[name=name]", "Logo Company")
    page.click("a[data-tab=appearance]")
    page.fill("input[name=title]", "Typed title")


def test_a_file_past_the_bound_is_refused_at_the_field_and_nothing_typed_is_lost(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    """Before, the server's 413 left the admin on a bare JSON page, the form gone."""
    page = login_as("admin")
    logo_form(page, "bigfile")
    heavy = os.urandom(MAX_LOGO_BYTES + 1)
    logo = page.locator("input[name=logo]")
    logo.set_input_files(files=[{"name": "logo.png", "mimeType": "image/png", "buffer": heavy}])
    message = "A imagem é grande demais (no máximo 4 MiB)."
    assert logo.evaluate("input => input.validationMessage") == message
    page.click("a[data-tab=main]")  # saved from another tab: the logo's is shown
    page.click("#save-app")
    expect(page.locator("#tab-appearance")).to_be_visible()
    assert page.url.endswith("/console/settings/apps/new#main")  # not sent
    expect(page.locator("input[name=title]")).to_have_value("Typed title")
    expect(page.locator("input[name=name]")).to_have_value("Logo Company")
    assert page.request.get("/console/settings/apps/bigfile").status == 404
    # another file, within the bound: taken, and the app saved with it
    logo.set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": noise_png(1_000)}]
    )
    assert logo.evaluate("input => input.validationMessage") == ""
    page.click("#save-app")
    expect(page.locator("#saved")).to_be_visible()
    with httpx.Client(base_url=console_server.http_url, timeout=10) as client:
        assert client.get("/api/apps/bigfile").json()["appearance"]["logo"]


def test_an_image_of_too_many_pixels_keeps_the_form_and_says_why(
    login_as: Callable[..., Page],
) -> None:
    page = login_as("admin")
    logo_form(page, "bomb")
    bomb = header_only_png(20_000, 20_000)
    page.set_input_files(
        "input[name=logo]", files=[{"name": "logo.png", "mimeType": "image/png", "buffer": bomb}]
    )
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#save-app")
    assert answer.value.status == 422
    expect(page.locator("#form-error")).to_have_text(
        "A imagem tem pixels demais (no máximo 40 megapixels)."
    )
    expect(page.locator("input[name=title]")).to_have_value("Typed title")
    assert page.request.get("/console/settings/apps/bomb").status == 404


def test_the_preview_shows_the_chosen_logo(login_as: Callable[..., Page]) -> None:
    """The console's CSP allows ``data:`` images, not ``blob:`` (the preview's first
    way, which showed nothing)."""
    page = login_as("admin")
    logo_form(page, "preview")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    out = io.BytesIO()
    Image.new("RGB", (64, 32), "red").save(out, format="PNG")
    page.set_input_files(
        "input[name=logo]",
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": out.getvalue()}],
    )
    image = page.locator("#preview img")
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('#preview img').naturalWidth === 64")
    assert errors == []


def test_with_two_refused_fields_the_first_ones_tab_is_shown(
    login_as: Callable[..., Page],
) -> None:
    """The browser refuses every bad field at once and reports the first: its tab is the
    one shown (each showing its own tab left the last one's, the report in a hidden one)."""
    page = login_as("admin")
    logo_form(page, "twobad")
    page.click("a[data-tab=main]")
    page.fill("input[name=name]", "")  # the main tab's, required
    page.click("a[data-tab=appearance]")
    heavy = os.urandom(MAX_LOGO_BYTES + 1)
    page.locator("input[name=logo]").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": heavy}]
    )
    page.click("a[data-tab=agents]")
    page.click("#save-app")
    expect(page.locator("#tab-main")).to_be_visible()
    expect(page.locator("#tab-appearance")).to_be_hidden()
    page.fill("input[name=name]", "Two Bad")
    page.click("a[data-tab=agents]")
    page.click("#save-app")  # now only the logo is refused: its tab
    expect(page.locator("#tab-appearance")).to_be_visible()
    assert page.request.get("/console/settings/apps/twobad").status == 404
