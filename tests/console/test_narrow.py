"""The console in narrow windows and with long names: the header wraps instead of
widening the page (its menu and Log out stay on screen), and a customer's 200-character
name without a space breaks instead of pushing the agent's Connect off the page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.console.conftest import screenshot, waiting_customer
from tests.helpdesk.server_process import Server


def page_width(page: Page) -> tuple[int, int]:
    """(what the page needs, what the window shows), in CSS pixels."""
    needed, shown = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return int(needed), int(shown)


def within_window(page: Page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= page_width(page)[1], (selector, box)


@pytest.mark.parametrize("width", [375, 600, 768])
def test_the_header_wraps_in_a_narrow_window(login_as: Callable[..., Page], width: int) -> None:
    page = login_as("admin")
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/console/settings/apps")
    expect(page.locator("#logout")).to_be_visible()
    needed, shown = page_width(page)
    assert needed <= shown, (needed, shown)
    for selector in ("#logout", "#user-menu summary", "header details:not(#user-menu) summary"):
        within_window(page, selector)
    screenshot(page, f"narrow-{width}-applications")


def test_a_long_unspaced_name_breaks_and_connect_stays_on_the_page(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    page = login_as("both")
    page.goto("/console/monitoring/demo")
    page.wait_for_function("document.querySelector('#live') !== null")
    name = "M" * 200
    with waiting_customer(console_server, name, organization="O" * 200) as customer:
        row = page.locator(f"tr:has(code:text-is('{customer['partner_id']}'))")
        expect(row).to_be_visible()
        expect(row.locator(".customer-name")).to_have_text(name)
        needed, shown = page_width(page)
        assert needed <= shown, (needed, shown)
        within_window(page, f"tr[data-queue-ref] >> text={customer['partner_id']}")
        connect = row.get_by_role("button", name="Conectar")
        expect(connect).to_be_visible()
        box = connect.bounding_box()
        assert box is not None and box["x"] + box["width"] <= shown, box
        screenshot(page, "monitoring-long-name")
