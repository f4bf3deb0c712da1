"""A throwaway PostgreSQL cluster for the tests, from Debian's ``postgresql`` package
(``./dev test`` installs it): initdb in a temporary directory, one ``postgres`` process on
a free loopback port, gone with the test process.  As root, the cluster runs as the
``postgres`` user (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.displays import die_with_parent
from tests.helpdesk.server_process import free_port


def bindir() -> Path | None:
    """Where initdb and postgres are (the newest Debian cluster version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


@contextmanager
def cluster(timeout_s: float = 30.0) -> Iterator[str]:
    """Start a cluster; yields its SQLAlchemy URL without a database name."""
    import psycopg

    binaries = bindir()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="remoteapp-pg-"))
    as_user: list[str] = []
    if os.getuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    proc: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [*as_user, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        port = free_port()
        with open(root / "postgres.log", "wb") as log:
            proc = subprocess.Popen(
                [
                    *as_user,
                    str(binaries / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(port),
                    "-k",
                    str(root),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",  # a throwaway cluster: speed over durability
                    "-c",
                    "max_connections=200",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - see tests/displays.py
            )
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                dsn = f"host=127.0.0.1 port={port} user=postgres"
                psycopg.connect(dsn, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "PostgreSQL did not start: " + (root / "postgres.log").read_text()[-2000:]
                    ) from None
                time.sleep(0.1)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        shutil.rmtree(root, ignore_errors=True)


def new_database(cluster_url: str) -> str:
    """A fresh, empty database in the cluster; returns its SQLAlchemy URL."""
    import psycopg

    name = "t_" + secrets.token_hex(6)
    host_port = cluster_url.rsplit("@", 1)[1]
    host, port = host_port.split(":")
    with psycopg.connect(f"host={host} port={port} user=postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # a name we made: nothing to inject
    return f"{cluster_url}/{name}"
