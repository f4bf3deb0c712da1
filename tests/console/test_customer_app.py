"""The console's main flow with a real customer app: an app set up in chromium (phone
required, a logo, an agent, the admin as its administrator), then ``python -m remoteapp``
for that app on Xvfb. Its window shows the uploaded logo (pixels) and refuses to register
without the phone; once registered, the customer shows live (the page's stream, not its
polling fallback) in the admin's monitoring page in chromium; how soon is measured by
``bench/console.py`` (its target: 1 s).

Run from source, the app learns its company's settings the way a build does: from the
server's signed profile (``/api/profiles/{slug}``), trusted through a deployment file
(``REMOTEAPP_DEPLOYMENT``) that names the app and holds the server's public profile key.
A build has that file baked in; nothing else reaches the app from the console.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import mss
import mss.tools
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from helpdesk.services import profiles
from tests import pointer
from tests.conftest import ROOT, LineReader, client_env, stop
from tests.console.conftest import ARTIFACTS, screenshot
from tests.helpdesk.server_process import Server

APP_ID = "logoflow"
TITLE = "Logo Flow Support"
MAGENTA = (230, 20, 200)
"""The logo's colour: nothing else in a Qt window on Xvfb is this colour."""
ERROR_RED = (0xB0, 0x00, 0x20)
"""The customer window's form-error text colour (``customer_window.py``)."""
SEEN_SCRIPT = """(name) => {
  window.__rowSeenAt = null;
  const look = () => {
    if (window.__rowSeenAt !== null) return;
    for (const cell of document.querySelectorAll('#waiting-table .customer-name')) {
      if (cell.textContent === name) { window.__rowSeenAt = Date.now(); return; }
    }
  };
  new MutationObserver(look).observe(document.body, {childList: true, subtree: true});
  look();
}"""
"""Notes the wall-clock time at which the customer's row enters the page's DOM."""


def logo_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 48), MAGENTA).save(out, format="PNG")
    return out.getvalue()


def set_up_app_in_the_console(page: Page) -> None:
    """Create the app: phone required, the logo, Agent Only as agent, the admin as
    administrator (so the admin's monitoring page lists the app's customers)."""
    page.goto("/console/settings/apps/new")
    page.fill("input[name=app_id]", APP_ID)
    page.fill("input[name=name]", TITLE)
    page.click("a[data-tab=parameters]")
    page.select_option("select[name=mode_phone]", "required")
    page.click("a[data-tab=appearance]")
    page.fill("input[name=title]", TITLE)
    page.set_input_files(
        "input[name=logo]",
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": logo_png()}],
    )
    page.click("a[data-tab=agents]")
    page.locator("#tab-agents").get_by_label("Agent Only").check()
    page.click("a[data-tab=administrators]")
    page.locator("#tab-administrators").get_by_label("Demo Admin").check()
    page.click("#save-app")
    expect(page.locator("#saved")).to_be_visible()


def deployment_file(server: Server, where: Path) -> Path:
    """What a branded build of this app bakes in: the server, its profile key, the slug
    (the update root is a placeholder: the update check fails and says so in the log)."""
    with httpx.Client(base_url=server.http_url, timeout=10) as client:
        assert client.get(f"/api/profiles/{APP_ID}").status_code == 200  # the key exists now
    key = profiles.load_or_create_key(server.data_dir)
    body = {
        "server_url": server.http_url,
        "profile_key": profiles.public_key_b64(key),
        "update_root": {"signed": {"_type": "root"}, "signatures": []},
        "build": {"version": "0.0.0", "app_slug": APP_ID, "name": TITLE},
    }
    path = where / "deployment.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


@pytest.fixture
def customer_app(
    console_server: Server, xvfb_display: str, tmp_path: Path
) -> Iterator[Callable[[], LineReader]]:
    """Starts ``python -m remoteapp --server URL --app ID --lang en`` on the test display
    (its own data directory: its own device, profile cache); stopped afterwards."""
    started: list[subprocess.Popen[str]] = []

    def start() -> LineReader:
        env = {
            **client_env(xvfb_display),
            "XDG_DATA_HOME": str(tmp_path / "customer-data"),
            "REMOTEAPP_DEPLOYMENT": str(deployment_file(console_server, tmp_path)),
        }
        argv = ["--server", console_server.http_url, "--app", APP_ID, "--lang", "en"]
        app = subprocess.Popen(
            [sys.executable, "-m", "remoteapp", *argv],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(app)
        return LineReader(app)

    yield start
    for app in started:
        stop(app)


def xdo(display: str, *args: str) -> str:
    return subprocess.run(
        ["xdotool", *args],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout


def window_region(display: str, title: str) -> dict[str, int]:
    found: list[str] = []

    def search() -> bool:  # a window that goes away mid-search (the loading one) fails it
        done = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
            env={**os.environ, "DISPLAY": display},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        found[:] = done.stdout.split()
        return bool(found)

    wait_until(search, 20, f"a visible window named {title!r}")
    window = found[0]
    shell = xdo(display, "getwindowgeometry", "--shell", window)
    g = dict(line.split("=", 1) for line in shell.split())
    return {
        "left": int(g["X"]),
        "top": int(g["Y"]),
        "width": int(g["WIDTH"]),
        "height": int(g["HEIGHT"]),
    }


def count_colour(display: str, region: dict[str, int], rgb: tuple[int, int, int]) -> int:
    """Pixels within a small tolerance of ``rgb`` in ``region`` of the screen."""
    with mss.MSS(display=display) as screen:
        shot = screen.grab(region)
    return sum(
        1
        for (b, g, r, _) in zip(*[iter(shot.bgra)] * 4, strict=False)
        if abs(r - rgb[0]) < 16 and abs(g - rgb[1]) < 16 and abs(b - rgb[2]) < 16
    )


def save_window(display: str, region: dict[str, int], name: str) -> None:
    """The customer window as the screen shows it, next to the console's screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with mss.MSS(display=display) as screen:
        shot = screen.grab(region)
    mss.tools.to_png(shot.rgb, shot.size, output=str(ARTIFACTS / f"{name}.png"))


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)  # polling the screen: X gives no event for "these pixels changed"


@pytest.mark.display
def test_a_real_customer_app_shows_the_logo_asks_for_the_phone_and_shows_live(
    console_server: Server,
    login_as: Callable[..., Page],
    customer_app: Callable[[], LineReader],
    xvfb_display: str,
) -> None:
    page = login_as("admin")
    set_up_app_in_the_console(page)
    page.goto(f"/console/monitoring/{APP_ID}")
    expect(page.locator("#waiting-table")).to_be_visible()
    page.evaluate(SEEN_SCRIPT, "Paula Pixel")

    app = customer_app()
    app.wait_for(f"identity event=resolved slug={APP_ID} source=server", timeout=60)
    app.wait_for("app event=started", timeout=60)
    display = xvfb_display
    region = window_region(display, TITLE)
    header = {**region, "height": min(90, region["height"])}
    wait_until(
        lambda: count_colour(display, header, MAGENTA) > 40 * 40,
        10,
        "the uploaded logo drawn in the window's header",
    )

    # name and email only: the app refuses, in red, and registers nothing
    pointer.click(display, region["left"] + 5, region["top"] + 5)  # the window: its keyboard
    red_before = count_colour(display, region, ERROR_RED)
    for args in (
        ("type", "--delay", "20", "Paula Pixel"),
        ("key", "Tab"),
        ("type", "--delay", "20", "paula@pixel.example"),
        ("key", "Return"),
    ):
        xdo(display, *args)
    wait_until(
        lambda: count_colour(display, region, ERROR_RED) > red_before + 30,
        10,
        "the required-field message (red text) after submitting without the phone",
    )
    assert app.saw("customer event=registered") is None
    save_window(display, region, "11-customer-app-phone-required")
    waiting = page.request.get(f"/console/monitoring/{APP_ID}/live")
    assert waiting.ok and "Paula Pixel" not in waiting.text()

    xdo(display, "key", "Tab")  # email -> phone
    xdo(display, "type", "--delay", "20", "+55 11 5555-0101")
    xdo(display, "key", "Return")
    app.wait_for("customer event=registered", timeout=30)
    row = page.locator("#waiting-table tr", has_text="Paula Pixel")
    expect(row).to_be_visible()
    assert page.evaluate("window.__rowSeenAt") is not None  # (inserted, seen by the observer)
    # live: the stream brought it, the page never fell back to polling (how soon is
    # bench/console.py's figure, not a timed assert here)
    assert page.locator("#live").get_attribute("data-fallback") is None
    screenshot(page, "10-monitoring-real-customer-app")
