"""Distribution figures (issue 9), each beside a baseline from the same run:

- saving an app -> its download link answers 200 (Movidesk states "up to 10 minutes");
- binary size, and cold start to a visible window under Xvfb: onefile and onedir, first
  start (no cached profile: fetched and verified) and later starts (cached), with
  ``python -m remoteapp`` from source as the baseline (it reads the bundled profile:
  no deployment, nothing fetched);
- update check time, and download + apply time of a full update.

Builds come from the cache the tests share (``bench/builds.py``; built when missing,
a minute or more each on two cores).  Nothing is imported from ``tests/``.

    python -m bench.package            # table
    python -m bench.package --json     # one JSON object
    python -m bench.package --no-onedir --runs 5
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests
from Xlib import X
from Xlib import display as xdisplay

from bench import builds
from bench.server_load import start_server
from remoteapp import __version__
from remoteapp.update.client import UpdateClient, trusted_root_bytes
from remoteapp.update.replace import replace_executable

MOVIDESK_LINK_S = 600.0
TITLE = "Suporte Remoto ACME"  # the app the bench creates; also resources/profile.json's
NAME = "Suporte-Remoto-ACME_ra-acme"
START_TIMEOUT_S = 120.0


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    """A private Xvfb; its display name."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()  # EOF (Xvfb died) ends it too
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(30)


def visible_window(screen: Any, title: str) -> bool:
    """A mapped top-level window named ``title`` (Qt sets WM_NAME and _NET_WM_NAME)."""
    root = screen.screen().root
    net_name = screen.intern_atom("_NET_WM_NAME")
    utf8 = screen.intern_atom("UTF8_STRING")
    for window in root.query_tree().children:
        if window.get_attributes().map_state != X.IsViewable:
            continue
        prop = window.get_full_property(net_name, utf8)
        name = prop.value.decode() if prop is not None else (window.get_wm_name() or "")
        if name == title:
            return True
    return False


def cold_start(command: list[str], where: str, env: dict[str, str], xdg: Path) -> float:
    """Seconds from spawn to a mapped window titled TITLE (polled every 10 ms)."""
    full = {**os.environ, **env, "DISPLAY": where, "XDG_DATA_HOME": str(xdg)}
    screen = xdisplay.Display(where)
    try:
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            env=full,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=builds.ROOT,
        )
        try:
            while not visible_window(screen, TITLE):
                if proc.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited with {proc.returncode}")
                if time.monotonic() - started > START_TIMEOUT_S:
                    raise TimeoutError(f"no window from {command[0]}")
                time.sleep(0.01)
            return time.monotonic() - started
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        screen.close()


def starts(command: list[str], where: str, env: dict[str, str], runs: int) -> dict[str, float]:
    """Median first start (a fresh data dir each time) and later start (cached)."""
    first, later = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as xdg:
            first.append(cold_start(command, where, env, Path(xdg)))
            later.append(cold_start(command, where, env, Path(xdg)))
    return {"first": statistics.median(first), "later": statistics.median(later)}


def timed(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.monotonic()
        action()
        samples.append(time.monotonic() - started)
    return statistics.median(samples)


def onedir_named(kit_dir: Path, work: Path) -> tuple[Path, int, int]:
    """The onedir build with its executable named like the download; bytes and files."""
    folder = builds.build(kit_dir, __version__, "--onedir").parent
    copy = work / "onedir"
    shutil.copytree(folder, copy, symlinks=True)
    (copy / "remoteapp").rename(copy / NAME)
    files = [p for p in copy.rglob("*") if p.is_file() and not p.is_symlink()]
    return copy / NAME, sum(p.stat().st_size for p in files), len(files)


def add_app(data: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "helpdesk.admin", "--data-dir", str(data), "add-app", "acme", TITLE],
        cwd=builds.ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )


def publish(data: Path, kit_dir: Path, version: str, build: Path) -> None:
    builds.release(
        "publish",
        "--data-dir",
        str(data),
        "--keys",
        str(kit_dir / "keys"),
        "--os",
        "linux",
        "--version",
        version,
        str(build),
    )


def measure(with_onedir: bool, runs: int) -> dict[str, Any]:
    kit_dir = builds.kit()
    onefile = builds.build(kit_dir, __version__)
    next_build = builds.next_build(onefile)
    results: dict[str, Any] = {"onefile_bytes": onefile.stat().st_size, "runs": runs}
    work = Path(tempfile.mkdtemp(prefix="bench-package-"))
    data = work / "server"
    shutil.copytree(kit_dir / "data", data)
    publish(data, kit_dir, __version__, onefile)
    proc, url = start_server(data)
    try:
        started = time.monotonic()
        add_app(data)  # the save: a process that commits the app and exits
        saved = time.monotonic()
        while (
            requests.get(f"{url}/download/acme/linux", timeout=30, stream=True).status_code != 200
        ):
            if time.monotonic() - saved > 60:
                raise TimeoutError("the link never worked")
        results["link_after_save_s"] = time.monotonic() - saved
        results["save_and_link_s"] = time.monotonic() - started
        env = {"REMOTEAPP_SERVER_URL": url}
        named = work / NAME
        shutil.copy(onefile, named)
        with xvfb() as where:
            source = [sys.executable, "-m", "remoteapp", "--server", url, "--app", "acme"]
            results["source_start_s"] = starts(source, where, env, runs)
            results["onefile_start_s"] = starts([str(named)], where, env, runs)
            if with_onedir:
                folder_exe, size, files = onedir_named(kit_dir, work)
                results["onedir_bytes"], results["onedir_files"] = size, files
                results["onedir_start_s"] = starts([str(folder_exe)], where, env, runs)
        publish(data, kit_dir, builds.NEXT_VERSION, next_build)
        deployment = json.loads((kit_dir / "deployment.json").read_text())
        root = trusted_root_bytes(deployment["update_root"])

        def client() -> UpdateClient:
            return UpdateClient(url, root, Path(tempfile.mkdtemp(dir=work)), "linux", __version__)

        results["update_check_s"] = timed(lambda: client().check(), runs)

        def download_apply() -> None:
            updater = client()
            offered = updater.check()
            assert offered is not None
            replace_executable(named, updater.download(offered))

        results["update_download_apply_s"] = timed(download_apply, runs)
        results["update_bytes"] = next_build.stat().st_size
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(work, ignore_errors=True)
    results["movidesk_link_s"] = MOVIDESK_LINK_S
    return results


def table(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    src = r["source_start_s"]
    rows = [
        (
            "saved app -> working link",
            f"{r['link_after_save_s'] * 1000:.0f} ms",
            f"Movidesk: up to {r['movidesk_link_s'] / 60:.0f} min; "
            f"with the save itself (admin CLI): {r['save_and_link_s']:.2f} s",
        ),
    ]
    for kind in ("onefile", "onedir"):
        if f"{kind}_start_s" not in r:
            continue
        got = r[f"{kind}_start_s"]
        rows += [
            (
                f"first start to window, {kind}",
                f"{got['first']:.2f} s",
                f"source: {src['first']:.2f} s; no cached profile: fetched + verified",
            ),
            (
                f"later start to window, {kind}",
                f"{got['later']:.2f} s",
                f"source: {src['later']:.2f} s; the cached profile",
            ),
        ]
    rows.append(("size, onefile", f"{r['onefile_bytes'] / 1e6:.1f} MB", "one file"))
    if "onedir_bytes" in r:
        rows.append(
            ("size, onedir", f"{r['onedir_bytes'] / 1e6:.1f} MB", f"{r['onedir_files']} files")
        )
    rows += [
        ("update check", f"{r['update_check_s'] * 1000:.0f} ms", "fresh metadata cache"),
        (
            "update download + apply",
            f"{r['update_download_apply_s']:.2f} s",
            f"{r['update_bytes'] / 1e6:.1f} MB over loopback",
        ),
    ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.package",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-onedir", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    r = measure(not args.no_onedir, args.runs)
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    rows = table(r)
    width = max(len(row[0]) for row in rows)
    print(f"medians of {r['runs']} runs")
    for name, value, baseline in rows:
        print(f"{name:<{width}}  {value:>10}  ({baseline})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
