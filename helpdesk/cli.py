"""``remoteapp-server``: helpdesk HTTP server and relay in one process.

``remoteapp-relay`` (``remoterelay.cli:main``) runs a relay alone, e.g. on another host
with the same secret file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio.to_thread
import platformdirs
import uvicorn
from starlette.types import ASGIApp

from helpdesk.app import create_app
from helpdesk.clock import Clock
from helpdesk.db import (
    BACKGROUND_THREADS,
    POOL_SIZE,
    REQUEST_THREADS,
    db_factory,
    make_engine,
    migrate,
)
from helpdesk.demo import INITIAL_ADMIN_FILE, first_admin, seed, write_credentials
from helpdesk.keys import SERVER_SECRET_ENV, SERVER_SECRET_FILE
from helpdesk.settings import DEFAULT_TIME_ZONE, BadTimeZone, Settings, desk_zone
from remoterelay.cli import add_relay_arguments, config_from_args, own_cert
from remoterelay.reporter import HttpReporter
from remoterelay.server import Relay
from remotewire.address import relay_address
from remotewire.events import EventLog, to_stdout
from remotewire.shared_secret import load_secret

events = EventLog("helpdesk")
KEEP_ALIVE_S = 75
"""How long an idle HTTP connection is kept. A client must give up an idle connection
before the server closes it: a request sent as the server closes is lost (a reset, to
httpx a ``ReadError``). httpx drops idle connections after 5 s, and uvicorn's default
was 5 s too, so under load requests were lost. 75 s (nginx's default) is longer than
httpx's 5 s and than the apps' gaps between calls (a poll at least every 20 s, the
agent's queue every 3 s)."""


def raise_open_files_limit(wanted: int = 65536) -> int:
    """Each held long poll and each relay connection is an open socket; a default soft
    limit of 1024 would refuse connections (EMFILE) long before the server is busy. Raise
    the soft limit towards ``wanted``, never above the hard limit; returns the new value
    (0 where there is no such limit to raise: Windows)."""
    try:
        import resource  # POSIX only
    except ImportError:
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="remoteapp-server", description=__doc__)
    parser.add_argument("--http-host", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--relay-port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument(
        "--no-relay", action="store_true", help="serve HTTP only; sessions use --public-relay"
    )
    parser.add_argument(
        "--public-host", default="127.0.0.1", help="host name apps use to reach the relay"
    )
    parser.add_argument("--public-relay", help="host:port handed to apps (default: ours)")
    parser.add_argument("--db", help="SQLAlchemy URL (default: SQLite in the data dir)")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(platformdirs.user_data_dir("remoteapp-server"))
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="on an empty database, create demo data (users, app, clients, tickets, token)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="HTTP server processes on one port (more than 1 needs a PostgreSQL --db; "
        "docs/deploy.md)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name the HTTP API answers to besides IP addresses, localhost and "
        "--public-host (repeatable; also REMOTEAPP_ALLOWED_HOSTS; '*' any)",
    )
    add_relay_arguments(parser)
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    try:  # a wrong zone said at start, not as a 500 on the first monitoring page
        desk_zone(os.environ.get("REMOTEAPP_TIME_ZONE") or DEFAULT_TIME_ZONE)
    except BadTimeZone as exc:
        parser.error(str(exc))
    return args


def http_config(app: ASGIApp, args: argparse.Namespace) -> uvicorn.Config:
    """The HTTP server's settings, the same in one process and in each of ``--workers``."""
    return uvicorn.Config(
        app,
        host=args.http_host,
        port=args.http_port,
        log_level="warning",
        lifespan="on",
        timeout_keep_alive=KEEP_ALIVE_S,
        timeout_graceful_shutdown=5,  # long polls in flight must not hold up a stop
        ssl_certfile=args.cert,  # --cert/--key: HTTPS (and a TLS relay), docs/server.md
        ssl_keyfile=args.key,
    )


async def serve(args: argparse.Namespace, clock: Clock | None = None) -> None:
    """Run until SIGINT/SIGTERM; ``clock`` is the real one unless a test passes its own."""
    data_dir: Path = args.data_dir
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # umask 077 (main) covers parents
    secret = load_secret(data_dir / "relay-secret", create=True)
    server_secret = load_secret(  # never given to a relay (helpdesk.keys)
        data_dir / SERVER_SECRET_FILE, create=True, env_var=SERVER_SECRET_ENV
    )
    # The threads that run database work, one pooled connection each (helpdesk.db).
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(BACKGROUND_THREADS, "helpdesk-background"))
    anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
    engine = make_engine(
        args.db or f"sqlite:///{data_dir / 'helpdesk.sqlite3'}", pool_size=POOL_SIZE
    )
    migrate(engine)
    credentials = seed(db_factory(engine)) if args.demo else None
    first = None if args.demo else first_admin(db_factory(engine))

    settings = Settings(
        secret=secret, server_secret=server_secret, clock=clock or Clock(), data_dir=data_dir
    )
    settings.allowed_hosts += tuple(args.allowed_host)  # helpdesk.middleware.HostCheck
    app = create_app(engine, settings)
    server = uvicorn.Server(http_config(app, args))
    http_task = asyncio.create_task(server.serve())
    while not server.started:
        if http_task.done():
            await http_task  # re-raises why it could not start (port in use, ...)
            return
        await asyncio.sleep(0.05)
    http_port = server.servers[0].sockets[0].getsockname()[1]
    http_url = f"{'https' if args.cert else 'http'}://{args.http_host}:{http_port}"

    # Before "ready" is printed: whoever reads it may stop us at once with SIGTERM.
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)

    relay: Relay | None = None
    if not args.no_relay:
        reporter = HttpReporter(http_url, secret, context=own_cert(args.cert))
        relay = Relay(config_from_args(args, secret, args.relay_port, reporter))
        await relay.start()
        settings.relay_address = relay_address(args.public_host, relay.port, tls=bool(args.cert))
    if args.public_relay:
        settings.relay_address = args.public_relay
    if relay is not None:  # placed on like any relay of the fleet (relay_fleet)
        relay.config.public_address = settings.relay_address

    announce(data_dir, http_url, settings.relay_address, credentials, first)

    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({stopper, http_task}, return_when=asyncio.FIRST_COMPLETED)
    if relay is not None:
        await relay.close()  # reports relay-shutdown while the HTTP side still listens
    app.state.notifier.close()
    server.should_exit = True
    await http_task
    stopper.cancel()
    engine.dispose()


def announce(
    data_dir: Path,
    http_url: str,
    relay: str,
    credentials: dict[str, Any] | None,
    first: dict[str, Any] | None,
    workers: int = 1,
) -> None:
    """The start-up event lines; no password or token on the console: they are in the
    0600 files named there (``--demo`` data, the first administrator)."""
    if credentials is not None:
        credentials |= {"http_url": http_url, "relay": relay}
        write_credentials(data_dir / "demo-credentials.json", credentials)
        events.emit(
            "demo-created",
            admin=credentials["admin"]["email"],
            agent=credentials["agent"]["email"],
            app_id=credentials["app_id"],
            file=data_dir / "demo-credentials.json",
        )
    if first is not None:
        write_credentials(data_dir / INITIAL_ADMIN_FILE, first)
        events.emit(
            "admin-created", admin=first["admin"]["email"], file=data_dir / INITIAL_ADMIN_FILE
        )
    events.emit(
        "ready",
        http_url=http_url,
        relay=relay,
        docs=f"{http_url}/docs",
        data_dir=data_dir,
        **({"workers": workers} if workers > 1 else {}),
    )


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> None:
    """Entry point of ``remoteapp-server``; event lines (``helpdesk event=ready`` ...) go to
    stdout, the rest of the log to stderr."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    to_stdout()
    raise_open_files_limit()
    # Everything the server creates (data directory, database and its WAL, secret, keys,
    # credential files) is owner-only from the moment it exists: no window for a chmod.
    os.umask(0o077)
    if args.workers > 1:
        from helpdesk.workers import run_workers  # it builds on this module

        run_workers(args)
        return
    asyncio.run(serve(args, clock))


if __name__ == "__main__":
    main()
