"""Start the real ``remoteapp-server`` (and a lone relay) as subprocesses, bounded waits.

``start_server(..., clocked=True)`` runs it through ``tests.helpdesk.clocked_server``: the
same server with a clock that ``Server.advance`` moves (see tests/helpdesk/conftest.py).
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.displays import die_with_parent

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Process:
    proc: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    log: list[str] = field(default_factory=list)

    def wait_for(self, pattern: str, timeout_s: float = 30.0) -> re.Match[str]:
        """Wait for an output line matching ``pattern``; fail with the log after timeout."""
        deadline = time.monotonic() + timeout_s
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if match := regex.search(line):
                return match
        raise TimeoutError(
            f"no line matching {pattern!r} in {timeout_s}s:\n" + "".join(self.log[-40:])
        )

    def send(self, line: str) -> None:
        """One line to the process's stdin (spawned with ``stdin=True``)."""
        if self.proc.stdin is None:
            raise RuntimeError("this process reads no commands (spawn(..., stdin=True))")
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 10.0) -> int:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def spawn(args: list[str], env: dict[str, str], *, stdin: bool = False) -> Process:
    """``python args...`` from the checkout; ``stdin``: keep a pipe to the process's stdin
    for ``Process.send``."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **env}
    return launch([sys.executable, *args], full_env, ROOT, stdin=stdin)


def launch(command: list[str], env: dict[str, str], cwd: Path, *, stdin: bool = False) -> Process:
    """Start ``command`` (dying with the test run), its output read by a thread."""
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        text=True,
        stdin=subprocess.PIPE if stdin else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,  # noqa: PLW1509 - a crashed test run leaves no server
    )
    process = Process(proc)

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            process.log.append(line)
            process.lines.put(line)
        proc.stdout.close()

    threading.Thread(target=pump, daemon=True).start()
    return process


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server started later."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_ADVANCES = itertools.count(1)


@dataclass
class Server:
    process: Process
    http_url: str
    relay: str
    data_dir: Path
    credentials: dict[str, Any]
    db_url: str = ""
    clock_offset: float = 0.0
    """How far ``advance`` has moved the server's clock ahead of real time."""

    def advance(self, seconds: float) -> None:
        """Move the server's clock ``seconds`` forward; returns once the server uses the
        new time (servers started with ``clocked=True`` only)."""
        seq = next(_ADVANCES)
        self.process.send(f"advance {seconds} {seq}")
        acked = self.process.wait_for(rf"clock event=advanced seq={seq} offset=(\S+)", 10)
        self.clock_offset = float(acked.group(1))


def start_server(
    data_dir: Path,
    env: dict[str, str],
    extra_args: Sequence[str] = (),
    *,
    http_port: int = 0,
    clocked: bool = False,
    demo: bool = True,
) -> Server:
    """``http_port`` 0: the server picks a free port; a test that must know the address
    before the server runs passes one from ``free_port``. ``clocked``: a clock the test
    moves with ``Server.advance``. ``demo``: start with ``--demo`` (demo accounts, app,
    tickets and token in ``credentials``); without it ``credentials`` is the first
    administrator's file."""
    process = spawn(
        [
            "-m",
            "tests.helpdesk.clocked_server" if clocked else "helpdesk.cli",
            "--data-dir",
            str(data_dir),
            "--http-port",
            str(http_port),
            "--relay-port",
            "0",
            "--relay-host",
            "127.0.0.1",
            "--heartbeat",
            "0.5",
            *(["--demo"] if demo else []),
            *extra_args,
        ],
        env,
        stdin=clocked,
    )
    try:
        ready = process.wait_for(r"helpdesk event=ready http_url=(\S+) relay=(\S+)")
    except TimeoutError:
        process.stop()
        raise
    made = data_dir / ("demo-credentials.json" if demo else "initial-admin.json")
    credentials = json.loads(made.read_text()) if demo or made.exists() else {}
    db_url = next(
        (extra_args[i + 1] for i, a in enumerate(extra_args[:-1]) if a == "--db"),
        f"sqlite:///{data_dir / 'helpdesk.sqlite3'}",
    )
    return Server(process, ready.group(1), ready.group(2), data_dir, credentials, db_url)
