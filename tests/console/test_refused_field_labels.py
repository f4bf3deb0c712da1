"""A form field the console refuses is named by the label its form shows, in the page's
language ("O campo “Tempo gasto (minutos)” não é válido."), never by its HTML name
(``minutes``); a field the page does not show (hidden) is not named at all: the form is to
be sent again. Every console form, each of its fields with a bound, both languages. The
named field's message is beside it on the form shown again (test_refused_form_refilled.py);
a hidden field's is the error page's.

Plain HTTP against the package's real server: a browser keeps within the fields' own
bounds, so only a crafted (or stale) form gets here."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.console.test_console_bad_input_forms import code_of, form_token, logged_in
from tests.console.test_messages_translated import LANGUAGES, alert
from tests.helpdesk.server_process import Server

LONG = "x" * 401  # past every bounded text field of the console's forms
SENTENCE = {"pt_BR": "O campo “{}” não é válido.", "en": "The field “{}” is not valid."}
RESEND = {
    "pt_BR": "Não foi possível ler o pedido: envie o formulário de novo.",
    "en": "The request could not be read: send the form again.",
}
USERS_PROFILE = "/console/settings/users/{user}/profile"
ACCOUNT = "/console/account/password"
USERS = "/console/settings/users"
TOKENS = "/console/settings/tokens"
ACTIONS = "/console/tickets/1/actions"
PAGE_OF = {ACTIONS: "/console/tickets/1", USERS_PROFILE: USERS}
"""The page that shows a form, where it is not the form's own address."""
FIELDS = [  # (post path, field, pt_BR label, en label)
    ("/console/login", "email", "E-mail", "Email"),
    ("/console/login", "password", "Senha", "Password"),
    (ACCOUNT, "current", "Senha atual", "Current password"),
    (ACCOUNT, "new", "Nova senha", "New password"),
    (ACCOUNT, "again", "Confirme a nova senha", "New password again"),
    ("/console/settings/profiles", "name", "Nome", "Name"),
    (USERS, "email", "E-mail", "Email"),
    (USERS, "name", "Nome", "Name"),
    (USERS, "password", "Senha inicial", "Initial password"),
    (USERS, "profile_id", "Perfil de acesso", "Access profile"),
    (USERS_PROFILE, "profile_id", "Perfil de acesso", "Access profile"),
    (TOKENS, "name", "Nome", "Name"),
    (TOKENS, "organization", "Organização", "Organization"),
    (TOKENS, "app_id", "Aplicativo", "App"),
    (ACTIONS, "text", "Ação", "Action"),
    (ACTIONS, "minutes", "Tempo gasto (minutos)", "Time spent (minutes)"),
]


@pytest.fixture(scope="module")
def clients(console_server: Server) -> Iterator[dict[str, httpx.Client]]:
    """The admin (every console permission) and an anonymous visitor, per language."""
    made: dict[str, httpx.Client] = {}
    for lang, accept in LANGUAGES.items():
        made[f"admin-{lang}"] = logged_in(console_server, "admin")
        made[f"anonymous-{lang}"] = httpx.Client(base_url=console_server.http_url, timeout=10)
        for name in ("admin", "anonymous"):
            made[f"{name}-{lang}"].headers["Accept-Language"] = accept
    yield made
    for client in made.values():
        client.close()


def said(answer: httpx.Response) -> str:
    """The refusal's message: beside the refused field of the form shown again, else the
    error page's."""
    found = re.search(r'<small class="field-error"[^>]*>(.*?)</small>', answer.text, re.S)
    return html.unescape(found.group(1)).strip() if found else alert(answer)


def refused(client: httpx.Client, page: str, path: str, field: str, value: str) -> str:
    """Post the form of ``page`` with ``field`` set to ``value``: the refusal's message."""
    shown = client.get(page).text
    if "{user}" in path:
        user = re.search(r'action="/console/settings/users/(\d+)/profile"', shown)
        assert user, shown
        path = path.format(user=user.group(1))
    answer = client.post(path, data={"csrf": form_token(shown), field: value})
    assert (answer.status_code, code_of(answer)) == (422, "invalid-input"), answer.text
    assert "Input should" not in answer.text and "String should" not in answer.text
    return said(answer)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("path", "field", "pt_br", "en"), FIELDS, ids=[f"{f[0]} {f[1]}" for f in FIELDS]
)
def test_a_refused_field_is_named_by_its_label(
    clients: dict[str, httpx.Client], lang: str, path: str, field: str, pt_br: str, en: str
) -> None:
    client = clients[f"{'anonymous' if path == '/console/login' else 'admin'}-{lang}"]
    page = PAGE_OF.get(path, path)
    label = pt_br if lang == "pt_BR" else en
    # the label is the one the form shows, in this language
    assert label.lower() in html.unescape(client.get(page).text).lower()
    value = "1" * 40_001 if field == "text" else LONG
    assert refused(client, page, path, field, value) == SENTENCE[lang].format(label)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("who", "page", "path", "field", "value"),
    [
        ("anonymous", "/console/login", "/console/login", "next", "/" * 501),
        ("admin", "/console/tickets/1", "/console/watch/1", "ticket", "abc"),
    ],
)
def test_a_refused_hidden_field_asks_for_the_form_again(
    clients: dict[str, httpx.Client],
    lang: str,
    who: str,
    page: str,
    path: str,
    field: str,
    value: str,
) -> None:
    """Not "the field “next”": there is no such field to correct on the page."""
    message = refused(clients[f"{who}-{lang}"], page, path, field, value)
    assert message == RESEND[lang]
    assert field not in message
