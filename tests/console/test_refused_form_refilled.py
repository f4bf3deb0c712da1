"""A form field refused at validation (too long, of the wrong type) shows the form again
(helper review, item 1): 422, what was typed back in its fields, the refused field marked
(``aria-invalid``) and focused, its message beside it; never an error page that loses what
was typed. Password fields are never sent back; a typed value comes back as text, never as
markup. The form's rights are checked again: a user without them gets 403, not the page.

In Debian's chromium against the package's real server: each form is filled in as a user
would, then one field is made longer than the server takes (its ``maxlength`` removed, as
on a stale or edited page) before the form is sent.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.console.test_console_bad_input_forms import form_token, logged_in
from tests.helpdesk.server_process import Server

EVIL = '"><b id="injected">x</b><script>window.injected=1</script>'


def overlong(page: Page, selector: str, length: int = 5000, suffix: str = "") -> None:
    """Type into ``selector`` more than the server takes (the field's limit lifted)."""
    page.eval_on_selector(selector, "e => e.removeAttribute('maxlength')")
    page.fill(selector, "9" * length + suffix)


def send(page: Page, button: str) -> None:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(button)
    assert answer.value.status == 422, answer.value.text()


def marked(page: Page, selector: str, message: str) -> None:
    """The refused field: marked, focused, described by its message shown beside it."""
    field = page.locator(selector)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    described = field.get_attribute("aria-describedby")
    assert described
    expect(page.locator(f"#{described}")).to_have_text(message)
    expect(page.locator(f"#{described}")).to_be_visible()
    assert page.locator(".error-page").count() == 0
    assert page.locator("#injected").count() == 0
    assert page.evaluate("window.injected") is None


def test_login_form_again(new_context: Callable[..., BrowserContext]) -> None:
    page = new_context().new_page()
    page.goto("/console/login?next=/console/tickets")
    hidden = "article input[name=next]"
    page.eval_on_selector(hidden, "(e, v) => e.value = '/console/tickets' + v", EVIL)
    page.fill("input[name=password]", "typed-secret-1")
    overlong(page, "input[name=email]", suffix="@example.com")
    send(page, "#login-submit")
    marked(page, "input[name=email]", "O campo “E-mail” não é válido.")
    expect(page.locator("input[name=email]")).to_have_value("9" * 5000 + "@example.com")
    expect(page.locator("input[name=password]")).to_have_value("")
    expect(page.locator("article input[name=next]")).to_have_value("/console/tickets" + EVIL)
    assert "typed-secret-1" not in page.content()


def test_password_form_again(login_as: Callable[..., Page]) -> None:
    page = login_as("agentonly", locale="en-US")
    page.goto("/console/account/password")
    page.fill("input[name=current]", "typed-current-1")
    page.fill("input[name=again]", "typed-again-1")
    overlong(page, "input[name=new]")
    send(page, "#password-submit")
    marked(page, "input[name=new]", "The field “New password” is not valid.")
    for name in ("current", "new", "again"):  # passwords are never sent back
        expect(page.locator(f"input[name={name}]")).to_have_value("")
    assert "typed-current-1" not in page.content()


def test_profile_form_again(login_as: Callable[..., Page]) -> None:
    page = login_as("admin")
    page.goto("/console/settings/profiles")
    page.check("#perm-remote-apps")
    overlong(page, "#profile-form input[name=name]")
    send(page, "#profile-form button[type=submit]")
    marked(page, "#profile-form input[name=name]", "O campo “Nome” não é válido.")
    expect(page.locator("#profile-form input[name=name]")).to_have_value("9" * 5000)
    expect(page.locator("#perm-remote-apps")).to_be_checked()


def test_user_form_again(login_as: Callable[..., Page]) -> None:
    page = login_as("admin")
    page.goto("/console/settings/users")
    form = "#user-form"
    email = f"{secrets.token_hex(4)}@example.com"
    page.fill(f"{form} input[name=email]", email)
    page.fill(f"{form} input[name=password]", "Typed-initial-9q")
    page.select_option(f"{form} select[name=profile_id]", label="Administradores")
    overlong(page, f"{form} input[name=name]")
    send(page, f"{form} button[type=submit]")
    marked(page, f"{form} input[name=name]", "O campo “Nome” não é válido.")
    expect(page.locator(f"{form} input[name=email]")).to_have_value(email)
    expect(page.locator(f"{form} select[name=profile_id] option:checked")).to_have_text(
        "Administradores"
    )
    expect(page.locator(f"{form} input[name=password]")).to_have_value("")
    assert "Typed-initial-9q" not in page.content()
    assert page.locator("#users td", has_text=email).count() == 0


def test_users_profile_select_again(login_as: Callable[..., Page]) -> None:
    page = login_as("admin", locale="en-US")
    page.goto("/console/settings/users")
    row = page.locator("#users tr", has_text="agentonly@example.com")
    select = row.locator("select[name=profile_id]")
    select.evaluate("e => { e.options[1].value = '9'.repeat(500); e.selectedIndex = 1; }")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        select.dispatch_event("change")
    assert answer.value.status == 422
    marked(
        page,
        "#users tr:has-text('agentonly@example.com') select[name=profile_id]",
        "The field “Access profile” is not valid.",
    )
    expect(page.locator("#user-form [aria-invalid]")).to_have_count(0)


def test_token_form_again(login_as: Callable[..., Page]) -> None:
    page = login_as("admin")
    page.goto("/console/settings/tokens")
    page.fill("#token-form input[name=name]", EVIL)
    overlong(page, "#token-form input[name=organization]")
    send(page, "#token-form button[type=submit]")
    marked(page, "#token-form input[name=organization]", "O campo “Organização” não é válido.")
    expect(page.locator("#token-form input[name=name]")).to_have_value(EVIL)
    expect(page.locator("#new-token")).to_have_count(0)


def test_token_app_is_named_as_its_label_says(login_as: Callable[..., Page]) -> None:
    """Item 3: the app field's label and its refusal say the same word ("Aplicativo",
    not "ou aplicativo"), in both languages."""
    for locale, label, said in (
        ("pt-BR", "Aplicativo", "O campo “Aplicativo” não é válido."),
        ("en-US", "App", "The field “App” is not valid."),
    ):
        page = login_as("admin", locale=locale)
        page.goto("/console/settings/tokens")
        select = page.locator("#token-form select[name=app_id]")
        label_text = select.evaluate("e => e.closest('label').firstChild.textContent.trim()")
        assert label_text == label
        page.fill("#token-form input[name=name]", "Typed name")
        select.evaluate("e => { e.options[0].value = 'x'.repeat(500); e.selectedIndex = 0; }")
        send(page, "#token-form button[type=submit]")
        marked(page, "#token-form select[name=app_id]", said)
        expect(page.locator("#token-form input[name=name]")).to_have_value("Typed name")


def test_action_form_again(login_as: Callable[..., Page]) -> None:
    page = login_as("agent")
    page.goto("/console/tickets/1")
    typed = "Line one\nLine <two> & three"
    page.fill("#action-text", typed)
    overlong(page, "#action-form input[name=minutes]", 12)
    send(page, "#add-action")
    marked(
        page, "#action-form input[name=minutes]", "O campo “Tempo gasto (minutos)” não é válido."
    )
    expect(page.locator("#action-text")).to_have_value(typed)
    expect(page.locator("#action-form input[name=minutes]")).to_have_value("9" * 12)
    assert page.locator(".action p.pre-wrap", has_text="Line one").count() == 0


def test_a_refill_checks_the_form_rights(console_server: Server) -> None:
    """A user without the permission, whose crafted form is refused at validation, is
    refused the page too: the users list is not shown to them."""
    with contextlib.closing(logged_in(console_server, "noperm")) as client:
        token = form_token(client.get("/console/tickets").text)
        for path, field in (
            ("/console/settings/users", "name"),
            ("/console/settings/tokens", "organization"),
            ("/console/settings/profiles", "name"),
        ):
            answer = client.post(path, data={"csrf": token, field: "x" * 5000})
            assert answer.status_code == 403, answer.text
            assert 'data-code="missing-permission"' in answer.text
            assert "admin@" not in answer.text and "x" * 5000 not in answer.text


def test_a_refused_address_is_still_the_error_page(console_server: Server) -> None:
    """No form to show again for an address that is not one (the ticket's number)."""
    with contextlib.closing(logged_in(console_server, "admin")) as client:
        token = form_token(client.get("/console/tickets/1").text)
        answer = client.post(
            "/console/tickets/99999999999999/actions",
            data={"csrf": token, "text": "typed", "minutes": "1" * 50},
        )
    assert answer.status_code == 422
    assert re.search(r'class="narrow error-page"', answer.text), answer.text
