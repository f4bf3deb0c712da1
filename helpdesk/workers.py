"""``remoteapp-server --workers N``: N HTTP server processes on one port, one PostgreSQL.

The parent migrates once, seeds (``--demo``), binds the HTTP socket, runs the embedded
relay and starts N worker processes (``spawn``: a fresh interpreter each, nothing
inherited but the socket). Each worker runs the whole HTTP app on the shared socket with
its own engine and pool (``helpdesk.db.POOL_SIZE`` connections, plus one listening
connection: ``helpdesk.pg_listen``), so the database serves N x (POOL_SIZE + 1)
connections. The kernel spreads accepted connections over the workers; whatever one
worker does that another must see goes through the database (offers wake polls through
``LISTEN/NOTIFY``, the failure limits are rows, the sweeper takes an advisory lock).

SIGTERM/SIGINT stop the relay first (its sessions are reported as ``relay-shutdown``
while the workers still answer), then every worker. A worker that dies is restarted;
one that keeps dying (``MAX_RESTARTS`` within ``RESTART_WINDOW_S``) stops the server
with a message saying so. A worker whose parent is gone stops too.

SQLite is refused: its wake-ups cross no process boundary (``helpdesk.notify``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Final

import anyio.to_thread
import uvicorn

from helpdesk.app import create_app
from helpdesk.cli import announce, events, http_config, raise_open_files_limit
from helpdesk.db import (
    BACKGROUND_THREADS,
    POOL_SIZE,
    REQUEST_THREADS,
    db_factory,
    make_engine,
    migrate,
)
from helpdesk.demo import first_admin, seed
from helpdesk.keys import SERVER_SECRET_ENV, SERVER_SECRET_FILE
from helpdesk.settings import Settings
from remoterelay.cli import config_from_args, own_cert
from remoterelay.reporter import HttpReporter
from remoterelay.server import Relay
from remotewire.address import relay_address
from remotewire.events import to_stdout
from remotewire.shared_secret import load_secret

MAX_RESTARTS: Final = 5
RESTART_WINDOW_S: Final = 60.0
START_TIMEOUT_S: Final = 60.0
STOP_TIMEOUT_S: Final = 10.0
BACKLOG: Final = 4096
NEEDS_POSTGRES: Final = (
    "remoteapp-server: --workers N (N > 1) needs PostgreSQL (--db postgresql+psycopg://...):"
    " a customer's long poll held by one process is woken by an offer made in another only"
    " through PostgreSQL LISTEN/NOTIFY; on SQLite the wake-up stays inside one process"
)


class WorkersFailed(SystemExit):
    """The server stops: a worker could not start, or keeps dying."""


def run_workers(args: argparse.Namespace) -> None:
    """Entry point of ``remoteapp-server --workers N`` (N > 1); returns after a signal."""
    if not (args.db or "").startswith("postgresql"):
        raise SystemExit(NEEDS_POSTGRES)
    asyncio.run(Supervisor(args).run())


def _secrets(data_dir: Path) -> tuple[bytes, bytes]:
    secret = load_secret(data_dir / "relay-secret", create=True)
    server_secret = load_secret(  # never given to a relay (helpdesk.keys)
        data_dir / SERVER_SECRET_FILE, create=True, env_var=SERVER_SECRET_ENV
    )
    return secret, server_secret


class Supervisor:
    """The parent process: see the module docstring."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.context = multiprocessing.get_context("spawn")
        self.ready: Any = self.context.Queue()
        self.workers: list[BaseProcess] = []
        self.restarts: list[float] = []
        self.stop = asyncio.Event()
        self.died = asyncio.Event()
        self.failure: str | None = None

    async def run(self) -> None:
        args = self.args
        data_dir: Path = args.data_dir
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        secret, _ = _secrets(data_dir)
        engine = make_engine(args.db)
        migrate(engine)  # once, here: the workers find the schema at head
        credentials = seed(db_factory(engine)) if args.demo else None
        first = None if args.demo else first_admin(db_factory(engine))
        engine.dispose()

        sock = socket.create_server((args.http_host, args.http_port), backlog=BACKLOG)
        http_port = sock.getsockname()[1]
        http_url = f"{'https' if args.cert else 'http'}://{args.http_host}:{http_port}"
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop.set)

        relay: Relay | None = None
        address = args.public_relay or "127.0.0.1:8765"
        if not args.no_relay:
            reporter = HttpReporter(http_url, secret, context=own_cert(args.cert))
            relay = Relay(config_from_args(args, secret, args.relay_port, reporter))
            await relay.start()
            own = relay_address(args.public_host, relay.port, tls=bool(args.cert))
            address = args.public_relay or own
            relay.config.public_address = address  # the fleet's placement sees it
        try:
            for index in range(args.workers):
                self._start(index, sock, address)
            await self._await_ready(loop)
            announce(data_dir, http_url, address, credentials, first, workers=len(self.workers))
            await self._supervise(loop, sock, address)
        finally:
            if relay is not None:
                await relay.close()  # reports relay-shutdown while the workers answer
            await loop.run_in_executor(None, self._stop_all)
            sock.close()
            self.ready.close()
        if self.failure is not None:
            raise WorkersFailed(self.failure)

    def _start(self, index: int, sock: socket.socket, address: str) -> None:
        process = self.context.Process(
            target=worker_main,
            args=(self.args, sock, address, self.ready, index),
            name=f"remoteapp-worker-{index}",
        )
        process.start()
        if index < len(self.workers):
            self.workers[index] = process
        else:
            self.workers.append(process)
        asyncio.get_running_loop().add_reader(process.sentinel, self.died.set)

    async def _await_ready(self, loop: asyncio.AbstractEventLoop) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        started = 0
        while started < len(self.workers):
            if any(process.exitcode is not None for process in self.workers):
                self.failure = "remoteapp-server: a worker process failed to start (see above)"
                raise WorkersFailed(self.failure)
            if self.stop.is_set() or time.monotonic() > deadline:
                raise WorkersFailed("remoteapp-server: the workers did not start in time")
            with contextlib.suppress(queue.Empty):  # after the bounded wait
                await loop.run_in_executor(None, self.ready.get, True, 0.5)
                started += 1

    async def _supervise(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, address: str
    ) -> None:
        """Until a signal: restart a worker that died, or give up when they keep dying."""
        while True:
            stopper = asyncio.ensure_future(self.stop.wait())
            death = asyncio.ensure_future(self.died.wait())
            await asyncio.wait({stopper, death}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            death.cancel()
            if self.stop.is_set():
                return
            self.died.clear()
            for index, process in enumerate(self.workers):
                if process.exitcode is None:
                    continue
                loop.remove_reader(process.sentinel)
                now = time.monotonic()
                self.restarts = [t for t in self.restarts if t > now - RESTART_WINDOW_S]
                if len(self.restarts) >= MAX_RESTARTS:
                    self.failure = (
                        f"remoteapp-server: worker {index} died (exit code {process.exitcode})"
                        f" and {MAX_RESTARTS} workers were restarted within"
                        f" {RESTART_WINDOW_S:.0f} s; stopping"
                    )
                    events.emit("workers-failing", worker=index, exit_code=process.exitcode)
                    return
                self.restarts.append(now)
                events.emit("worker-restarted", worker=index, exit_code=process.exitcode)
                process.close()
                self._start(index, sock, address)

    def _stop_all(self) -> None:
        for process in self.workers:
            if process.exitcode is None and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in self.workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                process.kill()
                process.join(5)


def worker_main(
    args: argparse.Namespace, sock: socket.socket, address: str, ready: Any, index: int
) -> None:
    """A worker process: the HTTP app on the shared socket until SIGTERM/SIGINT."""
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s [w{index}] %(message)s")
    to_stdout()
    raise_open_files_limit()
    os.umask(0o077)
    asyncio.run(_serve_worker(args, sock, address, ready))


async def _serve_worker(
    args: argparse.Namespace, sock: socket.socket, address: str, ready: Any
) -> None:
    secret, server_secret = _secrets(args.data_dir)
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(BACKGROUND_THREADS, "helpdesk-background"))
    anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
    engine = make_engine(args.db, pool_size=POOL_SIZE)
    settings = Settings(
        secret=secret, server_secret=server_secret, data_dir=args.data_dir, relay_address=address
    )
    settings.allowed_hosts += tuple(args.allowed_host)  # helpdesk.middleware.HostCheck
    app = create_app(engine, settings)
    server = uvicorn.Server(http_config(app, args))
    http_task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if http_task.done():
            await http_task
            return
        await asyncio.sleep(0.05)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    parent = multiprocessing.parent_process()
    if parent is not None:  # an orphan stops: nobody would supervise it
        loop.add_reader(parent.sentinel, stop.set)
    ready.put(os.getpid())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({stopper, http_task}, return_when=asyncio.FIRST_COMPLETED)
    app.state.notifier.close()
    server.should_exit = True
    await http_task
    stopper.cancel()
    engine.dispose()
