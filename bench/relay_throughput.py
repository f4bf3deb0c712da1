"""Relay throughput: aggregate MB/s and relay CPU for 1, 10 and 100 concurrent sessions,
with socat forwarding the same traffic in the same run as the floor to compare against.

Each session pushes ``--mib / sessions`` MiB from the agent to the customer through the
relay (a subprocess, so its CPU is measured alone); the socat run pushes the same bytes
through ``socat TCP-LISTEN,fork TCP:sink`` (a C forwarder, one process per connection).
Load generator and forwarder share the machine, so compare rows, not absolute numbers.

    python -m bench.relay_throughput                 # table
    python -m bench.relay_throughput --json          # one JSON object
    python -m bench.relay_throughput --sessions 1 10 --mib 128
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from remotewire.relay_join import open_relay
from remotewire.roles import Role
from remotewire.tokens import issue_token

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 256 * 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Row:
    forwarder: str
    sessions: int
    mib: float
    seconds: float
    mb_s: float
    cpu_s: float
    cpu_s_per_gib: float


def cpu_seconds(pid: int) -> float:
    """utime+stime of the process and its reaped children (socat forks per connection)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLK_TCK


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def push(writer: asyncio.StreamWriter, total: int) -> None:
    block = secrets.token_bytes(CHUNK)
    sent = 0
    while sent < total:
        piece = block[: min(CHUNK, total - sent)]
        writer.write(piece)
        await writer.drain()
        sent += len(piece)


async def drain_exactly(reader: asyncio.StreamReader, total: int) -> None:
    got = 0
    while got < total:
        data = await reader.read(CHUNK)
        if not data:
            raise ConnectionError(f"EOF after {got} of {total} bytes")
        got += len(data)


async def run_relay(sessions: int, per_session: int, timeout_s: float) -> tuple[float, float]:
    secret = secrets.token_hex(32)
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "remoterelay",
            "--port",
            str(port),
            "--relay-host",
            "127.0.0.1",
        ],
        env={**os.environ, "REMOTEAPP_RELAY_SECRET": secret, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stderr.readline), 20)
        if not re.search(r"event=listening", line):
            raise RuntimeError(f"relay did not start: {line!r}")
        address = f"127.0.0.1:{port}"

        async def one() -> tuple[asyncio.StreamWriter, asyncio.StreamWriter, asyncio.StreamReader]:
            sid = secrets.token_hex(8)
            (_, aw), (cr, cw) = await asyncio.gather(
                open_relay(address, issue_token(secret.encode(), sid, Role.AGENT)),
                open_relay(address, issue_token(secret.encode(), sid, Role.CUSTOMER)),
            )
            return aw, cw, cr

        pairs = await asyncio.wait_for(asyncio.gather(*(one() for _ in range(sessions))), 60)
        cpu_before, started = cpu_seconds(proc.pid), time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(
                *(push(aw, per_session) for aw, _, _ in pairs),
                *(drain_exactly(cr, per_session) for _, _, cr in pairs),
            ),
            timeout_s,
        )
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(proc.pid) - cpu_before
        for aw, cw, _ in pairs:
            aw.close()
            cw.close()
        return elapsed, cpu
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


async def run_socat(sessions: int, per_session: int, timeout_s: float) -> tuple[float, float]:
    done: list[asyncio.Task[None]] = []

    async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await reader.read(CHUNK)
        if first:  # the readiness probe connects and sends nothing
            task = asyncio.current_task()
            assert task is not None
            done.append(task)
            await drain_exactly(reader, per_session - len(first))
        writer.close()

    sink_server = await asyncio.start_server(sink, "127.0.0.1", 0)
    sink_port = sink_server.sockets[0].getsockname()[1]
    port = free_port()
    proc = subprocess.Popen(
        [
            "socat",
            f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,backlog=512",
            f"TCP:127.0.0.1:{sink_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # let socat reap the probe's child
        conns = await asyncio.gather(
            *(asyncio.open_connection("127.0.0.1", port) for _ in range(sessions))
        )
        cpu_before, started = cpu_seconds(proc.pid), time.perf_counter()

        async def send_all() -> None:
            await asyncio.gather(*(push(w, per_session) for _, w in conns))
            for _, w in conns:
                w.close()

        async def sinks_done() -> None:
            while len(done) < sessions:
                await asyncio.sleep(0.005)
            await asyncio.gather(*done)

        await asyncio.wait_for(asyncio.gather(send_all(), sinks_done()), timeout_s)
        elapsed = time.perf_counter() - started
        await asyncio.sleep(0.3)  # children exit and are reaped into cutime/cstime
        return elapsed, cpu_seconds(proc.pid) - cpu_before
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        sink_server.close()


def row(name: str, sessions: int, total: int, seconds: float, cpu: float) -> Row:
    gib = total / 2**30
    return Row(
        name,
        sessions,
        round(total / 2**20, 1),
        round(seconds, 3),
        round(total / 1e6 / seconds, 1),
        round(cpu, 3),
        round(cpu / gib, 3),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--mib", type=float, default=256, help="total MiB per measurement")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for sessions in args.sessions:
        per_session = int(args.mib * 2**20 / sessions)
        total = per_session * sessions
        seconds, cpu = asyncio.run(run_relay(sessions, per_session, args.timeout))
        rows.append(row("relay", sessions, total, seconds, cpu))
        if shutil.which("socat"):
            seconds, cpu = asyncio.run(run_socat(sessions, per_session, args.timeout))
            rows.append(row("socat", sessions, total, seconds, cpu))
    if args.json:
        print(
            json.dumps(
                {"rows": [asdict(r) for r in rows], "socat": shutil.which("socat") is not None}
            )
        )
        return
    if not shutil.which("socat"):
        print("socat not installed: no floor (apt-get install -y socat)")
    print(
        f"{'forwarder':<10}{'sessions':>9}{'MiB':>9}{'s':>9}{'MB/s':>10}"
        f"{'cpu s':>9}{'cpu s/GiB':>11}"
    )
    for r in rows:
        print(
            f"{r.forwarder:<10}{r.sessions:>9}{r.mib:>9}{r.seconds:>9}{r.mb_s:>10}"
            f"{r.cpu_s:>9}{r.cpu_s_per_gib:>11}"
        )


if __name__ == "__main__":
    main()
