"""A fleet of relays under paired idle sessions (issue 13): ``--relays`` (3) real
``remoteapp-relay`` processes, registered with one ``remoteapp-server`` through their
heartbeats, carrying ``--sessions`` (3,000) paired idle sessions placed by the server.
Reports each relay's RSS with the sessions against its own RSS before any (the
same-run baseline), and the placement balance: sessions per relay as the server placed
them and as each relay's heartbeat reports its load.

Sessions are made the way the apps make them: a customer registers, an agent connects
(the server picks the relay), the customer's poll hands over its token; then this
process opens both sides of every session on the relay named in the grant (asyncio,
``remotewire.relay_join``). Every step is bounded; ``--json`` for one object.

    python -m bench.relay_fleet
    python -m bench.relay_fleet --sessions 600 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.relay_idle import raise_nofile, rss_mb
from helpdesk.db import db_factory, make_engine
from helpdesk.models import RelayNode
from remoteapp.net.helpdesk import HelpdeskClient
from remotewire.relay_join import open_relay
from tests.helpdesk.server_process import Process, free_port, spawn, start_server

SECRET = "bench-relay-fleet-secret-" + "z" * 20
ENV = {
    "REMOTEAPP_RELAY_SECRET": SECRET,
    "REMOTEAPP_PRESENCE_LAPSE_S": "900",
    "REMOTEAPP_TOKEN_TTL_S": "900",
    "REMOTEAPP_REGISTER_PER_ADDRESS": "100000000",
    "REMOTEAPP_REGISTER_PER_APP": "100000000",
}
FIELDS = {"name": "Idle Fleet", "email": "fleet@example.com"}
FALLBACK = "127.0.0.1:9"


def start_relay(url: str, port: int) -> Process:
    relay = spawn(
        [
            "-m",
            "remoterelay",
            "--port",
            str(port),
            "--relay-host",
            "127.0.0.1",
            "--helpdesk-url",
            url,
            "--heartbeat",
            "1",
            "--idle-timeout",
            "3600",
            "--public-address",
            f"127.0.0.1:{port}",
        ],
        ENV,
    )
    relay.wait_for(r"relay event=listening")
    return relay


def make_sessions(url: str, creds: dict[str, Any], count: int) -> list[tuple[str, str, str]]:
    """(relay address, agent token, customer token) of ``count`` new sessions."""

    def batch(agent: HelpdeskClient, n: int) -> list[tuple[str, str, str]]:
        customer = HelpdeskClient(url, timeout_s=60)
        made = []
        try:
            for _ in range(n):
                reg = customer.register("demo", f"fleet-{time.monotonic_ns()}", FIELDS)
                grant = agent.connect(reg.partner_id, reg.password)
                offer = customer.poll(reg.partner_id, reg.presence_key, wait_s=0).offers[0]
                made.append((grant.relay, grant.token, offer.token))
        finally:
            agent.close()
            customer.close()
        return made

    workers = 8
    agents = []
    for _ in range(workers):  # one after the other: logins at once count as attempts
        agents.append(HelpdeskClient(url, timeout_s=60))
        agents[-1].login(creds["agent"]["email"], creds["agent"]["password"])
    with ThreadPoolExecutor(workers) as pool:
        sizes = [count // workers + (i < count % workers) for i in range(workers)]
        return [s for part in pool.map(batch, agents, sizes) for s in part]


async def pair_all(
    sessions: list[tuple[str, str, str]],
) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    gate = asyncio.Semaphore(100)
    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def pair(address: str, agent_token: str, customer_token: str) -> None:
        async with gate:
            both = await asyncio.wait_for(
                asyncio.gather(
                    open_relay(address, agent_token), open_relay(address, customer_token)
                ),
                30,
            )
            opened.extend(both)

    await asyncio.gather(*(pair(*s) for s in sessions))
    return opened


def reported_load(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    try:
        with db_factory(engine)() as db:
            rows = db.execute(
                select(RelayNode.address, RelayNode.load).where(RelayNode.address.is_not(None))
            ).all()
    finally:
        engine.dispose()
    return {str(a): int(n) for a, n in rows}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--relays", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=3000)
    parser.add_argument("--hold", type=float, default=5.0, help="idle seconds before reading")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    raise_nofile(4 * args.sessions + 1024)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(
            Path(tmp), ENV, ["--no-relay", "--public-relay", FALLBACK, "--heartbeat", "1"]
        )
        relays: list[Process] = []
        ports = [free_port() for _ in range(args.relays)]
        try:
            relays = [start_relay(server.http_url, port) for port in ports]
            addresses = [f"127.0.0.1:{port}" for port in ports]
            deadline = time.monotonic() + 30
            while set(reported_load(server.db_url)) != set(addresses):
                if time.monotonic() > deadline:
                    raise TimeoutError("the relays did not register")
                time.sleep(0.2)
            time.sleep(1)
            baseline = {a: rss_mb(r.proc.pid) for a, r in zip(addresses, relays, strict=True)}
            started = time.monotonic()
            sessions = make_sessions(server.http_url, server.credentials, args.sessions)
            made_s = time.monotonic() - started

            async def carry() -> tuple[float, dict[str, float], dict[str, int]]:
                t0 = time.monotonic()
                opened = await pair_all(sessions)
                paired_s = time.monotonic() - t0
                # Idle until every relay's heartbeat reports its sessions (a heartbeat
                # waits for the relay's "connected" reports to go out first), bounded.
                placed = Counter(address for address, _, _ in sessions)
                give_up = time.monotonic() + args.hold + 300
                load = await asyncio.to_thread(reported_load, server.db_url)
                while any(load.get(a, 0) < n for a, n in placed.items()):
                    if time.monotonic() > give_up:
                        break
                    await asyncio.sleep(1)
                    load = await asyncio.to_thread(reported_load, server.db_url)
                await asyncio.sleep(args.hold)
                rss = {a: rss_mb(r.proc.pid) for a, r in zip(addresses, relays, strict=True)}
                for _, writer in opened:
                    writer.close()
                return paired_s, rss, load

            paired_s, rss, load = asyncio.run(carry())
        finally:
            for relay in relays:
                relay.stop()
            server.process.stop()
    placed = Counter(address for address, _, _ in sessions)
    rows: list[dict[str, Any]] = [
        {
            "relay": a,
            "placed": placed.get(a, 0),
            "reported_load": load.get(a, 0),
            "rss_baseline_mb": round(baseline[a], 1),
            "rss_mb": round(rss[a], 1),
            "kb_per_session": round((rss[a] - baseline[a]) * 1024 / max(1, placed.get(a, 0)), 1),
        }
        for a in addresses
    ]
    counts = [placed.get(a, 0) for a in addresses]
    info = {
        "relays": args.relays,
        "sessions": args.sessions,
        "fallback_placed": placed.get(FALLBACK, 0),
        "imbalance": round(max(counts) / max(1, min(counts)), 3),
        "sessions_made_s": round(made_s, 1),
        "paired_s": round(paired_s, 1),
    }
    if args.json:
        print(json.dumps({**info, "rows": rows}))
        return
    print(
        f"{args.sessions} sessions over {args.relays} relays: made (register, connect, poll) "
        f"in {info['sessions_made_s']} s, paired in {info['paired_s']} s; max/min placed "
        f"{info['imbalance']}; {info['fallback_placed']} fell back to the server's address"
    )
    print(f"{'relay':<18}{'placed':>8}{'load':>7}{'RSS 0 MB':>10}{'RSS MB':>9}{'KB/sess':>9}")
    for r in rows:
        print(
            f"{r['relay']:<18}{r['placed']:>8}{r['reported_load']:>7}"
            f"{r['rss_baseline_mb']:>10}{r['rss_mb']:>9}{r['kb_per_session']:>9}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
