"""In-process Qt for UI tests: a QApplication on its own Xvfb (the agent's display); the
customer app as a real process on the customer's display (each test module that uses it
provides its ``product_server``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pointer
from tests.conftest import ROOT, LineReader, client_env, stop
from tests.helpdesk.server_process import Server
from tests.qt_threads import gc_on_gui_thread  # noqa: F401 (autouse: Qt with worker threads)
from tests.ui.product import FIELD


@pytest.fixture
def customer_name() -> str:
    """Each test's customer has its own name: the previous test's customer may still be
    listed in the queue (the server shares the module), and agents see names, not IDs."""
    return "Maria Silva"


@pytest.fixture
def customer(
    product_server: Server, xvfb_display: str, tmp_path: Path, customer_name: str
) -> Iterator[tuple[LineReader, LineReader]]:
    # another machine: its own data directory, so its own device id and partner ID
    env = {**client_env(xvfb_display), "XDG_DATA_HOME": str(tmp_path / "customer-data")}
    field = subprocess.Popen(
        [sys.executable, "-m", "tests.control.target_window", *map(str, FIELD)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "remoteapp",
            "--server",
            product_server.http_url,
            "--app",
            "demo",
            "--lang",
            "en",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    field_out, app_out = LineReader(field), LineReader(app)
    try:
        field_out.wait_for("ready", timeout=30)
        app_out.wait_for("app event=started", timeout=30)
        pointer.click(xvfb_display, 200, 20)  # over the window: X gives it the keyboard
        xdo = ["xdotool"]
        for args in (
            ["type", "--delay", "20", customer_name],
            ["key", "Tab"],
            ["type", "--delay", "20", "maria@acme.example"],
            ["key", "Return"],
        ):
            subprocess.run([*xdo, *args], env=env, check=True, timeout=20)
        yield app_out, field_out
    finally:
        stop(app)
        stop(field)
