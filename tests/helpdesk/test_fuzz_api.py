"""The JSON API fuzzed over its own OpenAPI schema: no input yields a 5xx.

schemathesis draws requests for every operation of ``/openapi.json`` (valid ones and, in
its negative mode, ones that break the schema), with every character hypothesis can make:
NUL, lone surrogates (sent as JSON ``\\ud800`` escapes), non-ASCII digits, huge integers.
They go to a real ``remoteapp-server`` process of its own (the fuzz leaves junk behind that
the shared server's tests must not see) over real TCP.

Each case is sent twice: as drawn (random or no credentials, so the refusals are fuzzed
too), then with valid ones filled in (an agent's bearer token, a customer's presence key
and partner id, the ticket API token), so the drawn bodies reach the services behind the
checks. The number of examples per operation is bounded and the run derandomized, so the
whole file takes well under a minute and fails the same way each time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from helpdesk.app import create_app
from helpdesk.db import make_engine
from helpdesk.settings import Settings
from tests.helpdesk.conftest import FAST, device
from tests.helpdesk.server_process import Server, start_server

MAX_URL = 8000
"""Longer request lines (a negative case's huge query) uvicorn refuses by closing."""
EXAMPLES = 15
"""Per operation and mode: about a minute for the whole schema on the shared 2-core machine."""


@dataclass(frozen=True)
class Credentials:
    bearer: str
    partner_id: str
    presence_key: str
    api_token: str
    relay_secret: str


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    server = start_server(data_dir, FAST)
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def credentials(fuzz_server: Server, http: requests.Session) -> Credentials:
    url, creds = fuzz_server.http_url, fuzz_server.credentials
    agent = creds["agent"]
    login = http.post(
        f"{url}/api/login",
        json={"email": agent["email"], "password": agent["password"]},
        timeout=10,
    )
    login.raise_for_status()
    registered = http.post(
        f"{url}/api/presence",
        json={
            "app_id": creds["app_id"],
            "device_id": device(),
            "fields": {"name": "Fuzz Customer", "email": "fuzz@example.com"},
        },
        timeout=10,
    )
    registered.raise_for_status()
    return Credentials(
        bearer=login.json()["token"],
        partner_id=registered.json()["partner_id"],
        presence_key=registered.json()["presence_key"],
        api_token=creds["token"],
        relay_secret=FAST["REMOTEAPP_RELAY_SECRET"],
    )


@pytest.fixture(scope="module")
def api_schema(fuzz_server: Server) -> Any:
    loaded = schemathesis.openapi.from_url(f"{fuzz_server.http_url}/openapi.json")
    return loaded


TEXT_POISON = st.sampled_from(["\ud800", "a\udfffb", "\udbff", "\x00", "a\x00b", "²", "١٢٣"])
URL_POISON = st.sampled_from(["\x00", "a\x00b", "²", "١٢٣", "9" * 20, "-" + "9" * 20, "1e400"])
INT_POISON = st.sampled_from([2**70, -(2**70), 2**63, 2**31, -1, 10**20])


def poisoned(
    data: st.DataObject, value: Any, texts: st.SearchStrategy[Any], *, keys: bool = True
) -> Any:
    """``value`` with some of its strings and integers (dict keys too) swapped for the
    kinds that broke the server: what schemathesis never draws (lone surrogates) or rarely
    (NUL, non-ASCII digits, integers past 64 bits)."""
    if isinstance(value, str):
        return data.draw(texts) if data.draw(st.booleans()) else value
    if isinstance(value, int) and not isinstance(value, bool):
        return data.draw(INT_POISON) if data.draw(st.booleans()) else value
    if isinstance(value, list):
        return [poisoned(data, item, texts) for item in value]
    if isinstance(value, dict):
        return {
            (poisoned(data, key, texts) if keys else key): poisoned(data, item, texts)
            for key, item in value.items()
        }
    return value


def poison(data: st.DataObject, case: Any) -> None:
    """Body strings may hold anything JSON escapes can; the URL only what it can carry
    (a lone surrogate has no UTF-8 form to percent-encode)."""
    if isinstance(case.body, dict | list):
        case.body = poisoned(data, case.body, TEXT_POISON)
    if case.query:
        case.query = poisoned(data, dict(case.query), URL_POISON, keys=False)
    if case.path_parameters:
        case.path_parameters = poisoned(data, dict(case.path_parameters), URL_POISON, keys=False)


def send(http: requests.Session, base_url: str, case: Any) -> requests.Response | None:
    """The case as HTTP, sent by hand: schemathesis's own ``call`` re-validates an edited
    case and cannot encode the lone surrogates the poisoning put in (JSON escapes can)."""
    path = case.path
    for name, value in (case.path_parameters or {}).items():
        path = path.replace(f"{{{name}}}", quote(str(value), safe=""))
    headers = {str(k): str(v) for k, v in (case.headers or {}).items()}
    body: bytes | None = None
    if not isinstance(case.body, NotSet):
        media = case.media_type or "application/json"
        if isinstance(case.body, bytes):
            body = case.body
        elif "json" in media:
            body = json.dumps(case.body).encode()  # ASCII: surrogates become \ud800 escapes
        elif isinstance(case.body, str):
            body = case.body.encode()
        headers.setdefault("Content-Type", media)
    request = requests.Request(case.method, base_url + path, params=case.query, headers=headers)
    prepared = http.prepare_request(request)
    prepared.body = body
    if body is not None:
        prepared.headers["Content-Length"] = str(len(body))
    if len(prepared.url or "") > MAX_URL:
        return None  # uvicorn drops such a request line before the app: nothing to fuzz
    return http.send(prepared, timeout=15)


def authenticate(case: Any, creds: Credentials) -> None:
    """Valid credentials where the operation takes them; the drawn body stays."""
    headers = dict(case.headers or {})
    headers["Authorization"] = f"Bearer {creds.bearer}"
    headers["X-Presence-Key"] = creds.presence_key
    headers["X-Relay-Secret"] = creds.relay_secret
    case.headers = headers
    if case.path_parameters and "partner_id" in case.path_parameters:
        case.path_parameters = {**case.path_parameters, "partner_id": creds.partner_id}
    if case.path_parameters and "app_id" in case.path_parameters:
        case.path_parameters = {**case.path_parameters, "app_id": "demo"}
    query = dict(case.query or {})
    if case.path.startswith("/public/"):
        query["token"] = creds.api_token
    if "wait" in query:
        query["wait"] = 0  # a held long poll would only slow the run down
    case.query = query


def described(case: Any, response: requests.Response) -> str:
    return (
        f"{response.status_code} for {response.request.method} {response.request.url}\n"
        f"headers: {case.headers}\nbody: {case.body!r}\nanswer: {response.text[:500]}"
    )


def _operations() -> list[tuple[str, str]]:
    """``(method, path)`` of every operation the server's schema lists (read from an app
    built in-process only to name the tests; the fuzz itself reads the live server's)."""
    engine = make_engine("sqlite://")
    paths: dict[str, dict[str, Any]] = create_app(engine, Settings(secret=b"fuzz")).openapi()[
        "paths"
    ]
    engine.dispose()
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_input_yields_a_server_error(
    fuzz_server: Server,
    api_schema: Any,
    credentials: Credentials,
    http: requests.Session,
    method: str,
    path: str,
    mode: GenerationMode,
) -> None:
    operation = api_schema[path][method]
    base_url = fuzz_server.http_url

    cases = operation.as_strategy(generation_mode=mode)

    @given(data=st.data())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate),  # no shrinking: the run stays bounded
    )
    def fuzz(data: st.DataObject) -> None:
        case = data.draw(cases)
        poison(data, case)
        if path == "/api/presence/{partner_id}/events":
            case.query = {**(case.query or {}), "wait": 0}
        drawn = send(http, base_url, case)
        if drawn is None:
            return
        assert drawn.status_code < 500, described(case, drawn)
        if method == "DELETE":
            return  # with valid credentials it would end the fuzz's own presence
        authenticate(case, credentials)
        authed = send(http, base_url, case)
        assert authed is not None and authed.status_code < 500, described(case, authed)

    try:
        fuzz()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing in the operation can be made invalid
