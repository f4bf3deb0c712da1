"""Distribution fixtures: the real PyInstaller build (one per test run at most, cached
by what goes into it under ``build/test-cache``, so reruns build nothing; see
``bench/builds.py``), its next version derived from it in seconds, a deployment kit with
stable keys, and real servers that serve them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import builds
from bench.builds import NEXT_VERSION, ROOT, release
from remoteapp import __version__
from tests.distribution.proxy import Proxy, proxy_to
from tests.helpdesk.server_process import Server, start_server
from tests.qt_threads import gc_on_gui_thread  # noqa: F401 (autouse: Qt with worker threads)

__all__ = ["NEXT_VERSION", "ROOT", "release"]


@pytest.fixture(scope="session")
def kit() -> Path:
    """Keys, a version-1 repository and the deployment file, made once and kept (the
    builds bake the deployment in, so new keys would mean new builds)."""
    return builds.kit()


@pytest.fixture(scope="session")
def built_app(kit: Path) -> Path:
    """The onefile build of this version: the run's one PyInstaller build (if uncached)."""
    return builds.build(kit, __version__)


@pytest.fixture(scope="session")
def built_next(built_app: Path) -> Path:
    """NEXT_VERSION of the same sources: ``built_app`` re-versioned (bench/builds.py),
    byte for byte what a second build would give (tests/distribution/test_build.py)."""
    return builds.next_build(built_app)


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


@pytest.fixture
def repo_server(tmp_path: Path, kit: Path) -> Iterator[Server]:
    """A real server on a copy of the kit's data (its update repository, nothing published)."""
    data = tmp_path / "server"
    shutil.copytree(kit / "data", data)
    server = start_server(data, {})
    yield server
    server.process.stop()


@pytest.fixture
def proxy(repo_server: Server) -> Iterator[Proxy]:
    """``repo_server`` through a proxy that can hold or trickle answers."""
    with proxy_to(repo_server.http_url) as running:
        yield running


def deployment_of(kit: Path) -> dict[str, object]:
    found: dict[str, object] = json.loads((kit / "deployment.json").read_text())
    return found
