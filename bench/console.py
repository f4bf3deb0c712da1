"""The web console under a long queue: with ``--waiting`` customers waiting (2,000 by
default), the monitoring page's first paint and each live update (the fragment the SSE
stream pushes, rendered by the same code), p95 server time, beside the same run's JSON
API queue call as the baseline; then, in Debian's chromium, the time from a customer's
registration until its row shows in the admin's monitoring page (SSE live update), p95,
beside the time until the JSON API lists it.

The waiting table is paginated (50 rows a page): the page and each update render one
page whatever the length of the queue. ``--sessions`` (10,000 by default) sessions over
the last 30 days feed the administrator's indicators and chart, which every page and
update computes too. Targets (issue 8): ≤ 100 ms server time, ≤ 1 s registration → row.

    python -m bench.console                 # table
    python -m bench.console --json          # one JSON object
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.server_load import start_server

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(call: Callable[[], httpx.Response], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = call()
        out.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return out


def register(client: httpx.Client, name: str) -> dict[str, Any]:
    body = {
        "app_id": "demo",
        "device_id": "bench-" + secrets.token_hex(8),
        "fields": {"name": name, "email": f"{secrets.token_hex(5)}@bench.example"},
    }
    answer = client.post("/api/presence", json=body)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def seed_sessions(data_dir: Path, count: int) -> None:
    """``count`` ended sessions of the demo app spread over the last 30 days (a few
    minutes each), on 200 customers and the demo's users, straight into the database."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from helpdesk.db import db_factory, make_engine
    from helpdesk.models import Presence, RemoteSession, User

    engine = make_engine(f"sqlite:///{data_dir / 'helpdesk.sqlite3'}")
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        with db_factory(engine)() as db:
            agents = list(db.scalars(select(User.id)))
            customers = [
                Presence(
                    device_id=f"seed-{n}",
                    partner_id=f"{800000000 + n}",
                    app_id="demo",
                    key_hash=secrets.token_hex(32),
                    password="abcdef",
                    failures=0,
                    filled={"name": f"Seed {n}"},
                    waiting_since=now - timedelta(days=40),
                    last_seen=now - timedelta(days=40),
                )
                for n in range(200)
            ]
            db.add_all(customers)
            db.flush()
            for n in range(count):
                connected = now - timedelta(seconds=30 * 86400 * (n + 0.5) / count)
                db.add(
                    RemoteSession(
                        id=f"seed-{n}", app_id="demo", presence_id=customers[n % 200].id,
                        agent_id=agents[n % len(agents)], via="password", state="ended",
                        relay_address="127.0.0.1:1", customer_token="t",
                        expires_at=connected, waiting_since=connected - timedelta(seconds=40),
                        offered_at=connected - timedelta(seconds=5), connected_at=connected,
                        ended_at=connected + timedelta(seconds=60 + n % 900),
                        end_reason="agent-left",
                    )
                )  # fmt: skip
            db.commit()
    finally:
        engine.dispose()


def console_login(client: httpx.Client, email: str, password: str) -> None:
    page = client.get("/console/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    answer = client.post(
        "/console/login", data={"email": email, "password": password, "csrf": token.group(1)}
    )
    assert answer.status_code in (200, 303), answer.status_code


def browser_latency(
    url: str, creds: dict[str, str], client: httpx.Client, rounds: int, waiting: int
) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    shown, api = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(url + "/console/login")
        page.fill("input[name=email]", creds["email"])
        page.fill("input[name=password]", creds["password"])
        page.click("#login-submit")
        page.wait_for_url("**/console/monitoring/**")
        token = client.post("/api/login", json=creds).json()["token"]
        for index in range(rounds):
            # newest customers are last: watch the page they land on
            page.goto(f"{url}/console/monitoring/demo?page={(waiting + index) // 50 + 1}")
            page.wait_for_timeout(300)  # the stream is open
            started = time.perf_counter()
            customer = register(client, f"Live {index}")
            page.wait_for_selector(f"code:text-is('{customer['partner_id']}')", timeout=10_000)
            shown.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            while (
                customer["partner_id"]
                not in client.get(
                    "/api/apps/demo/queue", headers={"Authorization": f"Bearer {token}"}
                ).text
            ):
                pass
            api.append((time.perf_counter() - started) * 1000)
        browser.close()
    return shown, api


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.console", description=__doc__)
    parser.add_argument("--waiting", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--live-rounds", type=int, default=15)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--no-browser", action="store_true", help="server times only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp), {"REMOTEAPP_PRESENCE_LAPSE_S": "3600"})
        try:
            seed_sessions(Path(tmp), args.sessions)
            creds = json.loads((Path(tmp) / "demo-credentials.json").read_text())["admin"]
            with httpx.Client(base_url=url, timeout=30) as client:
                for index in range(args.waiting):
                    register(client, f"Customer {index}")
                console_login(client, creds["email"], creds["password"])
                token = httpx.post(url + "/api/login", json=creds).json()["token"]
                bearer = {"Authorization": f"Bearer {token}"}
                results = {
                    "monitoring page (first paint)": timed(
                        lambda: client.get("/console/monitoring/demo"), args.rounds
                    ),
                    "live update (SSE fragment)": timed(
                        lambda: client.get("/console/monitoring/demo/live"), args.rounds
                    ),
                    "baseline: JSON API queue": timed(
                        lambda: client.get("/api/apps/demo/queue", headers=bearer), args.rounds
                    ),
                }
                if not args.no_browser:
                    shown, api = browser_latency(url, creds, client, args.live_rounds, args.waiting)
                    results["registration -> row in browser"] = shown
                    results["baseline: registration -> JSON API lists it"] = api
        finally:
            proc.terminate()
            proc.wait(15)
    summary = {
        name: {"p50_ms": round(statistics.median(v), 1), "p95_ms": round(p95(v), 1), "n": len(v)}
        for name, v in results.items()
    }
    if args.json:
        print(
            json.dumps(
                {
                    "waiting": args.waiting,
                    "sessions": args.sessions,
                    "pagination": "50 rows a page",
                    "results": summary,
                }
            )
        )
        return
    print(
        f"console with {args.waiting} customers waiting (paginated: 50 rows a page), "
        f"{args.sessions} sessions in 30 days"
    )
    print(f"{'measure':46} {'p50 ms':>8} {'p95 ms':>8} {'n':>4}")
    for name, row in summary.items():
        print(f"{name:46} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['n']:4d}")
    print("targets: server time p95 <= 100 ms; registration -> row p95 <= 1000 ms")


if __name__ == "__main__":
    main()
