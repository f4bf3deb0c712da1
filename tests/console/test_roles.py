"""Every page checks the role on the server: each account gets the page or a 403 page
(anonymous callers go to the login page), whatever the navigation shows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.console.conftest import screenshot, waiting_customer
from tests.helpdesk.server_process import Server

PAGES = {
    "/console/settings/profiles": {"admin"},
    "/console/settings/users": {"admin"},
    "/console/settings/tokens": {"admin"},
    "/console/settings/apps": {"admin", "manager"},
    "/console/settings/apps/new": {"admin", "manager"},
    "/console/settings/apps/demo": {"admin", "manager"},
    "/console/monitoring/demo": {"admin", "agent", "agentonly", "adminonly", "both"},
    "/console/monitoring/demo/live": {"admin", "agent", "agentonly", "adminonly", "both"},
    "/console/monitoring/other": {"other"},
    "/console/tickets": {
        "admin",
        "agent",
        "agentonly",
        "adminonly",
        "both",
        "noperm",
        "other",
        "manager",
    },
}
WHO = ("agentonly", "adminonly", "both", "noperm", "other", "manager")


@pytest.mark.parametrize("who", WHO)
def test_each_role_gets_its_pages_and_403_elsewhere(
    who: str, login_as: Callable[..., Page]
) -> None:
    page = login_as(who)
    for path, allowed in PAGES.items():
        answer = page.request.get(path, max_redirects=0)
        expected = 200 if who in allowed else 403
        assert answer.status == expected, f"{who} {path}: {answer.status}"
        if expected == 403:
            assert "Não permitido" in answer.text()
    nav = page.locator("header nav")
    page.goto("/console/tickets")
    apps_link = nav.locator("a[href='/console/settings/apps']")
    expect(apps_link).to_have_count(1 if who == "manager" else 0)
    sidebar = page.locator("#sidebar-remote-access")
    expect(sidebar).to_have_count(0 if who in ("noperm", "manager") else 1)


def test_anonymous_callers_go_to_the_login_page(
    console_server: Server, new_context: Callable[..., BrowserContext]
) -> None:
    request = new_context().request
    for path in [*PAGES, "/console/monitoring/demo/stream", "/console/events"]:
        answer = request.get(path, max_redirects=0)
        assert answer.status == 303, path
        assert answer.headers["location"].startswith("/console/login?next=")
    posted = request.post("/console/settings/apps", max_redirects=0)
    assert posted.status in (401, 403)


def test_admin_sees_indicators_and_credentials_agent_does_not(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    with waiting_customer(console_server, "Rosa Queue", organization="Org R") as customer:
        admin = login_as("adminonly")
        admin.goto("/console/monitoring/demo")
        row = admin.locator("tr", has_text="Rosa Queue")
        expect(row.locator(".partner-id")).to_contain_text(customer["partner_id"])
        expect(row.locator(".partner-password")).to_contain_text(customer["password"])
        expect(admin.locator("#indicators")).to_be_visible()
        expect(row.get_by_role("button", name="Conectar")).to_have_count(0)
        agent = login_as("agentonly")
        agent.goto("/console/monitoring/demo")
        row = agent.locator("tr", has_text="Rosa Queue")
        expect(row).to_be_visible()
        expect(agent.locator("#indicators")).to_have_count(0)
        assert customer["partner_id"] not in agent.content()
        assert customer["password"] not in agent.content()
        both = login_as("both")
        both.goto("/console/monitoring/demo")
        expect(both.locator("#daily-chart")).to_be_visible()
        screenshot(both, "05-monitoring-admin-agent")
        screenshot(agent, "06-monitoring-agent")
