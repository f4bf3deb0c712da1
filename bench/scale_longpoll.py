"""Long polls held over several server processes on one PostgreSQL (issue 13): with
``--long-polls`` (10,000) customers holding ``GET /api/presence/{id}/events``, the p99
of an agent's queue listing and of a connect, and the offer's wake-up latency when the
customer's poll is held by one process and the agent connects through another.

Two configurations in the same run, each on a fresh database of one throwaway
PostgreSQL cluster (``tests/postgres.py``; ``--db-cluster URL`` for your own):

- ``1-process`` (baseline): one ``remoteapp-server`` holds every poll; the wake-up is
  measured within that process (poll and connect on the same server);
- ``2-process``: servers A and B, half the polls held by each; the queue listing and
  connect go through A; the wake-up is measured with the poll on A and the connect on B.

Polls run in child processes (``bench.longpoll_pollers.Pollers``: one keep-alive
connection per customer, starts spread over the poll's wait); the measuring agent is a
plain ``HelpdeskClient`` in this process. Short, bounded phases; ``--json`` for one
object.

    python -m bench.scale_longpoll                       # 10,000 polls
    python -m bench.scale_longpoll --long-polls 2000 --json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.longpoll_pollers import PollerProcess, raise_nofile
from bench.server_longpoll import measure, pct
from remoteapp.net.helpdesk import HelpdeskClient
from tests.helpdesk.server_process import Server, start_server
from tests.postgres import cluster, new_database

FIELDS = {"name": "Wake Up", "email": "wake@example.com"}
ENV = {
    "REMOTEAPP_RELAY_SECRET": "bench-relay-secret-" + "x" * 24,
    "REMOTEAPP_SERVER_SECRET": "bench-server-secret-" + "y" * 24,
    "REMOTEAPP_PRESENCE_LAPSE_S": "600",  # registered customers stay online all run long
    "REMOTEAPP_REGISTER_PER_ADDRESS": "100000000",
    "REMOTEAPP_REGISTER_PER_APP": "100000000",
}
POLL_WAIT_S = 20.0


def wake_ups(
    poll_on: Server, connect_on: Server, creds: dict[str, Any], count: int
) -> tuple[list[float], list[str]]:
    """Seconds from the start of an agent's connect (through ``connect_on``) to the
    answer of the customer's poll held by ``poll_on``, ``count`` times; and the errors
    (an overloaded server times out rather than ending the run)."""
    latencies: list[float] = []
    errors: list[str] = []
    agent = HelpdeskClient(connect_on.http_url, timeout_s=30)
    try:
        agent.login(creds["agent"]["email"], creds["agent"]["password"])
        for i in range(count):
            customer = HelpdeskClient(poll_on.http_url, timeout_s=POLL_WAIT_S + 30)
            try:
                reg = customer.register("demo", f"wake-{i}-{time.monotonic_ns()}", FIELDS)
                answered: list[float] = []

                def poll(
                    client: HelpdeskClient = customer, r: Any = reg, out: list[float] = answered
                ) -> None:
                    with contextlib.suppress(Exception):  # counted as not woken below
                        if client.poll(r.partner_id, r.presence_key, POLL_WAIT_S).offers:
                            out.append(time.perf_counter())

                poller = threading.Thread(target=poll)
                poller.start()
                time.sleep(0.3)  # the poll is held (a bench: no database peeking here)
                sent = time.perf_counter()
                grant = agent.connect(reg.partner_id, reg.password)
                poller.join(POLL_WAIT_S + 30)
                if answered:
                    latencies.append(answered[0] - sent)
                else:
                    errors.append("poll not answered with the offer")
                agent.end_session(grant.session_id, "bench")
                customer.leave(reg.partner_id, reg.presence_key)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
            finally:
                customer.close()
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}"[:200])
    finally:
        agent.close()
    return latencies, errors


@contextlib.contextmanager
def servers(db_url: str, tmp: Path, count: int) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        started.append(start_server(tmp / "a", ENV, ["--db", db_url]))
        for name in "bcd"[: count - 1]:
            other = start_server(tmp / name, ENV, ["--db", db_url, "--no-relay"], demo=False)
            other.credentials = started[0].credentials
            started.append(other)
        yield started
    finally:
        for server in reversed(started):
            server.process.stop()


def run_config(
    name: str, db_url: str, processes: int, args: argparse.Namespace
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp, servers(db_url, Path(tmp), processes) as running:
        creds = running[0].credentials
        share = args.long_polls // processes
        pollers = [
            PollerProcess(s.http_url, share, POLL_WAIT_S, 4 * args.seconds + 120, POLL_WAIT_S)
            for s in running
        ]
        info: dict[str, Any] = {"config": name, "processes": processes}
        try:
            measure(running[0].http_url, creds, 5, 10)  # warm-up, not reported
            started = time.monotonic()
            for p in pollers:
                p.conn.send(("register", args.seconds * 4))
            for p in pollers:
                if not p.conn.poll(args.seconds * 4 + 30):
                    raise TimeoutError("registration did not finish")
                p.conn.recv()
            info["register_s"] = round(time.monotonic() - started, 1)
            for p in pollers:
                p.call("start", args.seconds)
            time.sleep(POLL_WAIT_S)  # every poll's start spread over one wait
            held = sum(p.call("stats", 10)["in_flight"] for p in pollers)
            result = measure(running[0].http_url, creds, args.samples, args.seconds, 20)
            wake, wake_errors = wake_ups(running[0], running[-1], creds, args.wakeups)
            stats = [p.call("stats", 10) for p in pollers]
        finally:
            for p in pollers:
                p.stop()
    info |= {
        "held_polls": held,
        "held_after": sum(s["in_flight"] for s in stats),
        "poll_errors": sum(s["errors"] for s in stats),
        "first_poll_errors": [e for s in stats for e in s["first_errors"]][:3],
        "wake_up_errors": len(wake_errors),
        "first_wake_up_error": wake_errors[0] if wake_errors else "",
        "measure_errors": result["errors"],
        "first_measure_error": result["first_error"][:200],
    }
    rows = []
    for op, values in (
        ("queue", result["queue"]),
        ("connect", result["connect"]),
        ("wake-up", wake),
    ):
        row: dict[str, Any] = {"config": name, "op": op, "held_polls": held, "count": len(values)}
        if values:
            row |= {
                "p50_ms": round(statistics.median(values) * 1000, 1),
                "p99_ms": pct(values, 0.99),
                "max_ms": round(max(values) * 1000, 1),
            }
        rows.append(row)
    rows[0]["errors"] = result["errors"]
    return rows, info


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--long-polls", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=100, help="queue + connect")
    parser.add_argument("--wakeups", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60, help="bound per phase")
    parser.add_argument("--db-cluster", help="postgresql+psycopg://user@host:port (no db name)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    raise_nofile(args.long_polls + 1024)
    rows: list[dict[str, Any]] = []
    infos: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        cluster_url = args.db_cluster or stack.enter_context(cluster())
        for name, processes in (("1-process", 1), ("2-process", 2)):
            more, info = run_config(name, new_database(cluster_url), processes, args)
            rows += more
            infos.append(info)
    if args.json:
        print(json.dumps({"long_polls": args.long_polls, "configs": infos, "rows": rows}))
        return
    for info in infos:
        print(
            f"{info['config']}: {info['held_polls']} polls held when measured "
            f"({info['held_after']} after), registered in {info['register_s']} s, "
            f"{info['poll_errors']} poll errors {info['first_poll_errors'] or ''}; "
            f"{info['measure_errors']} queue/connect errors {info['first_measure_error']}; "
            f"{info['wake_up_errors']} wake-up errors {info['first_wake_up_error']}"
        )
    print(f"{'config':<11}{'op':<9}{'held':>7}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for r in rows:
        if not r["count"]:
            print(f"{r['config']:<11}{r['op']:<9}{r['held_polls']:>7}  (no samples)")
            continue
        print(
            f"{r['config']:<11}{r['op']:<9}{r['held_polls']:>7}{r['count']:>7}"
            f"{r['p50_ms']:>9}{r['p99_ms']:>9}{r['max_ms']:>9}"
        )
    print(
        "wake-up: 1-process = poll and connect on one server; 2-process = poll on A, connect on B"
    )


if __name__ == "__main__":
    main()
