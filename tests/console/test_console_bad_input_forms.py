"""Bad input in the console's forms and headers (fuzz review, defects 1-5, 7, 8): each is
refused with a coded 4xx, never a 500, and nothing of it reaches the database.

Plain HTTP against the package's real server (``console_server``): a browser would never
send these requests.
"""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from starlette.requests import Request

from helpdesk.console.web import error_page
from helpdesk.db import db_factory, make_engine
from helpdesk.models import Presence
from tests.console.conftest import credentials, register_customer
from tests.helpdesk.server_process import Server

URLENCODED = {"Content-Type": "application/x-www-form-urlencoded"}


def form_token(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def logged_in(server: Server, who: str) -> httpx.Client:
    """A client holding ``who``'s console session cookie, through the real login form."""
    client = httpx.Client(base_url=server.http_url, timeout=10)
    token = form_token(client.get("/console/login").text)
    email, password = credentials(server, who)
    answer = client.post(
        "/console/login",
        data={"email": email, "password": password, "csrf": token, "next": "/console/tickets"},
    )
    assert answer.status_code == 303, answer.text
    return client


@pytest.fixture(scope="module")
def admin(console_server: Server) -> Iterator[tuple[httpx.Client, str]]:
    client = logged_in(console_server, "admin")
    try:
        yield client, form_token(client.get("/console/tickets/1").text)
    finally:
        client.close()


@pytest.fixture(scope="module")
def agent(console_server: Server) -> Iterator[tuple[httpx.Client, str]]:
    client = logged_in(console_server, "agent")
    try:
        yield client, form_token(client.get("/console/tickets/1").text)
    finally:
        client.close()


def code_of(answer: httpx.Response) -> str:
    """The stable code of a console refusal: ``data-code`` of a page, ``code`` of JSON."""
    if answer.headers.get("content-type", "").startswith("application/json"):
        return str(answer.json()["code"])
    marker = 'data-code="'
    start = answer.text.index(marker) + len(marker)
    return answer.text[start : answer.text.index('"', start)]


def multipart(boundary: str, fields: dict[str, bytes]) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def test_unparsable_origin_is_a_cross_site_request(console_server: Server) -> None:
    with httpx.Client(base_url=console_server.http_url, timeout=10) as client:
        token = form_token(client.get("/console/login").text)
        answer = client.post(
            "/console/login",
            data={"email": "a@example.com", "password": "x", "csrf": token},
            headers={"Origin": "http://[::1"},
        )
    assert answer.status_code == 403, answer.text
    assert code_of(answer) == "cross-site-request"


@pytest.mark.parametrize("where", ["field", "header"])
def test_non_ascii_csrf_token_is_a_bad_form_token(console_server: Server, where: str) -> None:
    with httpx.Client(base_url=console_server.http_url, timeout=10) as client:
        client.get("/console/login")  # the session cookie
        data = {"email": "a@example.com", "password": "x"}
        if where == "field":
            answer = client.post("/console/login", data={**data, "csrf": "é"})
        else:
            answer = client.post("/console/login", data=data, headers=[(b"X-CSRF-Token", b"\xff")])
    assert answer.status_code == 403, answer.text
    assert code_of(answer) == "bad-form-token"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n"),
        ("multipart/form-data; boundary=zz", b"garbagegarbage"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/console/tickets/1/actions", "/console/monitoring/demo/connect-code/q1"]
)
def test_broken_multipart_is_a_400_page(
    admin: tuple[httpx.Client, str], content_type: str, body: bytes, path: str
) -> None:
    client, token = admin
    answer = client.post(
        path, content=body, headers={"Content-Type": content_type, "X-CSRF-Token": token}
    )
    assert answer.status_code == 400, answer.text
    assert code_of(answer) == "http-error"
    # in the page's language (the console's default, pt_BR), not Starlette's English
    assert "Não foi possível ler o pedido: envie o formulário de novo." in answer.text


def test_oversize_chunked_form_is_a_413_without_a_traceback(
    console_server: Server, admin: tuple[httpx.Client, str]
) -> None:
    client, token = admin
    before = len(console_server.process.log)

    def chunks() -> Iterator[bytes]:
        yield f"csrf={token}&text=".encode()
        for _ in range(80):
            yield b"a" * 1024

    answer = client.post("/console/tickets/1/actions", content=chunks(), headers=URLENCODED)
    assert answer.status_code == 413 and answer.json()["code"] == "body-too-large"
    # a later request is answered after the cut-off one was handled: its log is complete
    assert client.get("/console/tickets/1").status_code == 200
    logged = "".join(console_server.process.log[before:])
    assert "Traceback" not in logged, logged


def test_lone_surrogate_in_a_raw_form_value_is_a_422(
    console_server: Server, admin: tuple[httpx.Client, str]
) -> None:
    """UTF-7 ``+2AA-`` is a lone surrogate once Starlette decodes it."""
    client, token = admin
    body = multipart(
        "bnd", {"csrf": token.encode(), "name": b"Surrogates", "permissions": b"+2AA-"}
    )
    answer = client.post(
        "/console/settings/profiles",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=bnd; charset=utf-7"},
    )
    assert answer.status_code == 422, answer.text
    assert code_of(answer) == "invalid-input"
    assert "Surrogates" not in client.get("/console/settings/profiles").text


def test_error_page_renders_a_lone_surrogate() -> None:
    """Whatever reaches a refusal's message, the page still encodes (no 500)."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/console/x",
        "headers": [],
        "query_string": b"",
    }
    page = error_page(Request(scope), 422, "bad \ud800 value", "invalid-input")
    assert page.status_code == 422
    assert b'data-code="invalid-input"' in page.body and b"\\ud800" in page.body


def test_raw_nul_in_a_urlencoded_form_is_refused(admin: tuple[httpx.Client, str]) -> None:
    client, token = admin
    answer = client.post(
        "/console/tickets/1/actions",
        content=f"csrf={token}&text=raw\x00nul-urlencoded".encode(),
        headers=URLENCODED,
    )
    assert 400 <= answer.status_code < 500 and code_of(answer) == "invalid-input", answer.text
    assert "nul-urlencoded" not in client.get("/console/tickets/1").text


def test_a_form_with_hundreds_of_fields_is_read(admin: tuple[httpx.Client, str]) -> None:
    """Every form is read once with one set of limits (``web.FORM_LIMITS``): an app's
    form has a field for each user ticked as its admin or agent, and at 200 fields one
    with 100 users ticked as both was refused (helper-80's review)."""
    client, token = admin
    extra = "&".join(f"agents={n}" for n in range(400))
    answer = client.post(
        "/console/tickets/1/actions",
        content=f"csrf={token}&text=many-fields-kept&{extra}".encode(),
        headers=URLENCODED,
    )
    assert answer.status_code in (200, 303), answer.text
    assert "many-fields-kept" in client.get("/console/tickets/1").text


@pytest.mark.parametrize(
    ("path", "fields", "marker"),
    [
        ("/console/tickets/1/actions", {"text": b"raw\x00nul-multipart"}, "nul-multipart"),
        (
            "/console/settings/tokens",
            {"name": b"tok\x00nul-token", "organization": b"Org", "app_id": b""},
            "nul-token",
        ),
    ],
)
def test_nul_in_a_multipart_form_is_refused(
    admin: tuple[httpx.Client, str], path: str, fields: dict[str, bytes], marker: str
) -> None:
    client, token = admin
    answer = client.post(
        path,
        content=multipart("bnd", {"csrf": token.encode(), **fields}),
        headers={"Content-Type": "multipart/form-data; boundary=bnd"},
    )
    assert answer.status_code == 422, answer.text
    assert code_of(answer) == "invalid-input"
    shown = client.get(path.removesuffix("/actions")).text
    assert marker not in shown


def test_database_error_gives_the_console_500_page(
    console_server: Server, admin: tuple[httpx.Client, str]
) -> None:
    """A real database failure (a trigger whose arithmetic overflows: an OperationalError
    at the flush) while adding an action: the session is rolled back and the console's
    coded 500 page renders, not the generic JSON 500."""
    path = console_server.db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as raw:
        raw.execute(
            "CREATE TRIGGER IF NOT EXISTS provoke_db_error BEFORE INSERT ON ticket_actions"
            " WHEN NEW.description = 'provoke a database error'"
            " BEGIN SELECT abs(-9223372036854775807 - 1); END"
        )
    client, token = admin
    try:
        answer = client.post(
            "/console/tickets/1/actions",
            data={"csrf": token, "text": "provoke a database error"},
        )
    finally:
        with sqlite3.connect(path) as raw:
            raw.execute("DROP TRIGGER provoke_db_error")
    assert answer.status_code == 500, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert code_of(answer) == "internal-error"
    assert client.get("/console/tickets/1").status_code == 200


@pytest.fixture(scope="module")
def queue_number(console_server: Server) -> Iterator[int]:
    """A waiting customer of demo: its presence id (queue reference ``q<id>``)."""
    customer = register_customer(console_server, "Queue Ref")
    engine = make_engine(console_server.db_url)
    with db_factory(engine)() as db:
        number = db.scalar(select(Presence.id).where(Presence.partner_id == customer["partner_id"]))
    engine.dispose()
    assert number is not None
    yield number


def test_connect_code_needs_a_q_reference(
    agent: tuple[httpx.Client, str], queue_number: int
) -> None:
    client, token = agent
    headers = {"X-CSRF-Token": token}
    base = "/console/monitoring/demo/connect-code"
    good = client.post(f"{base}/q{queue_number}", headers=headers)
    assert good.status_code == 200 and good.json()["text"], good.text
    for ref in (f"x{queue_number}", f"-{queue_number}", "q99999999", "q"):
        answer = client.post(f"{base}/{ref}", headers=headers)
        assert answer.status_code == 404, (ref, answer.text)
        assert answer.json()["code"] == "unknown-person", (ref, answer.text)


def test_the_connect_page_needs_a_q_reference(
    agent: tuple[httpx.Client, str], queue_number: int
) -> None:
    """The ticket page's connect link read any first character as the ``q``."""
    client, _ = agent
    good = client.get(f"/console/connect/q{queue_number}")  # to the remoteapp:// link
    assert good.status_code == 303 and good.headers["location"].startswith("remoteapp://")
    for ref in (f"x{queue_number}", f"-{queue_number}", "q99999999"):
        answer = client.get(f"/console/connect/{ref}")
        assert answer.status_code == 404, (ref, answer.text)
        assert 'data-code="unknown-person"' in answer.text, (ref, answer.text)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "N" * 201}, "O nome tem no máximo 200 caracteres."),
        ({"mode_phone": "bogus"}, "Um campo é obrigatório, exibido ou oculto."),
        (
            {"custom_key_0": "ref", "custom_label_0": "L" * 101},
            "O rótulo de um campo personalizado tem no máximo 100 caracteres.",
        ),
    ],
)
def test_a_crafted_app_form_is_refused_in_words(
    admin: tuple[httpx.Client, str], fields: dict[str, str], message: str
) -> None:
    """What the page's own limits stop (maxlength, the mode's three choices) is refused
    by the server too, said in the page's language (before: "Informe o nome do
    aplicativo." for a long name, English for a mode, a 5,000-character label saved)."""
    client, token = admin
    form = {"csrf": token, "app_id": "crafted", "name": "Crafted", **fields}
    answer = client.post("/console/settings/apps", data=form)
    assert answer.status_code == 422, answer.text  # the form again, with what was typed
    assert message in html.unescape(answer.text)
    assert client.get("/console/settings/apps/crafted").status_code == 404
