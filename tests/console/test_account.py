"""Change password (the user menu): every other browser session of the user ends, this
one goes on; the old password no longer logs in; mistakes are said clearly and no
password is ever sent back into the form; wrong current passwords are rate-limited."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from helpdesk.admin import add_user
from helpdesk.db import db_factory, make_engine
from tests.console.conftest import screenshot
from tests.helpdesk.server_process import Server

USERS = ("pwchange", "pwwrong", "pwlimit")
PASSWORD_FIELDS = ("current", "new", "again")


@pytest.fixture(scope="module", autouse=True)
def password_users(console_server: Server) -> None:
    """Users of their own (passwords ``<name>-pass1``): changing a password here must not
    touch the accounts the other console tests log in with."""
    engine = make_engine(f"sqlite:///{console_server.data_dir / 'helpdesk.sqlite3'}")
    sessions = db_factory(engine)
    for name in USERS:
        add_user(sessions, f"{name}@example.com", name.title(), f"{name}-pass1")
    engine.dispose()


def change(page: Page, current: str, new: str, again: str | None = None) -> None:
    page.fill("input[name=current]", current)
    page.fill("input[name=new]", new)
    page.fill("input[name=again]", new if again is None else again)
    page.click("#password-submit")


def log_in(context: BrowserContext, email: str, password: str) -> Page:
    page = context.new_page()
    page.goto("/console/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("#login-submit")
    return page


def test_changing_the_password_ends_every_other_session_and_keeps_this_one(
    login_as: Callable[..., Page], new_context: Callable[..., BrowserContext]
) -> None:
    mine, other = login_as("pwchange"), login_as("pwchange")
    other.goto("/console/tickets")
    expect(other.locator("h1")).to_be_visible()
    mine.goto("/console/tickets")
    mine.click("#user-menu summary")
    mine.click("#change-password")
    mine.wait_for_url("**/console/account/password")
    screenshot(mine, "13-change-password")
    change(mine, "pwchange-pass1", "a-brand-new-pass")
    expect(mine.locator("#password-changed")).to_have_text(
        "Sua senha foi alterada. Suas outras sessões no navegador foram encerradas."
    )
    mine.goto("/console/tickets")  # this browser is logged in with the new epoch
    expect(mine).to_have_url(re.compile(r"/console/tickets$"))
    other.goto("/console/tickets")  # the other one has been logged out
    other.wait_for_url("**/console/login**")

    old = log_in(new_context(), "pwchange@example.com", "pwchange-pass1")
    expect(old.locator("#login-error")).to_have_text("E-mail ou senha incorretos.")
    fresh = log_in(new_context(), "pwchange@example.com", "a-brand-new-pass")
    fresh.wait_for_url(lambda url: "/console/login" not in url)


def test_mistakes_are_said_and_no_password_is_sent_back(
    login_as: Callable[..., Page],
) -> None:
    page, other = login_as("pwwrong"), login_as("pwwrong")
    page.goto("/console/account/password")
    cases = [
        (("not-my-password", "another-pass-1"), "A senha atual está errada."),
        (
            ("pwwrong-pass1", "another-pass-1", "another-pass-2"),
            "As duas novas senhas são diferentes.",
        ),
        (("pwwrong-pass1", "pwwrong-pass1"), "A nova senha deve ser diferente da atual."),
    ]
    for args, message in cases:
        change(page, *args)
        expect(page.locator("#password-error")).to_have_text(message)
        for field in PASSWORD_FIELDS:
            expect(page.locator(f"input[name={field}]")).to_have_value("")
        assert "pwwrong-pass1" not in page.content() and "another-pass" not in page.content()
    screenshot(page, "14-change-password-refused")
    other.goto("/console/tickets")  # nothing changed: the other session goes on
    expect(other).to_have_url(re.compile(r"/console/tickets$"))
    change(page, "pwwrong-pass1", "a-different-pass-2")  # and the form still works
    expect(page.locator("#password-changed")).to_be_visible()


def test_wrong_current_passwords_are_rate_limited_like_logins(
    login_as: Callable[..., Page],
) -> None:
    page = login_as("pwlimit", locale="en-US")
    page.goto("/console/account/password")
    for _ in range(6):
        change(page, "guess-guess", "another-pass-1")
        expect(page.locator("#password-error")).to_have_text("The current password is wrong.")
    with page.expect_response("**/console/account/password") as answer:
        change(page, "pwlimit-pass1", "another-pass-1")  # even the right one, for now
    assert answer.value.status == 429 and int(answer.value.headers["retry-after"]) > 0
    expect(page.locator("#password-error")).to_contain_text(
        "Too many wrong passwords. Try again in"
    )
    page.goto("/console/tickets")  # the session itself is not ended by guessing
    expect(page).to_have_url(re.compile(r"/console/tickets$"))
