"""Helpdesk server load: latency and throughput of the calls apps make most, against a
real ``remoteapp-server`` subprocess on loopback with a fresh SQLite (WAL) database.

Each of ``--threads`` workers runs ``--rounds`` rounds of: customer registers, polls
(no wait), agent lists the queue, connects with the password, ends the session, reads a
ticket. Every loop is bounded in count and in time (``--seconds``).

    python -m bench.server_load                 # table
    python -m bench.server_load --json          # one JSON object
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from remoteapp.net.helpdesk import HelpdeskClient, TicketClient

ROOT = Path(__file__).resolve().parent.parent
OPS = ("register", "poll", "queue", "connect", "end", "ticket")


LOAD_LIMITS = {"REMOTEAPP_REGISTER_PER_ADDRESS": "1000000", "REMOTEAPP_REGISTER_PER_APP": "1000000"}
"""Thousands of customers register from this one host: lift the registration limits."""


def start_server(
    data_dir: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "helpdesk.cli",
            "--data-dir",
            str(data_dir),
            "--http-port",
            "0",
            "--relay-port",
            "0",
            "--relay-host",
            "127.0.0.1",
            "--demo",
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT), **LOAD_LIMITS, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if match := re.search(r"helpdesk event=ready http_url=(\S+)", line):
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep draining
            return proc, match.group(1)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("server did not become ready")


def worker(
    url: str,
    creds: dict[str, Any],
    rounds: int,
    deadline: float,
    timings: dict[str, list[float]],
    lock: threading.Lock,
) -> None:
    agent, customer = HelpdeskClient(url), HelpdeskClient(url)
    tickets = TicketClient(url, creds["token"])
    agent.login(**creds["agent"])
    local: dict[str, list[float]] = defaultdict(list)

    def timed(op: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = call()
        local[op].append(time.perf_counter() - started)
        return result

    try:
        for _ in range(rounds):
            if time.monotonic() > deadline:
                break
            fields = {"name": "Load Test", "email": "load@example.com"}
            device = "bench-" + secrets.token_hex(8)
            reg = timed("register", partial(customer.register, "demo", device, fields))
            timed("poll", partial(customer.poll, reg.partner_id, reg.presence_key, 0))
            timed("queue", partial(agent.queue, "demo"))
            grant = timed("connect", partial(agent.connect, reg.partner_id, reg.password))
            timed("end", partial(agent.end_session, grant.session_id, "bench"))
            timed("ticket", lambda: tickets.get_ticket(1))
    finally:
        for client in (agent, customer, tickets):
            client.close()
        with lock:
            for op, values in local.items():
                timings[op].extend(values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=50, help="rounds per thread")
    parser.add_argument("--seconds", type=float, default=60, help="hard stop")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp))
        try:
            creds = json.loads((Path(tmp) / "demo-credentials.json").read_text())
            timings: dict[str, list[float]] = defaultdict(list)
            lock = threading.Lock()
            deadline = time.monotonic() + args.seconds
            started = time.perf_counter()
            threads = [
                threading.Thread(
                    target=worker, args=(url, creds, args.rounds, deadline, timings, lock)
                )
                for _ in range(args.threads)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(args.seconds + 30)
            wall = time.perf_counter() - started
        finally:
            proc.terminate()
            proc.wait(15)
    rows: list[dict[str, Any]] = []
    for op in OPS:
        values = sorted(timings.get(op, []))
        if not values:
            continue
        rows.append(
            {
                "op": op,
                "count": len(values),
                "p50_ms": round(statistics.median(values) * 1000, 2),
                "p95_ms": round(values[int(0.95 * (len(values) - 1))] * 1000, 2),
                "max_ms": round(values[-1] * 1000, 2),
            }
        )
    total = sum(r["count"] for r in rows)
    summary = {
        "threads": args.threads,
        "requests": total,
        "seconds": round(wall, 2),
        "requests_per_s": round(total / wall, 1),
        "rows": rows,
    }
    if args.json:
        print(json.dumps(summary))
        return
    print(f"{args.threads} threads, {total} requests in {wall:.2f} s = {total / wall:.1f} req/s")
    print(f"{'op':<10}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for r in rows:
        print(f"{r['op']:<10}{r['count']:>7}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['max_ms']:>9}")


if __name__ == "__main__":
    main()
