"""The server installs without the desktop stack: a fresh venv gets only the server's lock
and our package, then runs ``remoteapp-server`` and ``remoteapp-relay`` for real.

Slow-ish (a venv and ~25 packages from pip's cache or the index) but it is the only check
that the server's install really leaves PySide6, mss, pynput, keyring and numpy out, and
that it holds every file the console serves (templates, static files, catalogs: setup.cfg's
package_data, which nothing else reads).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.helpdesk.server_process import Process, launch

ROOT = Path(__file__).resolve().parent.parent
DESKTOP_ONLY = ("PySide6", "shiboken6", "mss", "pynput", "keyring", "numpy", "requests")
SOURCES = ("setup.cfg", "pyproject.toml", "README.md", "remotewire", "remoterelay", "helpdesk")


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=600, **kwargs)  # type: ignore[call-overload,no-any-return]


@pytest.fixture(scope="module")
def server_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with ``locks/server.txt`` and our package (built from a copy of the sources,
    so that the build leaves nothing in the work tree)."""
    work = tmp_path_factory.mktemp("server-install")
    src = work / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    # the desktop package is listed by setup.cfg; its code may be there, its stack not
    shutil.copytree(
        ROOT / "remoteapp", src / "remoteapp", ignore=shutil.ignore_patterns("__pycache__")
    )
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--require-hashes",
            "-r",
            str(ROOT / "locks" / "server.txt"),
        ]
    )
    run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(src)])
    return venv


def test_the_server_venv_has_no_desktop_stack(server_venv: Path) -> None:
    python = str(server_venv / "bin" / "python")
    probe = (
        "import importlib.util, json, sys; "
        "print(json.dumps({n: importlib.util.find_spec(n) is not None for n in sys.argv[1:]}))"
    )
    found = json.loads(run([python, "-c", probe, *DESKTOP_ONLY], cwd="/").stdout)
    assert found == dict.fromkeys(DESKTOP_ONLY, False)


def installed_data(venv: Path) -> set[str]:
    """The non-Python files of the installed ``helpdesk`` package, relative to it."""
    python = str(venv / "bin" / "python")
    where = run(
        [python, "-c", "import helpdesk, os; print(os.path.dirname(helpdesk.__file__))"], cwd="/"
    )
    return data_files(Path(where.stdout.strip()))


def data_files(package: Path) -> set[str]:
    return {
        str(path.relative_to(package))
        for path in package.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc")
    }


def test_the_server_venv_holds_every_console_file(server_venv: Path) -> None:
    expected = data_files(ROOT / "helpdesk")
    assert "templates/login.html" in expected
    assert "console/locale/pt_BR/LC_MESSAGES/console.po" in expected
    assert installed_data(server_venv) == expected


def test_the_server_and_a_lone_relay_run_from_that_venv(server_venv: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONUNBUFFERED"] = "1"
    bin_dir = server_venv / "bin"
    server = launch(
        [
            str(bin_dir / "remoteapp-server"),
            "--data-dir",
            str(tmp_path / "hd"),
            "--http-port",
            "0",
            "--relay-port",
            "0",
            "--relay-host",
            "127.0.0.1",
            "--demo",
        ],
        env,
        tmp_path,
    )
    relay: Process | None = None
    try:
        url = server.wait_for(r"helpdesk event=ready http_url=(\S+)", 60).group(1)
        with urllib.request.urlopen(f"{url}/api/apps/demo", timeout=10) as response:
            assert json.load(response)["id"] == "demo"
        login = urllib.request.Request(f"{url}/console/login", headers={"Accept-Language": "pt-BR"})
        with urllib.request.urlopen(login, timeout=10) as response:
            page = response.read().decode()
        assert "Entrar" in page
        script = re.search(r'src="(/console/static/vendor/htmx\.min\.js[^"]*)"', page)
        assert script is not None
        with urllib.request.urlopen(f"{url}{script.group(1)}", timeout=10) as response:
            assert response.read() == (ROOT / "helpdesk/static/vendor/htmx.min.js").read_bytes()
        secret = (tmp_path / "hd" / "relay-secret").read_text().strip()
        relay = launch(
            [
                str(bin_dir / "remoteapp-relay"),
                "--port",
                "0",
                "--relay-host",
                "127.0.0.1",
                "--helpdesk-url",
                url,
            ],
            {**env, "REMOTEAPP_RELAY_SECRET": secret},
            tmp_path,
        )
        relay.wait_for(r"relay event=listening", 30)
    finally:
        if relay is not None:
            assert relay.stop() == 0
        assert server.stop() == 0
