"""The web console in a real browser: a real ``remoteapp-server`` process and Debian's
chromium driven by Playwright (our own fixture: pytest-playwright trips
``filterwarnings = error``). Screenshots of each page in pt_BR are saved under
``.artifacts/console/`` (printed at the end of the run) for reviewers.

Accounts (besides the demo admin, who holds every console permission, and the demo
agent): ``agentonly`` (agent of demo), ``adminonly`` (administrator of demo), ``both``,
``noperm`` (no profile, no app), ``other`` (agent and administrator of another app only),
``manager`` (may register apps, no app role). Passwords are ``<name>-pass1``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from helpdesk.admin import add_app, add_profile, add_user
from helpdesk.db import db_factory, make_engine
from tests.helpdesk.server_process import Server, start_server

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".artifacts" / "console"
FAST = {
    "REMOTEAPP_RELAY_SECRET": secrets.token_hex(32),
    "REMOTEAPP_SERVER_SECRET": secrets.token_hex(32),
    "REMOTEAPP_PRESENCE_LAPSE_S": "3",
    "REMOTEAPP_RATE_WINDOW_S": "60",
    "REMOTEAPP_SWEEP_S": "0.3",
}
ACCOUNTS = ("agentonly", "adminonly", "both", "noperm", "other", "manager")


@pytest.fixture(scope="package")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("console")
    server = start_server(data_dir, FAST)
    engine = make_engine(f"sqlite:///{data_dir / 'helpdesk.sqlite3'}")
    sessions = db_factory(engine)
    add_app(sessions, "other", "Other Support")
    add_profile(sessions, "Cadastro de apps", ["remote_apps.manage"])
    add_user(sessions, "agentonly@example.com", "Agent Only", "agentonly-pass1", agent_of=["demo"])
    add_user(sessions, "adminonly@example.com", "Admin Only", "adminonly-pass1", admin_of=["demo"])
    add_user(
        sessions,
        "both@example.com",
        "Admin Agent",
        "both-pass1",
        agent_of=["demo"],
        admin_of=["demo"],
    )
    add_user(sessions, "noperm@example.com", "No Permission", "noperm-pass1")
    add_user(
        sessions,
        "other@example.com",
        "Other App",
        "other-pass1",
        agent_of=["other"],
        admin_of=["other"],
    )
    add_user(
        sessions, "manager@example.com", "App Manager", "manager-pass1", profile="Cadastro de apps"
    )
    engine.dispose()
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


def credentials(server: Server, who: str) -> tuple[str, str]:
    if who in ("admin", "agent"):
        return server.credentials[who]["email"], server.credentials[who]["password"]
    return f"{who}@example.com", f"{who}-pass1"


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing; ./dev test installs it")
        pytest.skip("Debian's chromium is missing (./dev test installs it)")
    profile = tempfile.mkdtemp(prefix="console-chromium-")
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",  # we run as root
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
            env={**os.environ, "HOME": profile},
        )
        yield found
        found.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def new_context(
    browser: Browser, console_server: Server
) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh browser profiles (cookies, storage), pt-BR unless told otherwise."""
    made: list[BrowserContext] = []

    def make(locale: str = "pt-BR", **kwargs: Any) -> BrowserContext:
        context = browser.new_context(
            locale=locale,
            base_url=console_server.http_url,
            viewport={"width": 1280, "height": 860},
            **kwargs,
        )
        context.set_default_timeout(10_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def login_as(
    console_server: Server, new_context: Callable[..., BrowserContext]
) -> Callable[..., Page]:
    """A page logged in through the real login form as ``who``."""

    def login(who: str, locale: str = "pt-BR", **kwargs: Any) -> Page:
        page = new_context(locale, **kwargs).new_page()
        email, password = credentials(console_server, who)
        page.goto("/console/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("#login-submit")
        page.wait_for_url(lambda url: "/console/login" not in url)
        return page

    return login


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot for reviewers (pt_BR pages)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if ARTIFACTS.exists() and any(ARTIFACTS.iterdir()):
        terminalreporter.write_line(f"console screenshots: {ARTIFACTS}")


def register_customer(
    server: Server, name: str, *, app_id: str = "demo", email: str | None = None, **fields: str
) -> dict[str, Any]:
    """A customer app's registration (POST /api/presence), as the desktop app sends it."""
    body = {
        "app_id": app_id,
        "device_id": "dev-" + secrets.token_hex(8),
        "fields": {
            "name": name,
            "email": email or f"{secrets.token_hex(4)}@customer.example",
            **fields,
        },
        "custom": {},
    }
    with httpx.Client(base_url=server.http_url, timeout=10) as client:
        answer = client.post("/api/presence", json=body)
    assert answer.status_code == 200, answer.text
    return {**answer.json(), "device_id": body["device_id"]}


@contextmanager
def waiting_customer(server: Server, name: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """A customer that stays in the queue (its app's polls keep the presence fresh, one
    held poll at a time, as the app does) until the block ends, then leaves."""
    customer = register_customer(server, name, **kwargs)
    stop = threading.Event()

    def keep_polling() -> None:
        with httpx.Client(base_url=server.http_url, timeout=10) as client:
            while not stop.is_set():
                client.get(
                    f"/api/presence/{customer['partner_id']}/events",
                    params={"wait": 0.5},
                    headers={"X-Presence-Key": customer["presence_key"]},
                )

    poller = threading.Thread(target=keep_polling, daemon=True)
    poller.start()
    try:
        yield customer
    finally:
        stop.set()
        poller.join(15)
        leave(server, customer)


def leave(server: Server, customer: dict[str, Any]) -> None:
    with httpx.Client(base_url=server.http_url, timeout=10) as client:
        client.delete(
            f"/api/presence/{customer['partner_id']}",
            headers={"X-Presence-Key": customer["presence_key"]},
        )
