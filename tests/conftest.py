"""Shared fixtures: real X displays and real X clients, every wait bounded."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import importlib.util
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from remoteapp.net.session_state import Role
from remoteapp.secure import SecureParams
from remoteapp.secure.params import SHARE_KEY_ENV
from tests import displays, postgres

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def private_user_data(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never touch the real user data directory (device id, outbox) nor the user's
    settings (the remoteapp:// handler that xdg-mime registers at an agent's login)."""
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("user-data"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("user-config"))


@pytest.fixture(autouse=True)
def leaks_fail_the_test_that_made_them() -> Iterator[None]:
    """A socket left open in a reference cycle (an asyncio transport) is only found by the
    cyclic garbage collector, whose runs follow allocations: its ResourceWarning (an error
    here) would fail whichever later test was running then. Collecting after each test
    makes it fail the test that leaked (tests/ui also collects, on the GUI thread)."""
    yield
    gc.collect()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL cluster's URL (no database name); see tests/postgres.py."""
    if postgres.bindir() is None or importlib.util.find_spec("psycopg") is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL or psycopg is missing; ./dev test installs both")
        pytest.skip("PostgreSQL or psycopg is missing (./dev test installs both)")
    with postgres.cluster() as url:
        yield url


@pytest.fixture(scope="session")
def _shared_xvfb() -> Iterator[tuple[str, displays.InputReset]]:
    with displays.xvfb(1280, 800) as display:
        reset = displays.InputReset(display)
        yield display, reset
        reset.close()


@pytest.fixture(scope="session")
def xvfb_display(_shared_xvfb: tuple[str, displays.InputReset]) -> str:
    return _shared_xvfb[0]


@pytest.fixture(autouse=True)
def _input_let_go(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test on the shared Xvfb starts with nothing held (``displays.InputReset``: what
    a module's fixtures left on their way out is let go of, logged), and what it leaves
    held itself fails it (a warning, an error here: an injector that no longer lets go
    at a session's end is a bug), after it is let go of for the next test."""
    shared = "xvfb_display" in request.fixturenames
    if shared:
        display, reset = request.getfixturevalue("_shared_xvfb")
        if undone := reset():
            logging.getLogger("tests").warning("left held before %s: %s", display, undone)
    yield
    if shared and (undone := reset()):
        warnings.warn(f"left held on {display}: {undone}", ResourceWarning, stacklevel=1)


@pytest.fixture(scope="session")
def agent_display() -> Iterator[str]:
    with displays.xvfb(1920, 1200, until_exit=True) as display:
        yield display


@pytest.fixture(scope="session")
def qapp(agent_display: str) -> Iterator[QApplication]:
    """pytest-qt's application, created on the agent's display (xcb, not offscreen). One
    for the whole run: a QApplication can't move to another display, so every directory
    with in-process windows (tests/tls, tests/ui) must share this one, or the later ones
    show their windows where their screenshots don't look."""
    from remoteapp.ui.qt import QtWidgets  # Qt only where a test asks for it

    os.environ["DISPLAY"] = agent_display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["remoteapp-tests"])
    assert isinstance(app, QtWidgets.QApplication)
    yield app


@pytest.fixture(scope="session")
def dual_monitor_display() -> Iterator[str]:
    if displays.xorg_binary() is None and not os.environ.get("CI"):
        pytest.skip("Xorg with the dummy driver is not installed; ./dev test installs it")
    with displays.dual_monitor_xorg() as display:
        yield display


def client_env(display: str) -> dict[str, str]:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    env.pop("WAYLAND_DISPLAY", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


class LineReader:
    """Collect a process's stdout lines on a thread, so waits can have a deadline."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:
            for line in self.proc.stdout:
                self.lines.put(line)
        self.lines.put(None)

    def saw(self, prefix: str) -> str | None:
        """Non-blocking: a new line starting with ``prefix`` if one has arrived (for
        ``qtbot.waitUntil``, which keeps Qt's event loop running while it waits)."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return None
            if line is None:
                raise RuntimeError(f"{self.proc.args} ended; it printed: {''.join(self.seen)}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def wait_for(self, prefix: str, timeout: float) -> str:
        """The first new line starting with ``prefix``; TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError(f"{self.proc.args} ended; it printed: {''.join(self.seen)}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        raise TimeoutError(f"no {prefix!r} line from {self.proc.args} within {timeout} s")


def stop(proc: subprocess.Popen[str]) -> None:
    """Terminate (then kill) and reap; the LineReader closes stdout at end of file."""
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture
def pattern_window() -> Iterator[Callable[[str, int, int, int, int], None]]:
    """Start real X clients painting the known pattern; all are stopped afterwards."""
    procs: list[subprocess.Popen[str]] = []

    def start(display: str, x: int, y: int, w: int, h: int) -> None:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.capture.pattern_window", str(x), str(y), str(w), str(h)],
            cwd=ROOT,
            env=client_env(display),
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        LineReader(proc).wait_for("ready", timeout=30)

    yield start
    for proc in procs:
        stop(proc)


@dataclasses.dataclass
class SharedScreen:
    """A customer process sharing ``display``, with a text field on it at (100, 100)."""

    sock: socket.socket  #: the agent's end of the session connection
    customer: LineReader  #: ``remoteapp share`` output (structured event lines)
    field: LineReader  #: the text field's output (``press``/``text`` lines)
    secure: SecureParams  #: the agent's end-to-end params (the customer holds the same key)


@contextlib.contextmanager
def shared_screen(
    display: str, via: Callable[[int], int] = lambda port: port
) -> Iterator[SharedScreen]:
    """Start a text field and ``remoteapp share`` on ``display``; accept its connection.
    ``via(port)`` is the port the customer connects to instead (a tap in between)."""
    env = client_env(display)
    key = os.urandom(32)
    env[SHARE_KEY_ENV] = key.hex()
    field = subprocess.Popen(
        [sys.executable, "-m", "tests.control.target_window", "100", "100", "500", "40"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    customer: subprocess.Popen[str] | None = None
    try:
        field_out = LineReader(field)
        field_out.wait_for("ready", timeout=30)
        with socket.create_server(("127.0.0.1", 0)) as server:
            server.settimeout(30)
            port = server.getsockname()[1]
            customer = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "remoteapp",
                    "share",
                    "--connect",
                    f"127.0.0.1:{via(port)}",
                    "--name",
                    "Maria",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            sock, _ = server.accept()
        with sock:
            yield SharedScreen(
                sock,
                LineReader(customer),
                field_out,
                SecureParams.for_direct(Role.AGENT, key),
            )
    finally:
        if customer is not None:
            stop(customer)
        stop(field)
