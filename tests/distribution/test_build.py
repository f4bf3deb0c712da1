"""``./dev package`` is reproducible: a second build of the same sources, in other
directories at another time, is byte-identical to the one the fixture made."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from remoteapp import __version__
from tests.distribution.conftest import ROOT, build, source_hash

pytestmark = pytest.mark.timeout(1800)  # builds: PyInstaller, minutes on 2 shared cores


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_builds_are_byte_identical(built_app: Path, kit: Path, tmp_path: Path) -> None:
    # others edit this tree while tests run: compare with a build of the sources as they
    # are now (the fixture's, unless they changed since; then one more build)
    before = source_hash()
    built_app = build(kit, __version__)
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "build_specs" / "package.py"),
            "--deployment",
            str(kit / "deployment.json"),
            "--out",
            str(tmp_path),
            "--version",
            __version__,
        ],
        cwd=tmp_path,
        check=True,
        timeout=900,
    )
    again = tmp_path / "linux" / "remoteapp"
    assert source_hash() == before, "the sources changed during the build: run again"
    assert again.stat().st_size == built_app.stat().st_size
    assert sha256(again) == sha256(built_app)
