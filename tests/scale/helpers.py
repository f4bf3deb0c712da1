"""Several real server processes (and relays) on one PostgreSQL, for tests/scale and
bench/scale_*: the same secrets for all (a login made on one process is good on every
other), one poll held, wake-ups timed from outside, listener backends found in
``pg_stat_activity`` (``helpdesk.pg_listen.APPLICATION_NAME``)."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from helpdesk.pg_listen import APPLICATION_NAME, conninfo
from remoteapp.net.helpdesk import HelpdeskClient, PollResult, Registration
from tests.helpdesk.server_process import Process, Server, spawn, start_server

RELAY_SECRET = secrets.token_hex(32)
SERVER_SECRET = secrets.token_hex(32)
ENV = {
    "REMOTEAPP_RELAY_SECRET": RELAY_SECRET,
    "REMOTEAPP_SERVER_SECRET": SERVER_SECRET,
    "REMOTEAPP_PRESENCE_LAPSE_S": "30",  # polls are held up to 20 s
    "REMOTEAPP_RELAY_LAPSE_S": "3",  # 15 heartbeats: a loaded PostgreSQL delays some
    "REMOTEAPP_SWEEP_S": "0.3",
    "REMOTEAPP_REGISTER_PER_ADDRESS": "1000000",
    "REMOTEAPP_REGISTER_PER_APP": "1000000",
}
POLL_S = 20.0
"""How long a poll is held without a wake-up: a wake-up answers it far sooner."""
FIELDS = {"name": "Scale Customer", "email": "scale@example.com"}


def device() -> str:
    return "dev-" + secrets.token_hex(8)


def start_pair(data_dir: Path, db_url: str, *, workers: int = 1) -> tuple[Server, Server]:
    """Server A (demo data, embedded relay) then server B (HTTP only) on one database."""
    extra = ["--db", db_url, *(["--workers", str(workers)] if workers > 1 else [])]
    a = start_server(data_dir / "a", ENV, extra)
    try:
        b = start_server(data_dir / "b", ENV, [*extra, "--no-relay"], demo=False)
    except BaseException:
        a.process.stop()
        raise
    b.credentials = a.credentials
    return a, b


def login(server: Server, who: str = "agent") -> HelpdeskClient:
    client = HelpdeskClient(server.http_url, timeout_s=30)
    creds = server.credentials[who]
    client.login(creds["email"], creds["password"])
    return client


@dataclass
class HeldPoll:
    """A customer's poll held in a thread; ``answered_after`` once it returned."""

    client: HelpdeskClient
    reg: Registration
    started: float = 0.0
    answered_after: float | None = None
    result: PollResult | None = None
    error: BaseException | None = None
    thread: threading.Thread = field(init=False)

    def start(self) -> HeldPoll:
        def run() -> None:
            self.started = time.monotonic()
            try:
                self.result = self.client.poll(self.reg.partner_id, self.reg.presence_key, POLL_S)
            except BaseException as exc:
                self.error = exc
            self.answered_after = time.monotonic() - self.started

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        return self

    def join(self) -> PollResult:
        self.thread.join(POLL_S + 10)
        if self.error is not None:
            raise self.error
        assert self.result is not None, "the poll did not answer"
        return self.result


def register(server: Server) -> tuple[HelpdeskClient, Registration]:
    client = HelpdeskClient(server.http_url, timeout_s=POLL_S + 10)
    return client, client.register("demo", device(), FIELDS)


def pg(db_url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(conninfo(db_url), autocommit=True)


def listener_pid(db_url: str, server_pid: int) -> int | None:
    """The backend of ``server_pid``'s listening connection, or None while it has none."""
    with pg(db_url) as conn:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
            (f"{APPLICATION_NAME} {server_pid}",),
        ).fetchone()
    return int(row[0]) if row else None


def listeners(db_url: str) -> list[str]:
    """Application names of the listening backends on this database (one per server
    process; the cluster may hold other tests' databases)."""
    with pg(db_url) as conn:
        rows = conn.execute(
            "SELECT application_name FROM pg_stat_activity"
            " WHERE application_name LIKE %s AND datname = current_database()",
            (APPLICATION_NAME + " %",),
        ).fetchall()
    return [str(row[0]) for row in rows]


def wait_until(check: Callable[[], bool], timeout_s: float = 15.0) -> None:
    """Until ``check()`` holds (something the servers do on their own), bounded."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)


def poll_is_held(db_url: str, partner_id: str, since: Any) -> Callable[[], bool]:
    """The poll reached the server: its first step refreshed ``last_seen``."""

    def check() -> bool:
        with pg(db_url) as conn:
            row = conn.execute(
                "SELECT last_seen FROM presences WHERE partner_id = %s", (partner_id,)
            ).fetchone()
        return row is not None and row[0] > since

    return check


def last_seen(db_url: str, partner_id: str) -> Any:
    with pg(db_url) as conn:
        row = conn.execute(
            "SELECT last_seen FROM presences WHERE partner_id = %s", (partner_id,)
        ).fetchone()
    assert row is not None
    return row[0]


def start_relay(
    helpdesk_url: str,
    port: int,
    *,
    region: str = "default",
    env: dict[str, str] | None = None,
    heartbeat_s: float = 0.2,
) -> Process:
    """A relay process (``python -m remoterelay``) on ``port``, listening; ``env``: this
    module's ``ENV`` unless given (its relay secret must be the server's)."""
    relay = spawn(
        [
            "-m",
            "remoterelay",
            "--port",
            str(port),
            "--relay-host",
            "127.0.0.1",
            "--helpdesk-url",
            helpdesk_url,
            "--heartbeat",
            str(heartbeat_s),
            "--public-address",
            f"127.0.0.1:{port}",
            "--region",
            region,
        ],
        ENV if env is None else env,
    )
    relay.wait_for(r"relay event=listening")
    return relay


def worker_pids(server_pid: int) -> list[int]:
    """The ``--workers`` processes of a server (its spawned children)."""
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    return [
        int(pid)
        for pid in children
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        and b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def connections_on(pid: int, port: int) -> int:
    """Established TCP connections to local ``port`` held by process ``pid`` (Linux)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            local_port = int(parts[1].rsplit(":", 1)[1], 16)
            if local_port == port and parts[3] == "01" and parts[9] in inodes:
                count += 1
    return count
