"""Distribution figures (issue 9), each beside a baseline from the same run:

- saving an app -> its download link answers 200 (Movidesk states "up to 10 minutes");
- binary size and cold start to a visible window under Xvfb, onefile and onedir, with
  ``python -m remoteapp`` from source as the baseline;
- update check time, and download + apply time of a full update.

Builds come from the tests' cache (``build/test-cache``, by source hash; built when
missing, which takes minutes on two cores).

    python -m bench.package            # table
    python -m bench.package --json     # one JSON object
    python -m bench.package --no-onedir
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from remoteapp import __version__
from remoteapp.update.client import UpdateClient, trusted_root_bytes
from remoteapp.update.replace import replace_executable
from tests.displays import xvfb
from tests.distribution.conftest import CACHE, NEXT_VERSION, ROOT, build, release, source_hash
from tests.helpdesk.server_process import start_server

MOVIDESK_LINK_S = 600.0


def kit() -> Path:
    where = CACHE / "kit"
    if not (where / "deployment.json").is_file():
        release("init", "--data-dir", str(where / "data"), "--keys", str(where / "keys"))
        release(
            "deployment",
            "--data-dir",
            str(where / "data"),
            "--server-url",
            "http://127.0.0.1:9",
            "-o",
            str(where / "deployment.json"),
        )
    return where


def onedir(kit_dir: Path) -> Path:
    out = CACHE / f"onedir-{source_hash()}"
    folder = out / "linux" / "remoteapp"
    if not (folder / "remoteapp").is_file():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "build_specs" / "package.py"),
                "--deployment",
                str(kit_dir / "deployment.json"),
                "--out",
                str(out),
                "--onedir",
            ],
            cwd=ROOT,
            check=True,
            timeout=1800,
        )
    return folder / "remoteapp"


def cold_start(command: list[str], display: str, env: dict[str, str], title: str) -> float:
    """Seconds from spawn to a mapped window named ``title`` (fresh data dir)."""
    with tempfile.TemporaryDirectory() as xdg:
        full = {**os.environ, **env, "DISPLAY": display, "XDG_DATA_HOME": xdg}
        started = time.monotonic()
        proc = subprocess.Popen(
            command, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
        )
        try:
            subprocess.run(
                ["xdotool", "search", "--sync", "--onlyvisible", "--name", title],
                env=full,
                check=True,
                timeout=120,
                capture_output=True,
            )
            return time.monotonic() - started
        finally:
            proc.terminate()
            proc.wait(30)


def timed(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.monotonic()
        action()
        samples.append(time.monotonic() - started)
    return statistics.median(samples)


def measure(with_onedir: bool, runs: int) -> dict[str, Any]:
    kit_dir = kit()
    onefile = build(kit_dir, __version__)
    next_build = build(kit_dir, NEXT_VERSION)
    results: dict[str, Any] = {"onefile_bytes": onefile.stat().st_size}
    work = Path(tempfile.mkdtemp(prefix="bench-package-"))
    data = work / "server"
    shutil.copytree(kit_dir / "data", data)
    release(
        "publish",
        "--data-dir",
        str(data),
        "--keys",
        str(kit_dir / "keys"),
        "--os",
        "linux",
        "--version",
        __version__,
        str(onefile),
    )
    server = start_server(data, {})
    try:
        created = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "helpdesk.admin",
                "--data-dir",
                str(data),
                "add-app",
                "acme",
                "Suporte Remoto ACME",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=60,
        )
        while (
            requests.get(
                f"{server.http_url}/download/acme/linux", timeout=30, stream=True
            ).status_code
            != 200
        ):
            if time.monotonic() - created > 60:
                raise TimeoutError("the link never worked")
        results["link_after_save_s"] = time.monotonic() - created
        env = {"REMOTEAPP_SERVER_URL": server.http_url}
        named = work / "Suporte-Remoto-ACME_ra-acme"
        shutil.copy(onefile, named)
        with xvfb(1280, 800) as display:
            results["source_start_s"] = statistics.median(
                cold_start(
                    [
                        sys.executable,
                        "-m",
                        "remoteapp",
                        "--server",
                        server.http_url,
                        "--app",
                        "acme",
                    ],
                    display,
                    env,
                    "Suporte Remoto ACME",
                )
                for _ in range(runs)
            )
            results["onefile_start_s"] = statistics.median(
                cold_start([str(named)], display, env, "Suporte Remoto ACME") for _ in range(runs)
            )
            if with_onedir:
                folder_exe = onedir(kit_dir)
                results["onedir_bytes"] = sum(
                    p.stat().st_size for p in folder_exe.parent.rglob("*") if p.is_file()
                )
                results["onedir_files"] = sum(1 for p in folder_exe.parent.rglob("*"))
                results["onedir_start_s"] = statistics.median(
                    cold_start(
                        [str(folder_exe), "--server", server.http_url, "--app", "acme"],
                        display,
                        env,
                        "Suporte Remoto ACME",
                    )
                    for _ in range(runs)
                )
        release(
            "publish",
            "--data-dir",
            str(data),
            "--keys",
            str(kit_dir / "keys"),
            "--os",
            "linux",
            "--version",
            NEXT_VERSION,
            str(next_build),
        )
        root = trusted_root_bytes(
            json.loads((kit_dir / "deployment.json").read_text())["update_root"]
        )

        def check() -> object:
            cache = Path(tempfile.mkdtemp(dir=work))
            return UpdateClient(server.http_url, root, cache, "linux", __version__).check()

        results["update_check_s"] = timed(check, runs)

        def download_apply() -> None:
            cache = Path(tempfile.mkdtemp(dir=work))
            client = UpdateClient(server.http_url, root, cache, "linux", __version__)
            offered = client.check()
            assert offered is not None
            replace_executable(named, client.download(offered))

        results["update_download_apply_s"] = timed(download_apply, runs)
        results["update_bytes"] = next_build.stat().st_size
    finally:
        server.process.stop()
        shutil.rmtree(work, ignore_errors=True)
    results["movidesk_link_s"] = MOVIDESK_LINK_S
    return results


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
    rows = [
        (
            "saved app -> working link",
            f"{r['link_after_save_s']:.2f} s",
            f"Movidesk: up to {r['movidesk_link_s']:.0f} s",
        ),
        (
            "cold start, onefile",
            f"{r['onefile_start_s']:.2f} s",
            f"source: {r['source_start_s']:.2f} s",
        ),
    ]
    if "onedir_start_s" in r:
        rows.append(
            (
                "cold start, onedir",
                f"{r['onedir_start_s']:.2f} s",
                f"source: {r['source_start_s']:.2f} s",
            )
        )
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
            f"{r['update_bytes'] / 1e6:.1f} MB, loopback",
        ),
    ]
    width = max(len(row[0]) for row in rows)
    for name, value, baseline in rows:
        print(f"{name:<{width}}  {value:>10}  ({baseline})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
