"""Relay idle capacity: relay RSS with ``--sessions`` (1,000) concurrent PAIRED idle
sessions, against the same relay process's RSS with zero sessions (the baseline).

The relay runs as its own subprocess (so ``/proc/PID/status`` VmRSS is the relay alone);
this process opens both sides of every session with asyncio on 127.0.0.1, checks that all
``2 x sessions`` connections got PAIRED, lets them all idle for ``--hold`` seconds (relay
RSS and CPU), then bounces ``--pings`` round trips through a few sessions while the rest
idle. At the end every session must still be open and the relay's log must hold no
refusal or error. Both processes get RLIMIT_NOFILE raised to ``2 x sessions + 256``
(within the hard limit). Every step has a timeout; the whole run stops by itself.

    python -m bench.relay_idle                  # table
    python -m bench.relay_idle --json           # one JSON object
    python -m bench.relay_idle --sessions 200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from remotewire.relay_join import open_relay
from remotewire.roles import Role
from remotewire.tokens import issue_token

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 200.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def raise_nofile(wanted: int) -> int:
    """Raise the soft open-files limit towards ``wanted`` (capped by the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def settle_rss(pid: int, seconds: float = 1.0) -> float:
    """RSS after the relay has had a moment to finish the work just done."""
    await asyncio.sleep(seconds)
    return rss_mb(pid)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


Pair = tuple[asyncio.StreamReader, asyncio.StreamWriter, asyncio.StreamReader, asyncio.StreamWriter]


async def open_pair(address: str, secret: bytes) -> Pair:
    """Both sides of one session; if one side fails the other is closed."""
    sid = secrets.token_hex(8)
    agent, customer = await asyncio.gather(
        open_relay(address, issue_token(secret, sid, Role.AGENT)),
        open_relay(address, issue_token(secret, sid, Role.CUSTOMER)),
        return_exceptions=True,
    )
    for side, other in ((agent, customer), (customer, agent)):
        if isinstance(side, BaseException):
            if not isinstance(other, BaseException):
                other[1].close()
            raise side
    assert not isinstance(agent, BaseException) and not isinstance(customer, BaseException)
    return agent[0], agent[1], customer[0], customer[1]


async def run(
    sessions: int, hold_s: float, pings: int, ping_sessions: int, timeout_s: float
) -> dict[str, Any]:
    raise_nofile(2 * sessions + 256)  # this process; the relay child inherits it
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
            "--idle-timeout",
            str(max(300.0, 2 * (timeout_s + hold_s))),  # idle sessions must outlive the run
        ],
        env={**os.environ, "REMOTEAPP_RELAY_SECRET": secret, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    pairs: list[Pair] = []
    errors: list[str] = []
    rtts: list[float] = []
    ping_errors = 0
    drain: asyncio.Task[str] | None = None
    try:
        assert proc.stderr is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stderr.readline), 20)
        if not re.search(r"event=listening", line):
            raise RuntimeError(f"relay did not start: {line!r}")
        # Keep draining the relay's log so a full pipe never blocks it (one line per event).
        drain = asyncio.create_task(asyncio.to_thread(proc.stderr.read))
        address = f"127.0.0.1:{port}"
        baseline = await settle_rss(proc.pid)

        gate = asyncio.Semaphore(50)  # 2 connects per session: stay within the backlog (100)

        async def one() -> None:
            async with gate:
                try:
                    pairs.append(await open_pair(address, secret.encode()))
                except Exception as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")

        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(sessions))), timeout_s)
        pair_s = time.perf_counter() - started
        loaded = await settle_rss(proc.pid, 2.0)

        # Everyone idles for hold_s: the relay's only work is its per-session idle watch.
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        await asyncio.sleep(hold_s)
        idle_cpu = (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0)
        held = rss_mb(proc.pid)

        # Ping-pong through a few sessions while all the others idle.
        block = b"p" * 64
        for ar, aw, cr, cw in pairs[: min(ping_sessions, len(pairs))]:
            for _ in range(pings):
                t0 = time.perf_counter()
                try:
                    aw.write(block)
                    await aw.drain()
                    got = await asyncio.wait_for(cr.readexactly(len(block)), 5)
                    cw.write(got)
                    await cw.drain()
                    back = await asyncio.wait_for(ar.readexactly(len(block)), 5)
                    if back != block:
                        ping_errors += 1
                except (OSError, asyncio.IncompleteReadError, TimeoutError):
                    ping_errors += 1
                    break
                rtts.append(time.perf_counter() - t0)
        after_ping = rss_mb(proc.pid)
        alive = proc.poll() is None
        # A session the relay ended would have fed EOF to both of our readers.
        still_open = sum(1 for ar, _, cr, _ in pairs if not ar.at_eof() and not cr.at_eof())
    finally:
        for _, aw, _, cw in pairs:
            aw.close()
            cw.close()
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(15)
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    relay_log = ""
    if drain is not None:
        with contextlib.suppress(Exception):
            relay_log = await asyncio.wait_for(drain, 5)
    problems = [
        line
        for line in relay_log.splitlines()
        if re.search(r"event=(refused|conn-error)|Traceback|ERROR", line)
    ]
    rtts.sort()
    return {
        "sessions": sessions,
        "connections_paired": 2 * len(pairs),
        "connections_wanted": 2 * sessions,
        "pair_errors": len(errors),
        "first_errors": errors[:3],
        "pair_seconds": round(pair_s, 2),
        "hold_seconds": hold_s,
        "rss_baseline_mb": round(baseline, 1),
        "rss_loaded_mb": round(loaded, 1),
        "rss_after_hold_mb": round(held, 1),
        "rss_after_ping_mb": round(after_ping, 1),
        "rss_per_session_kib": round((held - baseline) * 1024 / max(1, len(pairs)), 1),
        "relay_idle_cpu_percent": round(100 * idle_cpu, 1),
        "target_mb": TARGET_MB,
        "meets_target": max(loaded, held, after_ping) < TARGET_MB,
        "ping_sessions": min(ping_sessions, len(pairs)),
        "pings_ok": len(rtts),
        "ping_errors": ping_errors,
        "ping_rtt_p50_ms": round(statistics.median(rtts) * 1000, 3) if rtts else None,
        "ping_rtt_max_ms": round(rtts[-1] * 1000, 3) if rtts else None,
        "sessions_open_at_end": still_open,
        "relay_alive_at_end": alive,
        "relay_log_problems": len(problems),
        "first_relay_log_problems": problems[:3],
        "nofile_soft": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--hold", type=float, default=10, help="seconds all sessions idle")
    parser.add_argument("--ping-sessions", type=int, default=5)
    parser.add_argument("--pings", type=int, default=20, help="round trips per ping session")
    parser.add_argument("--timeout", type=float, default=120, help="hard stop for pairing")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = asyncio.run(
        run(args.sessions, args.hold, args.pings, args.ping_sessions, args.timeout)
    )
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{result['sessions']} idle sessions: {result['connections_paired']}/"
        f"{result['connections_wanted']} connections paired in {result['pair_seconds']} s, "
        f"{result['pair_errors']} errors"
    )
    print(f"{'relay state':<40}{'RSS MB':>9}")
    print(f"{'0 sessions (baseline)':<40}{result['rss_baseline_mb']:>9}")
    label = f"{result['sessions']} paired sessions, just opened"
    print(f"{label:<40}{result['rss_loaded_mb']:>9}")
    label = f"after {result['hold_seconds']:g} s all idle"
    print(f"{label:<40}{result['rss_after_hold_mb']:>9}")
    print(f"{'after ping-pong':<40}{result['rss_after_ping_mb']:>9}")
    verdict = "meets" if result["meets_target"] else "MISSES"
    print(
        f"per session {result['rss_per_session_kib']} KiB; {verdict} target < {TARGET_MB:.0f} MB; "
        f"relay CPU while idle {result['relay_idle_cpu_percent']} %"
    )
    print(
        f"ping-pong through {result['ping_sessions']} sessions: {result['pings_ok']} ok, "
        f"{result['ping_errors']} errors, rtt p50 {result['ping_rtt_p50_ms']} ms, "
        f"max {result['ping_rtt_max_ms']} ms; "
        f"{result['sessions_open_at_end']} sessions still open at the end; "
        f"{result['relay_log_problems']} refusals/errors in the relay log"
    )
    for problem in result["first_errors"] + result["first_relay_log_problems"]:
        print(f"  {problem}")


if __name__ == "__main__":
    main()
