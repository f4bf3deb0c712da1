"""``./dev package``: build the desktop app for this OS with PyInstaller, reproducibly.

    ./dev package --deployment deployment.json            # the generic build
    ./dev package --deployment deployment.json --app acme # a packager's branded build
    ./dev package ... --onedir --version 0.2.0 --out DIR

The deployment file (``remoteapp-release deployment``) holds the server URL, the profile
key and the update root; this adds the build's version (and, for ``--app``, the slug,
name and icon) and bundles it as ``resources/deployment.json``.

Reproducible: ``SOURCE_DATE_EPOCH`` (default: the last commit's time) and
``PYTHONHASHSEED=0``; PyInstaller's work and output directories are private temporary
ones.  Measured (PyInstaller 6.22, Linux): without these two variables two builds differ,
in one bundled entry only, ``base_library.zip``, whose 155 members (the modules Python
needs to start) come in another order, with the same bytes and timestamps; with them
two builds in different directories are byte-identical (tests/distribution/test_build.py).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from remoteapp import __version__  # noqa: E402
from remotewire.distribution import OS_EXTENSIONS, download_file_name  # noqa: E402


def this_os() -> str:
    return {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")


def source_date_epoch() -> str:
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        out = ""
    return out or "315532800"  # 1980-01-01: the oldest date a zip can hold


def branded(deployment: dict[str, object], slug: str, work: Path) -> tuple[str, Path | None]:
    """Name and icon of app ``slug``'s own build, from the profile the server signs."""
    from remoteapp.branding.identity import ProfileCache, fetch_signed, verify

    key = base64.b64decode(str(deployment["profile_key"]))
    body = verify(fetch_signed(str(deployment["server_url"]), slug), key, slug)
    profile = ProfileCache(work / "profile").profile(body)
    name = download_file_name(profile.title, slug, "linux")
    return name, profile.logo


def build(args: argparse.Namespace) -> Path:
    deployment = json.loads(Path(args.deployment).read_text(encoding="utf-8"))
    os_name = this_os()
    with tempfile.TemporaryDirectory(prefix="remoteapp-package-") as tmp:
        work = Path(tmp)
        name, icon = "remoteapp", None
        build_info: dict[str, object] = {"version": args.version}
        if args.app:
            name, icon = branded(deployment, args.app, work)
            build_info |= {"app_slug": args.app, "name": name}
        deployment["build"] = build_info
        baked = work / "deployment.json"
        baked.write_text(json.dumps(deployment, sort_keys=True, indent=1) + "\n")
        env = {
            **os.environ,
            "SOURCE_DATE_EPOCH": source_date_epoch(),
            "PYTHONHASHSEED": "0",
        }
        command = [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(work / "dist"),
            "--workpath",
            str(work / "build"),
            str(ROOT / "build_specs" / "remoteapp.spec"),
            "--",
            "--deployment",
            str(baked),
            "--name",
            name,
        ]
        if args.onedir:
            command.append("--onedir")
        if icon is not None and os_name != "linux":  # ELF files carry no icon
            command += ["--icon", str(icon)]
        subprocess.run(command, check=True, env=env, cwd=work)
        built = work / "dist" / name
        out = Path(args.out) / os_name
        out.mkdir(parents=True, exist_ok=True)
        target = out / (name + ("" if args.onedir else OS_EXTENSIONS.get(os_name, "")))
        if os_name == "windows" and not args.onedir:
            built = built.with_suffix(".exe")
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        shutil.move(str(built), target)
    if target.is_file():
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        size = target.stat().st_size
    else:
        digest, size = "-", sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    print(
        f"package event=built path={target} version={args.version} os={os_name} "
        f"arch={platform.machine()} size={size} sha256={digest}",
        flush=True,
    )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="./dev package",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--deployment", required=True, help="from remoteapp-release deployment")
    parser.add_argument("--out", default=str(ROOT / "dist"))
    parser.add_argument("--version", default=__version__)
    parser.add_argument("--app", help="a branded build for this app slug (name and icon)")
    parser.add_argument("--onedir", action="store_true", help="a folder instead of one file")
    build(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
