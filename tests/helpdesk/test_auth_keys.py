"""The relay's secret no longer opens the helpdesk, and logins can be revoked (issue 10
§3.1).

Before: the relay secret signed agents' logins (``u.1.4102444800`` plus its HMAC gave
200 on ``/api/me`` as the admin, for ever), the console's cookie and its connect codes.
Now those are keyed from a server-only secret (``helpdesk.keys``), and the relay secret
derives only the session-token and report keys (``remotewire.shared_secret``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import httpx
import itsdangerous
import pytest

from helpdesk.admin import add_user
from helpdesk.db import db_factory, make_engine
from helpdesk.keys import SERVER_SECRET_FILE, ServerKeys
from helpdesk.security import issue_login_token
from remoteapp.net.helpdesk import HelpdeskClient, NotAuthenticated
from remotewire.errors import InvalidToken
from remotewire.roles import Role
from remotewire.shared_secret import hkdf_sha256, report_key, session_token_key
from remotewire.tokens import VERSION, issue_token, verify_token
from tests.helpdesk.conftest import FAST
from tests.helpdesk.server_process import Server

RELAY_SECRET = FAST["REMOTEAPP_RELAY_SECRET"].encode()
LOGIN_TTL_S = 12 * 3600  # Settings.login_ttl_s


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.http_url, timeout=30) as client:
        yield client


def me(http: httpx.Client, token: str) -> httpx.Response:
    return http.get("/api/me", headers={"Authorization": f"Bearer {token}"})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_the_relay_secret_cannot_mint_an_admin_login(http: httpx.Client) -> None:
    body = "u.1.4102444800"  # the red team's token: user 1, expiring in 2100
    forged = body + "." + b64(hmac.new(RELAY_SECRET, b"login:" + body.encode(), "sha256").digest())
    answer = me(http, forged)
    assert (answer.status_code, answer.json()["code"]) == (401, "invalid-bearer-token")
    # nor with anything a relay can derive, in today's token format
    for key in (
        RELAY_SECRET,
        session_token_key(RELAY_SECRET),
        bytes.fromhex(report_key(RELAY_SECRET)),
    ):
        token = issue_login_token(key, 1, 0, 3600, time.time())
        assert me(http, token).status_code == 401


def test_the_relay_secret_cannot_forge_a_console_session(http: httpx.Client) -> None:
    old_key = hashlib.sha256(b"console-session:" + RELAY_SECRET).hexdigest()
    signer = itsdangerous.TimestampSigner(old_key)
    cookie = signer.sign(base64.b64encode(json.dumps({"uid": 1, "epoch": 0}).encode())).decode()
    http.cookies.set("remoteapp_console", cookie)
    answer = http.get("/console/monitoring", follow_redirects=False)
    assert answer.status_code in (303, 307) and "/console/login" in answer.headers["location"]


def test_login_tokens_expiring_beyond_the_servers_ttl_are_refused(
    server: Server, http: httpx.Client, agent_id: int
) -> None:
    keys = ServerKeys.derive((server.data_dir / SERVER_SECRET_FILE).read_bytes().strip())
    now = time.time() + server.clock_offset
    assert me(http, issue_login_token(keys.login, agent_id, 0, 3600, now)).status_code == 200
    far = issue_login_token(keys.login, agent_id, 0, LOGIN_TTL_S + 3600, now)
    assert me(http, far).status_code == 401


def test_logout_revokes_every_login_of_the_user(server: Server, http: httpx.Client) -> None:
    email, password = add_agent(server, "logout")
    tokens = [login(http, email, password) for _ in range(2)]
    assert all(me(http, token).status_code == 200 for token in tokens)
    answer = http.post("/api/logout", headers={"Authorization": f"Bearer {tokens[0]}"})
    assert answer.status_code == 204
    assert [me(http, token).status_code for token in tokens] == [401, 401]
    assert me(http, login(http, email, password)).status_code == 200  # a new login works


def test_the_agent_apps_logout_tells_the_server(server: Server) -> None:
    email, password = add_agent(server, "applogout")
    here, elsewhere = HelpdeskClient(server.http_url), HelpdeskClient(server.http_url)
    try:
        here.login(email, password)
        elsewhere.login(email, password)
        assert here.logout() and here.bearer is None
        with pytest.raises(NotAuthenticated):
            elsewhere.me()  # every login of the agent ended, on every device
        assert not here.logout()  # nothing to end: no call, no error
    finally:
        here.close()
        elsewhere.close()


def test_a_password_change_revokes_the_apps_logins(server: Server, http: httpx.Client) -> None:
    email, password = add_agent(server, "pwrevoke")
    token = login(http, email, password)
    form = form_token(http.get("/console/login").text)
    answer = http.post("/console/login", data={"email": email, "password": password, "csrf": form})
    assert answer.status_code == 303
    form = form_token(http.get("/console/account/password").text)
    new = "a-fresh-long-phrase-42"
    answer = http.post(
        "/console/account/password",
        data={"current": password, "new": new, "again": new, "csrf": form},
    )
    assert answer.status_code == 303, answer.text
    assert me(http, token).status_code == 401
    assert me(http, login(http, email, new)).status_code == 200


def test_the_relay_holds_only_derived_keys() -> None:
    """Session tokens and reports use HKDF-derived keys, distinct from each other and
    from the relay secret; a token MACed with the bare secret is refused."""
    token_key, report = session_token_key(RELAY_SECRET), bytes.fromhex(report_key(RELAY_SECRET))
    assert len({RELAY_SECRET, token_key, report}) == 3
    assert token_key == hkdf_sha256(RELAY_SECRET, b"remoteapp relay v2 session-token")
    good = issue_token(RELAY_SECRET, "s1", Role.AGENT)
    assert verify_token(RELAY_SECRET, good).session_id == "s1"
    body = good.split(".")[1]
    bare = hmac.new(RELAY_SECRET, f"{VERSION}.{body}".encode(), "sha256").digest()
    with pytest.raises(InvalidToken):
        verify_token(RELAY_SECRET, f"{VERSION}.{body}.{b64(bare)}")


def test_hkdf_matches_rfc_5869() -> None:
    """Test case 1 of RFC 5869 (the relay's HKDF is hand-written: stdlib only)."""
    okm = hkdf_sha256(
        bytes.fromhex("0b" * 22),
        bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"),
        42,
        salt=bytes.fromhex("000102030405060708090a0b0c"),
    )
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


# ---- helpers --------------------------------------------------------------------------


@pytest.fixture
def agent_id(server: Server, http: httpx.Client) -> int:
    creds = server.credentials["agent"]
    token = login(http, creds["email"], creds["password"])
    return int(me(http, token).json()["id"])


def add_agent(server: Server, name: str) -> tuple[str, str]:
    email, password = f"{name}-{time.monotonic_ns()}@example.com", f"{name}-long-password-1"
    engine = make_engine(server.db_url)
    try:
        add_user(db_factory(engine), email, name, password, agent_of=["demo"])
    finally:
        engine.dispose()
    return email, password


def login(http: httpx.Client, email: str, password: str) -> str:
    answer = http.post("/api/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def form_token(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
