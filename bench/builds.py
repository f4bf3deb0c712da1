"""The real desktop builds that the distribution tests and ``bench/package.py`` share:
a deployment kit with stable keys, ``./dev package`` builds cached by what goes into
them, and the next version's build derived from this one without a second PyInstaller
run.

The cache (``build/test-cache``, or ``$REMOTEAPP_BUILD_CACHE``) is keyed by the bundled
sources, the version, the deployment file *and the installed distributions* (CI runs
the suite unlocked and then locked in one clone: each must test its own build).

``reversioned``: a real build of version N+1 from the same sources differs from the
build of N only in the bundled ``resources/deployment.json`` (``build.version``).  It
rewrites that one entry of the onefile's archive (PyInstaller's CArchive, in the ELF
section ``pydata``) and assembles the executable the way PyInstaller does (its
bootloader + ``objcopy --add-section``).  Re-versioning a build to its own version gives
back the same bytes (``tests/distribution/test_build.py``), so the derived build is the
one PyInstaller would have made, in seconds instead of minutes.  Linux only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from importlib import metadata
from pathlib import Path

from remoteapp import __version__

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("REMOTEAPP_BUILD_CACHE") or ROOT / "build" / "test-cache")
NEXT_VERSION = ".".join([*__version__.split(".")[:-1], str(int(__version__.split(".")[-1]) + 1)])
PLACEHOLDER_URL = "http://127.0.0.1:9"  # tests point the app at theirs: REMOTEAPP_SERVER_URL
BUILD_TIMEOUT_S = 900  # one PyInstaller run; about 1-3 minutes on two shared cores

_COOKIE = struct.Struct("!8sIIII64s")  # PyInstaller's CArchive cookie
_COOKIE_MAGIC = b"MEI\014\013\012\013\016"
_ENTRY = struct.Struct("!IIIIBc")  # entry length, offset, stored, size, compressed, type
_DEPLOYMENT_ENTRY = "resources/deployment.json"


def release(*args: str) -> str:
    """Run ``remoteapp-release`` (helpdesk.release); its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "helpdesk.release", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"remoteapp-release {args[0]} failed: {done.stderr}")
    return done.stdout


def publish(
    data_dir: Path, keys: Path, version: str, artifact: Path, os_name: str = "linux"
) -> str:
    """``remoteapp-release publish``: ``artifact`` as ``version`` for ``os_name``."""
    return release(
        "publish",
        "--data-dir",
        str(data_dir),
        "--keys",
        str(keys),
        "--os",
        os_name,
        "--version",
        version,
        str(artifact),
    )


def bundled_files() -> list[Path]:
    """What a build is made of (and no more: another engineer's .ts edit is not one)."""
    files = [ROOT / "locks" / "desktop.txt", ROOT / "setup.cfg"]
    for top in ("remoteapp", "remotewire", "build_specs"):
        files += sorted(
            p for p in (ROOT / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts
        )
    resources = ROOT / "resources"
    files += [resources / "profile.json", resources / "logo.png"]
    files += sorted((resources / "i18n").glob("*.qm"))
    return files


def source_hash() -> str:
    digest = hashlib.sha256()
    for path in bundled_files():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    installed = sorted(
        f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions() if d.metadata
    )
    digest.update("\n".join(installed).encode())
    return digest.hexdigest()[:20]


def kit() -> Path:
    """Keys, a version-1 update repository and the deployment file, made once and kept
    (a build bakes the deployment in, so new keys would mean new builds)."""
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


def package(kit_dir: Path, out: Path, *extra: str, version: str = __version__) -> None:
    """One ``./dev package`` run (a full PyInstaller build), bounded in time."""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "build_specs" / "package.py"),
            "--deployment",
            str(kit_dir / "deployment.json"),
            "--out",
            str(out),
            "--version",
            version,
            *extra,
        ],
        cwd=ROOT,
        check=True,
        timeout=BUILD_TIMEOUT_S,
    )


def build(kit_dir: Path, version: str = __version__, *extra: str) -> Path:
    """The Linux build of ``version`` of this tree (from the cache when there):
    the onefile executable, or with ``--onedir`` the folder's executable."""
    key = hashlib.sha256(
        (source_hash() + version + " ".join(extra)).encode()
        + (kit_dir / "deployment.json").read_bytes()
    ).hexdigest()[:20]
    out = CACHE / f"build-{key}"
    binary = out / "linux" / "remoteapp"
    if "--onedir" in extra:
        binary = binary / "remoteapp"
    if not binary.is_file():
        package(kit_dir, out, *extra, version=version)
    return binary


def reversioned(binary: Path, version: str, out: Path) -> Path:
    """``binary`` (a Linux onefile build) as the build of ``version`` (see above)."""
    data = binary.read_bytes()
    at = data.rfind(_COOKIE_MAGIC)
    if at < 0:
        raise ValueError(f"{binary} is not a PyInstaller onefile build")
    magic, length, toc_offset, toc_length, pyvers, pylib = _COOKIE.unpack_from(data, at)
    start = at + _COOKIE.size - length
    pkg = data[start : at + _COOKIE.size]
    body, toc = bytearray(), bytearray()
    pos = toc_offset
    while pos < toc_offset + toc_length:
        size, offset, stored, full, compressed, kind = _ENTRY.unpack_from(pkg, pos)
        raw_name = pkg[pos + _ENTRY.size : pos + size]
        name = raw_name.rstrip(b"\0").decode()
        chunk = pkg[offset : offset + stored]
        if name == _DEPLOYMENT_ENTRY:
            text = zlib.decompress(chunk) if compressed else chunk
            baked = json.loads(text)
            baked["build"]["version"] = version
            plain = (json.dumps(baked, sort_keys=True, indent=1) + "\n").encode()
            chunk, full = (zlib.compress(plain, 9) if compressed else plain), len(plain)
        toc += _ENTRY.pack(size, len(body), len(chunk), full, compressed, kind) + raw_name
        body += chunk
        pos += size
    length = len(body) + len(toc) + _COOKIE.size
    cookie = _COOKIE.pack(magic, length, len(body), len(toc), pyvers, pylib)
    from PyInstaller import HOMEPATH, PLATFORM  # the build tool: only needed here

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        archive = Path(tmp) / "pkg"
        archive.write_bytes(bytes(body + toc) + cookie)
        assembled = Path(tmp) / out.name
        shutil.copyfile(Path(HOMEPATH) / "PyInstaller" / "bootloader" / PLATFORM / "run", assembled)
        subprocess.run(
            ["objcopy", "--add-section", f"pydata={archive}", str(assembled)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        assembled.chmod(0o755)
        os.replace(assembled, out)
    return out


def next_build(binary: Path) -> Path:
    """The NEXT_VERSION build beside ``binary``'s cache entry (derived once, kept)."""
    out = binary.parent.parent / f"next-{NEXT_VERSION}" / binary.name
    if not out.is_file():
        reversioned(binary, NEXT_VERSION, out)
    return out
