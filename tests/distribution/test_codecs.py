"""The built app's lossy codecs: the onefile binary encodes and decodes VP8 and JPEG
(``remoteapp codecs``, a hidden self-check: a library left out of the bundle would only
show when a codec is opened), and the bundle carries each shared library once."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from PyInstaller.archive.readers import CArchiveReader

from bench import builds

pytestmark = pytest.mark.timeout(2 * builds.BUILD_TIMEOUT_S)  # the build, if not cached


def test_the_built_app_encodes_and_decodes_vp8_and_jpeg(built_app: Path, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("DISPLAY", None)  # a codec check needs no screen
    done = subprocess.run(
        [str(built_app), "codecs"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("codec")]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "codecs decodable=jpeg,vp8" in lines
    for name in ("vp8", "jpeg"):
        assert any(line.startswith(f"codec={name} ok=1 ") for line in lines), lines


def test_the_bundle_holds_each_library_once(built_app: Path) -> None:
    archive = CArchiveReader(str(built_app))
    by_content: dict[str, list[str]] = defaultdict(list)
    with built_app.open("rb") as raw:
        for name, (offset, length, _full, _compressed, kind) in archive.toc.items():
            if kind != "b":  # binaries; 'n' entries are symlinks of a few bytes
                continue
            raw.seek(archive._start_offset + offset)
            by_content[hashlib.sha256(raw.read(length)).hexdigest()].append(name)
    twice = [names for names in by_content.values() if len(names) > 1]
    assert not twice
    assert not any(name.startswith(("PIL/", "pillow.libs/")) for name in archive.toc)
