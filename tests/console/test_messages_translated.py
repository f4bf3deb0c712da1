"""Every refusal and label the console shows is in the page's language (helper-91's pt-BR
review, items 1-9): the refusals of the services and the console's own routes are marked
messages, Pydantic's English stays in the JSON API, and the ticket and monitoring pages
use the vendor's words. The stable ``code`` is the same in both languages.

Plain HTTP against the package's real server (``console_server``), once with
``Accept-Language: pt-BR`` (what a browser set to pt-BR sends) and once with ``en``; the
copy icon's toast in the real browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from helpdesk.db import db_factory, make_engine
from helpdesk.models import User
from helpdesk.services import online_watch, password_policy
from tests.console.conftest import credentials, waiting_customer
from tests.console.test_console_bad_input_forms import code_of, form_token, logged_in
from tests.helpdesk.server_process import Server

LANGUAGES = {"pt_BR": "pt-BR,pt;q=0.9", "en": "en-US,en;q=0.9"}
BIG = "9" * 20


def client_for(server: Server, who: str, lang: str) -> httpx.Client:
    client = logged_in(server, who)
    client.headers["Accept-Language"] = LANGUAGES[lang]
    return client


@pytest.fixture
def session(console_server: Server) -> Iterator[Callable[[str, str], httpx.Client]]:
    """``session(who, lang)``: a logged-in client whose requests ask for ``lang``."""
    made: list[httpx.Client] = []

    def make(who: str, lang: str) -> httpx.Client:
        made.append(client_for(console_server, who, lang))
        return made[-1]

    yield make
    for client in made:
        client.close()


def alert(answer: httpx.Response) -> str:
    """The message of a console error page (``<p role="alert">``), as the reader sees it."""
    found = re.search(r'<p role="alert">(.*?)</p>', answer.text, re.S)
    assert found, answer.text
    return html.unescape(found.group(1)).strip()


def csrf_header(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRF-Token": form_token(client.get("/console/tickets/1").text)}


REFUSALS = [  # (who, method, path, status, code, pt_BR, en)
    (
        "other",  # agent and administrator of another app only
        "GET",
        "/console/monitoring/demo",
        403,
        "not-app-member",
        "Você não é atendente nem administrador deste aplicativo.",
        "You are neither an agent nor an administrator of this app.",
    ),
    (
        "agent",
        "GET",
        "/console/monitoring/nope",
        404,
        "unknown-app",
        "Aplicativo de acesso remoto inexistente.",
        "No such remote-access app.",
    ),
    (
        "agent",
        "GET",
        "/console/connect/q999999",
        404,
        "unknown-person",
        "Este cliente não está mais aguardando conexão.",
        "This customer is no longer waiting for a connection.",
    ),
    (
        "agent",
        "POST",
        "/console/watch/999999",
        404,
        "unknown-person",
        "Cliente inexistente.",
        "No such client.",
    ),
    (
        "agent",
        "GET",
        "/console/tickets/abc",
        422,
        "invalid-input",
        "Este endereço não é válido.",
        "This address is not valid.",
    ),
    (
        "agent",
        "GET",
        f"/console/tickets/{BIG}",
        422,
        "invalid-input",
        "Este endereço não é válido.",
        "This address is not valid.",
    ),
    (
        "agent",
        "GET",
        f"/console/tickets?page={BIG}",
        422,
        "invalid-input",
        "O parâmetro “page” do endereço não é válido.",
        "The address's “page” parameter is not valid.",
    ),
    (
        "agent",
        "GET",
        f"/console/monitoring/demo?page={BIG}",
        422,
        "invalid-input",
        "O parâmetro “page” do endereço não é válido.",
        "The address's “page” parameter is not valid.",
    ),
]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("who", "method", "path", "status", "code", "pt_br", "en"),
    REFUSALS,
    ids=[f"{r[1]} {r[2]}" for r in REFUSALS],
)
def test_refusal_pages_speak_the_users_language(
    session: Callable[[str, str], httpx.Client],
    lang: str,
    who: str,
    method: str,
    path: str,
    status: int,
    code: str,
    pt_br: str,
    en: str,
) -> None:
    client = session(who, lang)
    headers = csrf_header(client) if method == "POST" else {}
    answer = client.request(
        method, path, headers=headers, data={"ticket": "1"} if headers else None
    )
    assert answer.status_code == status, answer.text
    assert answer.headers["content-language"] == lang.replace("_", "-")
    assert code_of(answer) == code
    assert alert(answer) == (pt_br if lang == "pt_BR" else en)
    assert "Input should" not in answer.text


def test_a_refused_form_field_is_named_in_the_users_language(
    session: Callable[[str, str], httpx.Client],
) -> None:
    """A form field Pydantic refuses (too long here) is named, not described in English
    (beside the field, on the form shown again: test_refused_form_refilled.py)."""
    client = session("agent", "pt_BR")
    token = form_token(client.get("/console/tickets/1").text)
    answer = client.post("/console/tickets/1/actions", data={"csrf": token, "minutes": "1" * 11})
    assert (answer.status_code, code_of(answer)) == (422, "invalid-input"), answer.text
    beside = re.search(
        r'<small class="field-error" id="refused-minutes"[^>]*>(.*?)</small>', answer.text
    )
    assert beside, answer.text
    assert html.unescape(beside.group(1)) == "O campo “Tempo gasto (minutos)” não é válido."


@pytest.mark.parametrize("lang", LANGUAGES)
def test_copy_icon_refusals_are_translated_json(
    console_server: Server, session: Callable[[str, str], httpx.Client], lang: str
) -> None:
    """The copy icon's JSON ``detail`` is what its toast shows: the page's language; the
    ``code`` stays the machine's."""
    agent = session("agent", lang)
    gone = agent.post("/console/monitoring/demo/connect-code/q999999", headers=csrf_header(agent))
    assert gone.status_code == 404
    assert gone.json() == {
        "code": "unknown-person",
        "detail": "Este cliente não está mais aguardando conexão."
        if lang == "pt_BR"
        else "This customer is no longer waiting for a connection.",
    }
    with waiting_customer(console_server, "Copy Refused") as customer:
        admin_only = session("adminonly", lang)  # sees the queue, may not connect
        live = admin_only.get("/console/monitoring/demo/live").text
        row = re.search(r'data-queue-ref="(q\d+)">\s*<td class="customer-name">Copy Refused', live)
        assert row, live
        refused = admin_only.post(
            f"/console/monitoring/demo/connect-code/{row.group(1)}",
            headers=csrf_header(admin_only),
        )
        assert customer["partner_id"] in live
    assert refused.status_code == 403
    assert refused.json() == {
        "code": "not-app-agent",
        "detail": "Somente os atendentes do aplicativo podem se conectar aos seus clientes."
        if lang == "pt_BR"
        else "Only the app's agents can connect to its customers.",
    }


def test_copy_icon_toast_is_portuguese(
    console_server: Server, login_as: Callable[..., Page]
) -> None:
    """In the browser: the copy icon's request for a customer the server no longer knows
    (the icon's address rewritten on its way) ends in a pt-BR toast."""
    with waiting_customer(console_server, "Toast Gone"):
        page = login_as("both")
        page.route(
            re.compile(r"/connect-code/q\d+$"),
            lambda route: route.continue_(url=re.sub(r"q\d+$", "q999999", route.request.url)),
        )
        page.goto("/console/monitoring/demo")
        page.locator("tr", has_text="Toast Gone").locator("button.copy").first.click()
        expect(page.locator(".toast")).to_have_text(
            "Este cliente não está mais aguardando conexão."
        )


@pytest.mark.parametrize(
    ("lang", "button", "watching", "column"),
    [
        (
            "pt_BR",
            "Notificar-me quando o cliente estiver disponível para conexão",
            "Você será notificado assim que o cliente estiver disponível para conexão.",
            "Tempo de espera",
        ),
        (
            "en",
            "Notify me when the customer is available for connection",
            "You will be notified as soon as the customer is available for connection.",
            "Waiting time",
        ),
    ],
)
def test_notify_and_waiting_time_use_the_vendors_words(
    console_server: Server,
    session: Callable[[str, str], httpx.Client],
    lang: str,
    button: str,
    watching: str,
    column: str,
) -> None:
    """ "When online" read as the agent being online, and "Waiting since 0:41" as a clock
    time: the product description's "assim que o cliente estiver disponível para
    conexão", and a waiting time."""
    client = session("agent", lang)
    ticket = client.get("/console/tickets/1").text
    assert 'id="remote-offline"' in ticket, ticket
    assert f">{button}</button>" in ticket
    person = re.search(r'hx-post="/console/watch/(\d+)"', ticket)
    assert person
    try:
        fragment = client.post(
            f"/console/watch/{person.group(1)}",
            data={"ticket": "1"},
            headers={**csrf_header(client), "HX-Request": "true"},
        )
        assert fragment.status_code == 200, fragment.text
        assert f'id="remote-watching">{watching}</span>' in fragment.text
    finally:  # no watch left behind for the package's other tests
        engine = make_engine(console_server.db_url)
        with db_factory(engine)() as db:
            email = credentials(console_server, "agent")[0]
            user_id = db.scalars(select(User.id).where(User.email == email)).one()
            online_watch.unwatch(db, user_id, int(person.group(1)))
        engine.dispose()
    monitoring = client.get("/console/monitoring/demo").text
    assert f"<th>{column}</th>" in monitoring
    assert "Aguardando desde" not in monitoring and "Waiting since" not in monitoring


def test_users_form_asks_for_the_policys_password_length(
    session: Callable[[str, str], httpx.Client],
) -> None:
    """The initial password's bounds are the policy's (the form said 8, the policy 12)."""
    page = session("admin", "pt_BR").get("/console/settings/users").text
    field = re.search(r'<input name="password"[^>]*>', page)
    assert field, page
    assert f'minlength="{password_policy.MIN_LENGTH}"' in field.group(0)
    assert f'maxlength="{password_policy.MAX_LENGTH}"' in field.group(0)
