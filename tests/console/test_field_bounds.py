"""What a console form lets one type is what its server takes (helper review, item 2):
every text field of every form has a ``maxlength`` (read in Debian's chromium), the
server takes a value of that many characters and refuses one more. Before, the users
form's name and email had none (the server then took 400 characters and refused past 200
and 320), a profile's name was allowed 200 by the route and 100 by the service, and a
ticket action's line breaks, one character each to the browser but sent as CRLF, made an
action the browser allowed "too long" for the server.

The probes post through the browser context's own session (``page.request``); the
action's text is typed and sent by the browser itself.
"""

from __future__ import annotations

import html
import secrets
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from helpdesk.admin import add_app, add_user
from helpdesk.console import i18n
from helpdesk.db import db_factory, make_engine
from tests.console.test_console_bad_input_forms import form_token
from tests.helpdesk.server_process import Server

FIELDS_JS = """() => [...document.querySelectorAll("form")].flatMap((form) =>
  [...form.elements].filter((e) => !e.readOnly && !e.hidden && (e.tagName === "TEXTAREA"
    || (e.tagName === "INPUT" && !["hidden", "checkbox", "radio", "file", "submit",
                                   "button"].includes(e.type))))
  .map((e) => [new URL(form.action).pathname, e.name, e.maxLength]))"""
"""Each text field the user can type into: its form's address, its name, its maxlength
(-1: none)."""
PT_BR = i18n.translations("pt_BR").gettext


def hexed(n: int, fill: str) -> str:
    """``n`` characters, unique: a random start, then ``fill``."""
    return (secrets.token_hex(4) + fill * n)[:n]


def strong(n: int) -> str:
    """A password the policy takes, ``n`` characters long."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


def email(n: int) -> str:
    return hexed(n - len("@example.com"), "e") + "@example.com"


def fresh_app(_: int) -> dict[str, str]:
    return {"app_id": hexed(12, "a"), "name": "Bounds"}


@dataclass(frozen=True)
class Probe:
    value: Callable[[int], str]
    base: Callable[[int], dict[str, str]] = lambda _: {}
    taken: frozenset[int] = field(default=frozenset({303}))
    """The answers that take the value (a refusal for another reason may be one)."""
    refusal: str | None = None
    """What the service says of one character more; None: the field is marked refused."""


def plain(fill: str) -> Callable[[int], str]:
    return lambda n: fill * n


def on_new_app(probe: Probe) -> Probe:
    """``probe`` on the new-app form: each probe saves a new app."""
    return Probe(probe.value, lambda n: {**fresh_app(n), **probe.base(n)}, refusal=probe.refusal)


def on_app(probe: Probe) -> Probe:
    return Probe(probe.value, lambda n: {"name": "Bounds", **probe.base(n)}, refusal=probe.refusal)


WRONG_LOGIN = frozenset({401, 429})
NOT_THE_FIELD = frozenset({303, 422, 429})  # a wrong current password; not this field
APP_FIELDS = {
    "name": Probe(plain("n"), refusal="The name has at most 200 characters."),
    "title": Probe(plain("t"), refusal="The title has at most 200 characters."),
    "region": Probe(
        plain("r"),
        refusal="A relay region has lowercase letters, digits and dashes, like br or eu-west.",
    ),
    "custom_key_0": Probe(
        plain("k"),
        lambda _: {"custom_label_0": "Label"},
        refusal="A custom field's key is unique and has lowercase letters, digits or _.",
    ),
    "custom_label_0": Probe(
        plain("l"),
        lambda _: {"custom_key_0": "ref"},
        refusal="A custom field's label has at most 100 characters.",
    ),
}
PROBES: dict[str, dict[str, Probe]] = {
    "/console/login": {
        "email": Probe(email, taken=WRONG_LOGIN),
        "password": Probe(plain("p"), lambda _: {"email": "nobody@example.com"}, WRONG_LOGIN),
    },
    "/console/account/password": {
        "current": Probe(plain("c"), lambda _: {"new": "x", "again": "x"}, NOT_THE_FIELD),
        "new": Probe(strong, lambda _: {"current": "wrong", "again": "x"}, NOT_THE_FIELD),
        "again": Probe(strong, lambda _: {"current": "wrong", "new": "x"}, NOT_THE_FIELD),
    },
    "/console/settings/profiles": {"name": Probe(lambda n: hexed(n, "p"))},
    "/console/settings/users": {
        "name": Probe(plain("u"), lambda _: {"email": email(40), "password": strong(16)}),
        "email": Probe(email, lambda _: {"name": "Bounds", "password": strong(16)}),
        "password": Probe(strong, lambda _: {"name": "Bounds", "email": email(40)}),
    },
    "/console/settings/tokens": {
        "name": Probe(plain("t"), lambda _: {"organization": "Org"}, frozenset({200})),
        "organization": Probe(plain("o"), lambda _: {"name": "Org"}, frozenset({200})),
    },
    "/console/tickets/1/actions": {
        "text": Probe(plain("a"), refusal="The action is too long."),
        "minutes": Probe(lambda n: str(24 * 60).zfill(n), lambda _: {"text": "Bounds"}),
    },
    "/console/settings/apps": {
        "app_id": Probe(
            lambda n: hexed(n, "a"),
            lambda _: {"name": "Bounds"},
            refusal="The app ID has 2 to 40 lowercase letters, digits or dashes.",
        ),
        **{name: on_new_app(probe) for name, probe in APP_FIELDS.items()},
    },
    "/console/settings/apps/bounds": {name: on_app(p) for name, p in APP_FIELDS.items()},
}


@pytest.fixture(scope="module")
def accounts(console_server: Server) -> Iterator[None]:
    """``bounds`` (its password is what the account form's probes get wrong) and the app
    ``bounds`` whose form is probed."""
    engine = make_engine(console_server.db_url)
    sessions = db_factory(engine)
    add_user(sessions, "bounds@example.com", "Bounds Probe", "bounds-pass1")
    add_app(sessions, "bounds", "Bounds")
    engine.dispose()
    yield


def fields_of(page: Page, url: str) -> dict[str, dict[str, int]]:
    """The text fields of the page at ``url``, by form address; ``custom_key_3`` and the
    like as ``custom_key_0`` (they share one bound)."""
    page.goto(url)
    found: dict[str, dict[str, int]] = {}
    for action, name, most in page.evaluate(FIELDS_JS):
        if action == "/console/language":
            continue
        key = name.rsplit("_", 1)[0] + "_0" if name.startswith("custom_") else name
        assert found.setdefault(action, {}).setdefault(key, most) == most, (url, name)
    return found


def probe(page: Page, action: str, name: str, most: int) -> None:
    """The server takes ``most`` characters in ``name`` and refuses ``most + 1``."""
    check = PROBES[action][name]
    token = form_token(page.content())
    for length, takes in ((most, True), (most + 1, False)):
        form = {"csrf": token, **check.base(length), name: check.value(length)}
        assert len(form[name]) == length
        answer = page.request.post(action, form=form, max_redirects=0)
        body = answer.text()
        refused_here = f'id="refused-{name}"' in body or 'class="narrow error-page"' in body
        if takes:
            assert answer.status in check.taken and not refused_here, (action, name, body)
        else:
            said = f'id="refused-{name}"' if check.refusal is None else PT_BR(check.refusal)
            assert answer.status == 422 and said in html.unescape(body), (action, name, body)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        (None, "/console/login"),
        ("bounds", "/console/account/password"),
        ("admin", "/console/settings/profiles"),
        ("admin", "/console/settings/users"),
        ("admin", "/console/settings/tokens"),
        ("admin", "/console/tickets/1"),
        ("admin", "/console/settings/apps/new"),
        ("admin", "/console/settings/apps/bounds"),
    ],
)
def test_every_text_field_is_bounded_as_the_server_bounds_it(
    accounts: None,
    login_as: Callable[..., Page],
    new_context: Callable[..., BrowserContext],
    who: str | None,
    url: str,
) -> None:
    page = login_as(who) if who else new_context().new_page()
    found = fields_of(page, url)
    assert found, url
    for action, fields in found.items():
        assert set(fields) == set(PROBES[action]), (action, fields)
        unbounded = [name for name, most in fields.items() if most < 0]
        assert not unbounded, (action, unbounded)
        for name, most in fields.items():
            page.goto(url)
            probe(page, action, name, most)


def test_an_action_as_long_as_the_browser_allows_is_taken(login_as: Callable[..., Page]) -> None:
    """Typed up to the textarea's maxlength with line breaks (each sent as CRLF): the
    server takes it as typed, line breaks as one character."""
    page = login_as("agent")
    page.goto("/console/tickets/1")
    most = int(page.get_attribute("#action-text", "maxlength") or 0)
    line = "x" * 49 + "\n"
    page.click("#action-text")
    page.keyboard.insert_text(f"bounds-{secrets.token_hex(3)} " + line * (most // len(line)))
    typed = page.input_value("#action-text")
    assert len(typed) == most and typed.count("\n") > most // 60
    with page.expect_navigation():
        page.click("#add-action")
    expect(page.locator("#action-error")).to_have_count(0)
    shown = page.locator(".action p.pre-wrap").last
    assert shown.evaluate("e => e.textContent") == typed.strip()
