"""The console's password policy (issue 10 §3.10): new users, password changes, the first
administrator and ``helpdesk.admin add-user``. Before, any 8 characters would do
(``Password2024!`` created a user; ``REMOTEAPP_ADMIN_PASSWORD`` took anything)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpdesk.errors import InvalidInput
from helpdesk.services import password_policy
from remotewire.error_codes import ErrorCode
from tests.helpdesk.server_process import ROOT, Server
from tests.helpdesk.test_auth_keys import add_agent, form_token

WEAK = {
    "short-1!": "at least 12 characters",
    "Password2024!": "too common",
    "P@ssw0rd1234": "too common",
    "senha12345678": "too common",
    "!!Flamengo2024!!": "too common",
    "passwordpassword": "too common",
    "qwertyuiop12": "too common",
    "aaaaaaaaaaaa": "too easy",
    "121212121212": "too easy",
    "123456789012": "too easy",
    "zyxwvutsrqpo": "too easy",
    "bob.silva-2024-xyz": "your name or email",
}
STRONG = [
    "long-rainy-quokka-17",
    "correct horse battery staple",
    "8f3k-Zq2m-Lw9x",
    "839201748265",  # digits, but not a sequence
    "Meu cachorro come pizza!",
]


@pytest.mark.parametrize("password", list(WEAK))
def test_weak_passwords_are_refused_with_the_reason(password: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        password_policy.check(password, email="bob.silva@example.com", name="Bob Silva")
    assert refused.value.code == ErrorCode.WEAK_PASSWORD
    assert WEAK[password] in refused.value.message


@pytest.mark.parametrize("password", STRONG)
def test_reasonable_passwords_pass(password: str) -> None:
    password_policy.check(password, email="bob.silva@example.com", name="Bob Silva")


@pytest.fixture
def admin_console(server: Server) -> Iterator[httpx.Client]:
    """The demo administrator, logged in to the console (English messages)."""
    with httpx.Client(
        base_url=server.http_url, timeout=30, headers={"Accept-Language": "en"}
    ) as http:
        creds = server.credentials["admin"]
        form = form_token(http.get("/console/login").text)
        answer = http.post(
            "/console/login",
            data={"email": creds["email"], "password": creds["password"], "csrf": form},
        )
        assert answer.status_code == 303
        yield http


def test_the_console_refuses_a_weak_password_for_a_new_user(admin_console: httpx.Client) -> None:
    form = form_token(admin_console.get("/console/settings/users").text)
    user = {"email": f"weak-{os.getpid()}@example.com", "name": "Weak Wanda", "csrf": form}
    answer = admin_console.post(
        "/console/settings/users", data={**user, "password": "Password2024!"}
    )
    assert answer.status_code == 422
    assert "This password is too common." in answer.text
    answer = admin_console.post(
        "/console/settings/users", data={**user, "password": "long-rainy-quokka-17"}
    )
    assert answer.status_code == 303


def test_a_password_change_to_a_weak_password_is_refused_in_portuguese(
    server: Server,
) -> None:
    email, password = add_agent(server, "weakchange")
    with httpx.Client(base_url=server.http_url, timeout=30) as http:
        form = form_token(http.get("/console/login").text)
        http.post("/console/login", data={"email": email, "password": password, "csrf": form})
        form = form_token(http.get("/console/account/password").text)
        weak = "Senha@2024!!"
        answer = http.post(
            "/console/account/password",
            data={"current": password, "new": weak, "again": weak, "csrf": form},
        )
    assert answer.status_code == 422
    assert "Esta senha é comum demais." in answer.text


def run(
    module: str, args: list[str], env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, "--data-dir", str(tmp_path), *args],
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_weak_first_admin_password_stops_the_server(tmp_path: Path) -> None:
    started = run(
        "helpdesk.cli",
        ["--http-port", "0", "--relay-port", "0"],
        {"REMOTEAPP_ADMIN_PASSWORD": "Password2024!"},
        tmp_path,
    )
    assert started.returncode != 0
    assert "REMOTEAPP_ADMIN_PASSWORD: This password is too common." in started.stderr


def test_admin_add_user_refuses_a_weak_password(tmp_path: Path) -> None:
    added = run(
        "helpdesk.admin", ["add-user", "c@example.com", "Carl", "carl12345678"], {}, tmp_path
    )
    assert added.returncode != 0 and "add-user: A password must not contain" in added.stderr
