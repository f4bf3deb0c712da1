"""``./dev package`` is reproducible: a second build of the same sources, in other
directories at another time, is byte-identical to the one the fixture made (the run's
one extra PyInstaller build).  And the next version the update tests publish, derived
from that build (``bench/builds.py``), is exactly what a build would give: re-versioning
a build to its own version gives back its bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bench import builds
from remoteapp import __version__

pytestmark = pytest.mark.timeout(2 * builds.BUILD_TIMEOUT_S)  # at most two builds


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reversioning_a_build_to_its_own_version_gives_its_bytes(
    built_app: Path, built_next: Path, tmp_path: Path
) -> None:
    same = builds.reversioned(built_app, __version__, tmp_path / "remoteapp")
    assert sha256(same) == sha256(built_app)
    assert built_next.read_bytes() != built_app.read_bytes()
    # (not the same size: the version sits in a compressed member, "0.1.1" may pack longer)


def test_two_builds_are_byte_identical(built_app: Path, kit: Path, tmp_path: Path) -> None:
    # others edit this tree while tests run: compare with a build of the sources as they
    # are now (the fixture's, unless they changed since; then that one is built again)
    before = builds.source_hash()
    built_app = builds.build(kit, __version__)
    builds.package(kit, tmp_path, version=__version__)
    again = tmp_path / "linux" / "remoteapp"
    assert builds.source_hash() == before, "the sources changed during the build: run again"
    assert again.stat().st_size == built_app.stat().st_size
    assert sha256(again) == sha256(built_app)
