"""The console's own parameters: ids and pages out of range or in non-ASCII digits, NUL in
a form, are refused with a 4xx page or answer, never a 500 (issue 10, defect 2)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.helpdesk.server_process import Server

BIG = "9" * 20


@pytest.mark.parametrize(
    "path",
    [
        f"/console/tickets/{BIG}",
        f"/console/tickets?page={BIG}",
        f"/console/monitoring/demo?page={BIG}",
        f"/console/settings/profiles?edit={BIG}",
        f"/console/tickets/{BIG}/remote",
        "/console/connect/q²",
        f"/console/connect/q{BIG}",
        "/console/tickets/%C2%B2",
    ],
)
def test_out_of_range_ids_are_a_4xx_page(
    console_server: Server, login_as: Callable[..., Page], path: str
) -> None:
    page = login_as("admin")
    response = page.request.get(path, max_redirects=0)
    assert 400 <= response.status < 500, (path, response.status)


def test_nul_in_a_console_form_is_refused(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    page = login_as("admin")
    response = page.request.post(
        "/console/tickets/1/actions",
        data="text=a%00b&minutes=",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 400 and response.json()["code"] == "invalid-input"
    minutes = page.request.post(
        "/console/tickets/1/actions",
        data="text=fine&minutes=%C2%B2",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= minutes.status < 500  # "²" minutes: refused (CSRF first), not a 500
