"""The real build, end to end under Xvfb: an app created through the admin API has a
working download link within 10 s; the file downloaded from ``/download/{slug}/linux``
starts with that app's title and logo (pixels); renamed it uses the cached profile, and
with no cache asks for the code; tampered metadata is refused with the app running;
v+1 published, the icon appears and one click restarts it as v+1, same branding."""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import mss
import pytest
import requests
from PIL import Image

from bench.builds import publish
from remoteapp import __version__
from tests.distribution.conftest import NEXT_VERSION, ROOT
from tests.helpdesk.server_process import Process, Server, launch

pytestmark = [pytest.mark.display, pytest.mark.timeout(1800)]
RED = (220, 20, 20)


def red_logo() -> str:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), RED).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def add_app(server: Server, slug: str, title: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "helpdesk.admin",
            "--data-dir",
            str(server.data_dir),
            "add-app",
            slug,
            title,
            "--title",
            title,
            "--logo",
            red_logo(),
        ],
        cwd=ROOT,
        check=True,
        timeout=60,
        capture_output=True,
    )


def run_app(path: Path, display: str, xdg: Path, server: Server) -> Process:
    env = {
        **os.environ,
        "DISPLAY": display,
        "XDG_DATA_HOME": str(xdg),
        "REMOTEAPP_SERVER_URL": server.http_url,
        "PYTHONUNBUFFERED": "1",
    }
    return launch([str(path)], env, path.parent)


def stop(process: Process, *pids: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    process.stop()


def _x(display: str, *args: str) -> str:
    return subprocess.run(
        ["xdotool", *args],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    ).stdout


def _red_in(display: str, window: str) -> int:
    g = dict(
        line.split("=") for line in _x(display, "getwindowgeometry", "--shell", window).split()
    )
    region = {
        "left": int(g["X"]),
        "top": int(g["Y"]),
        "width": int(g["WIDTH"]),
        "height": int(g["HEIGHT"]),
    }
    with mss.MSS(display=display) as screen:
        shot = screen.grab(region)
    return sum(
        1
        for (b, gr, r, _) in zip(*[iter(shot.bgra)] * 4, strict=False)
        if abs(r - RED[0]) < 12 and abs(gr - RED[1]) < 12 and abs(b - RED[2]) < 12
    )


def window_pixels(display: str, title: str, timeout_s: float = 15.0) -> tuple[str, int]:
    """(window name, pixels of the logo's red) of the mapped window named ``title``,
    once it shows the 48-pixel-high logo (a started app may not have painted yet; a
    quitting one may still have its window): polled, bounded."""
    deadline = time.monotonic() + timeout_s
    name, red = "", 0
    while True:
        for window in _x(display, "search", "--onlyvisible", "--name", title).split():
            name = _x(display, "getwindowname", window).strip()
            red = max(red, _red_in(display, window))
        if red > 40 * 40 or time.monotonic() > deadline:
            return name, red
        time.sleep(0.1)


def test_download_start_rename_refuse_update(
    dist_server: Server, xvfb_display: str, kit: Path, built_next: Path, tmp_path: Path
) -> None:
    server, display = dist_server, xvfb_display
    created = time.monotonic()
    add_app(server, "acme", "Suporte Remoto ACME")
    while True:  # the link works as soon as the app exists: nothing is built per app
        answer = requests.get(f"{server.http_url}/download/acme/linux", timeout=30)
        if answer.status_code == 200 or time.monotonic() - created > 10:
            break
    assert answer.status_code == 200 and time.monotonic() - created <= 10
    name = re.search(r'filename="([^"]+)"', answer.headers["content-disposition"])
    assert name is not None and name.group(1) == "Suporte-Remoto-ACME_ra-acme"
    page = requests.get(
        f"{server.http_url}/download/acme",
        timeout=10,
        headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"},
    )
    assert 'class="build mine" data-os="linux"' in page.text
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    app_file = downloads / "Suporte-Remoto-ACME_ra-acme (1)"  # the browser's second copy
    app_file.write_bytes(answer.content)
    app_file.chmod(0o755)
    xdg = tmp_path / "xdg"

    app = run_app(app_file, display, xdg, server)
    try:
        app.wait_for(rf"identity event=resolved slug=acme source=server version={__version__}", 60)
        app.wait_for(r"app event=started", 30)
        title, red = window_pixels(display, "Suporte Remoto ACME")
        assert title == "Suporte Remoto ACME"
        assert red > 40 * 40  # the 48-pixel-high logo, drawn
        app.wait_for(r"update event=up-to-date", 30)
    finally:
        stop(app)

    renamed = downloads / "support tool"
    shutil.copy(app_file, renamed)
    app = run_app(renamed, display, xdg, server)
    try:
        app.wait_for(r"identity event=resolved slug=acme source=cache", 60)
        app.wait_for(r"app event=started", 30)
    finally:
        stop(app)
    app = run_app(renamed, display, tmp_path / "no-cache", server)
    try:
        app.wait_for(r"identity event=asking-code", 60)
    finally:
        stop(app)

    # tampered metadata: refused, a log line, no icon, the app keeps running
    publish(server.data_dir, kit / "keys", NEXT_VERSION, built_next)
    timestamp = server.data_dir / "updates" / "metadata" / "timestamp.json"
    good = timestamp.read_bytes()
    timestamp.write_bytes(good.replace(b'"version": ', b'"version": 1', 1))
    app = run_app(app_file, display, xdg, server)
    try:
        app.wait_for(r"update event=check-failed", 60)
        assert app.proc.poll() is None
        assert window_pixels(display, "Suporte Remoto ACME")[0] == "Suporte Remoto ACME"
    finally:
        stop(app)
    timestamp.write_bytes(good)

    # v+1: the icon, one click, the app restarts as v+1 with the same branding
    app = run_app(app_file, display, xdg, server)
    new_pid = 0
    try:
        found = app.wait_for(
            rf"update event=available version={NEXT_VERSION} button=(\d+),(\d+)", 60
        )
        subprocess.run(
            ["xdotool", "mousemove", found.group(1), found.group(2), "click", "1"],
            env={**os.environ, "DISPLAY": display},
            check=True,
            timeout=10,
        )
        app.wait_for(rf"update event=replaced version={NEXT_VERSION}", 300)
        again = app.wait_for(
            rf"identity event=resolved slug=acme source=cache version={NEXT_VERSION} pid=(\d+)", 90
        )
        new_pid = int(again.group(1))
        app.wait_for(r"app event=started", 30)
        title, red = window_pixels(display, "Suporte Remoto ACME")
        assert title == "Suporte Remoto ACME" and red > 40 * 40
        assert app_file.read_bytes() == built_next.read_bytes()
    finally:
        stop(app, *([new_pid] if new_pid else []))
