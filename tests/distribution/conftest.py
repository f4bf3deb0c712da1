"""Distribution fixtures: the real PyInstaller build (cached by source hash under
``build/test-cache``, so a run builds at most once per version it needs and reruns
build nothing), a deployment kit with stable keys, and real servers that serve them."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from remoteapp import __version__
from tests.helpdesk.server_process import Server, start_server

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("REMOTEAPP_BUILD_CACHE") or ROOT / "build" / "test-cache")
SOURCES = ("remoteapp", "remotewire", "build_specs", "resources")
NEXT_VERSION = ".".join([*__version__.split(".")[:-1], str(int(__version__.split(".")[-1]) + 1)])
PLACEHOLDER_URL = "http://127.0.0.1:9"  # tests point the app at theirs: REMOTEAPP_SERVER_URL


def release(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "helpdesk.release", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def source_hash() -> str:
    digest = hashlib.sha256()
    files = [ROOT / "locks" / "desktop.txt", ROOT / "setup.cfg"]
    for top in SOURCES:
        files += sorted(
            p for p in (ROOT / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts
        )
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


@pytest.fixture(scope="session")
def kit() -> Path:
    """Keys, a version-1 repository and the deployment file, made once and kept (the
    builds bake the deployment in, so new keys would mean new builds)."""
    where = CACHE / "kit"
    if not (where / "deployment.json").is_file():
        shutil.rmtree(where, ignore_errors=True)
        release("init", "--data-dir", str(where / "data"), "--keys", str(where / "keys"))
        release(
            "deployment",
            "--data-dir",
            str(where / "data"),
            "--server-url",
            PLACEHOLDER_URL,
            "-o",
            str(where / "deployment.json"),
        )
    return where


def build(kit: Path, version: str) -> Path:
    """The onefile build of ``version`` for this source tree (from the cache if there)."""
    key = hashlib.sha256(
        (source_hash() + version).encode() + (kit / "deployment.json").read_bytes()
    ).hexdigest()[:20]
    out = CACHE / f"build-{key}"
    binary = out / "linux" / "remoteapp"
    if not binary.is_file():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "build_specs" / "package.py"),
                "--deployment",
                str(kit / "deployment.json"),
                "--out",
                str(out),
                "--version",
                version,
            ],
            cwd=ROOT,
            check=True,
            timeout=900,
        )
    return binary


@pytest.fixture(scope="session")
def built_app(kit: Path) -> Path:
    return build(kit, __version__)


@pytest.fixture(scope="session")
def built_next(kit: Path) -> Path:
    return build(kit, NEXT_VERSION)


@pytest.fixture
def dist_server(tmp_path: Path, kit: Path, built_app: Path) -> Iterator[Server]:
    """A real server with the kit's keys and ``built_app`` published as this version."""
    data = tmp_path / "server"
    shutil.copytree(kit / "data", data)
    release(
        "publish",
        "--data-dir",
        str(data),
        "--keys",
        str(kit / "keys"),
        "--os",
        "linux",
        "--version",
        __version__,
        str(built_app),
    )
    server = start_server(data, {})
    yield server
    server.process.stop()


def deployment_of(kit: Path) -> dict[str, object]:
    found: dict[str, object] = json.loads((kit / "deployment.json").read_text())
    return found
