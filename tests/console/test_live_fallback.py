"""The monitoring page when its server-sent-events stream cannot be opened: htmx polls
the ``/live`` fragment instead, the page says so, and a new customer still shows by the
next poll (or the one after, on a loaded machine)."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, Request, Route, expect

from helpdesk.console.monitoring import POLL_EVERY_S
from tests.console.conftest import screenshot, waiting_customer
from tests.helpdesk.server_process import Server

MARGIN_S = 1.5
"""The fragment's request and render, and the swap, on a busy 2-core machine."""


def test_polling_takes_over_when_the_stream_is_blocked(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    page = login_as("both")
    blocked: list[str] = []
    polls: list[str] = []

    def refuse(route: Route) -> None:
        blocked.append(route.request.url)
        route.abort()

    def note(request: Request) -> None:
        if "/console/monitoring/demo/live" in request.url:
            polls.append(request.url)

    page.route("**/console/monitoring/demo/stream*", refuse)
    page.on("request", note)
    page.goto("/console/monitoring/demo")
    notice = page.locator("#live-fallback")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(f"a cada {POLL_EVERY_S} s")  # pt_BR: the page's language
    expect(page.locator("#live")).to_have_attribute("data-fallback", "poll")
    assert blocked, "the page never tried the stream"

    with waiting_customer(console_server, "Polly Fallback") as customer:
        row = page.locator(f"tr:has(code:text-is('{customer['partner_id']}'))")
        # by the next poll, or the one after on a loaded machine (one tick late)
        expect(row).to_be_visible(timeout=(POLL_EVERY_S * 2 + MARGIN_S) * 1000)
        expect(row.locator(".customer-name")).to_have_text("Polly Fallback")
        screenshot(page, "12-monitoring-polling-fallback")
    expect(row).to_have_count(0, timeout=(POLL_EVERY_S * 2 + 3 + MARGIN_S) * 1000)
    assert polls, "the rows came some other way than the polled fragment"
    assert len(blocked) == 1, "the page kept retrying the stream while polling"


def test_with_a_working_stream_the_page_does_not_poll(login_as: Callable[..., Page]) -> None:
    page = login_as("both")
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/live" in r.url else None)
    page.goto("/console/monitoring/demo")
    expect(page.locator("#live")).to_have_attribute("data-updated", re.compile(r"^\d+$"))
    expect(page.locator("#live-fallback")).to_be_hidden()
    assert page.locator("#live").get_attribute("data-fallback") is None
    assert polls == []
