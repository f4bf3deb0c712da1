"""The update repository and its client, against the real server process: what is
published is offered and verifies; tampered, expired and rolled-back metadata, a
tampered target and an unreachable server are refused with a reason; keys rotate
without a rebuild; a failed replace leaves the old executable, and so does a signed
build that is not a program of this OS."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench import builds
from helpdesk.services.updates import ONLINE_KEY_FILE, UpdateRepository, load_signer
from remoteapp.update import (
    NotRunnable,
    ReplaceFailed,
    UpdateCheckFailed,
    UpdateDownloadFailed,
)
from remoteapp.update.client import UpdateClient, trusted_root_bytes
from remoteapp.update.replace import remove_leftovers, replace_executable
from tests.distribution.conftest import deployment_of, release
from tests.helpdesk.server_process import Server, free_port


def publish(server: Server, kit: Path, version: str, content: bytes, tmp: Path) -> Path:
    artifact = tmp / f"build-{version}"
    artifact.write_bytes(content)
    builds.publish(server.data_dir, kit / "keys", version, artifact)
    return artifact


def client(url: str, kit: Path, cache: Path, version: str = "0.1.0") -> UpdateClient:
    root = trusted_root_bytes(deployment_of(kit)["update_root"])
    return UpdateClient(url, root, cache, "linux", version, timeout_s=5)


def test_newer_build_is_offered_and_verifies(
    repo_server: Server, kit: Path, tmp_path: Path
) -> None:
    updater = client(repo_server.http_url, kit, tmp_path / "cache")
    publish(repo_server, kit, "0.1.0", b"same version", tmp_path)
    assert updater.check() is None
    publish(repo_server, kit, "0.2.0", b"B" * 300_000, tmp_path)
    offered = updater.check()
    assert offered is not None and offered.version == "0.2.0"
    seen: list[tuple[int, int]] = []
    path = updater.download(offered, lambda done, total: seen.append((done, total)))
    assert path.read_bytes() == b"B" * 300_000
    assert seen[-1] == (300_000, 300_000)


def test_tampered_target_is_refused(repo_server: Server, kit: Path, tmp_path: Path) -> None:
    publish(repo_server, kit, "0.2.0", b"good build", tmp_path)
    stored = next((repo_server.data_dir / "updates" / "targets" / "linux").iterdir())
    stored.write_bytes(b"evil build")  # same length, other bytes
    updater = client(repo_server.http_url, kit, tmp_path / "cache")
    offered = updater.check()
    assert offered is not None
    with pytest.raises(UpdateDownloadFailed, match=r"LengthOrHashMismatch|hash") as refused:
        updater.download(offered)
    assert refused.value.why == "unverified"
    stored.write_bytes(b"evil build, and longer")  # past the signed length: tuf says so
    with pytest.raises(UpdateDownloadFailed, match="LengthMismatch") as longer:  # with a
        updater.download(offered)  # DownloadError, which is otherwise the link's
    assert longer.value.why == "unverified"


def test_a_download_that_cannot_be_written_here_is_the_disks(
    repo_server: Server, kit: Path, tmp_path: Path
) -> None:
    """The cache's downloads folder not writable (a file in its place: root passes any
    permission) is this machine's failure, told apart from the server's or the build's."""
    publish(repo_server, kit, "0.2.0", b"good build", tmp_path)
    updater = client(repo_server.http_url, kit, tmp_path / "cache")
    offered = updater.check()
    assert offered is not None
    (tmp_path / "cache" / "downloads").write_bytes(b"not a folder")
    with pytest.raises(UpdateDownloadFailed) as failed:
        updater.download(offered)
    assert failed.value.why == "disk", failed.value


def test_tampered_metadata_is_refused(repo_server: Server, kit: Path, tmp_path: Path) -> None:
    publish(repo_server, kit, "0.2.0", b"good build", tmp_path)
    timestamp = repo_server.data_dir / "updates" / "metadata" / "timestamp.json"
    body = json.loads(timestamp.read_text())
    body["signed"]["version"] += 100  # not signed so
    timestamp.write_text(json.dumps(body))
    with pytest.raises(UpdateCheckFailed, match=r"signature|Unsigned|threshold"):
        client(repo_server.http_url, kit, tmp_path / "cache").check()


def test_expired_metadata_is_refused(repo_server: Server, kit: Path, tmp_path: Path) -> None:
    publish(repo_server, kit, "0.2.0", b"good build", tmp_path)
    repo = UpdateRepository(repo_server.data_dir)
    signer = load_signer(repo_server.data_dir / ONLINE_KEY_FILE)
    (repo_server.data_dir / ONLINE_KEY_FILE).unlink()  # the server can no longer re-sign
    old = repo.timestamp()
    old.signed.expires = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    old.signed.version += 1
    old.signatures.clear()
    old.sign(signer)
    repo._write(old, "timestamp.json")
    with pytest.raises(UpdateCheckFailed, match=r"[Ee]xpired"):
        client(repo_server.http_url, kit, tmp_path / "cache").check()


def test_server_re_signs_an_ageing_timestamp(
    repo_server: Server, kit: Path, tmp_path: Path
) -> None:
    publish(repo_server, kit, "0.2.0", b"good build", tmp_path)
    repo = UpdateRepository(repo_server.data_dir)
    before = repo.timestamp().signed.version
    later = datetime.now(UTC) + timedelta(hours=23)  # less than half a day left
    assert repo.fresh_timestamp(later)
    assert repo.timestamp().signed.version == before + 1
    assert client(repo_server.http_url, kit, tmp_path / "cache").check() is not None


def test_rollback_is_refused(repo_server: Server, kit: Path, tmp_path: Path) -> None:
    publish(repo_server, kit, "0.2.0", b"build 2", tmp_path)
    metadata = repo_server.data_dir / "updates" / "metadata"
    old_timestamp = (metadata / "timestamp.json").read_bytes()
    publish(repo_server, kit, "0.3.0", b"build 3", tmp_path)
    updater = client(repo_server.http_url, kit, tmp_path / "cache")
    offered = updater.check()
    assert offered is not None and offered.version == "0.3.0"
    (metadata / "timestamp.json").write_bytes(old_timestamp)  # a mirror replays the old one
    with pytest.raises(UpdateCheckFailed, match=r"BadVersionNumber|version"):
        updater.check()


def test_unreachable_server_is_a_clear_failure(kit: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(UpdateCheckFailed, match=r"\S"):
        client(url, kit, tmp_path / "cache").check()


@pytest.mark.parametrize("role", ["timestamp", "snapshot", "targets", "root"])
def test_key_rotation_needs_no_rebuild(
    role: str, repo_server: Server, kit: Path, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    shutil.copytree(kit / "keys", keys)  # the kit's keys stay as the builds know them
    publish(repo_server, kit, "0.2.0", b"build 2", tmp_path)
    seen_before = client(repo_server.http_url, kit, tmp_path / "cache")
    assert seen_before.check() is not None
    release("rotate", "--data-dir", str(repo_server.data_dir), "--keys", str(keys), "--role", role)
    artifact = tmp_path / "build-3"
    artifact.write_bytes(b"build 3")
    builds.publish(repo_server.data_dir, keys, "0.3.0", artifact)
    for cache in (tmp_path / "cache", tmp_path / "fresh-cache"):  # a client that saw v1 only
        offered = client(repo_server.http_url, kit, cache).check()
        assert offered is not None and offered.version == "0.3.0"
    root = json.loads(UpdateRepository(repo_server.data_dir).root_bytes())
    assert root["signed"]["version"] == 2


def test_replace_swaps_in_place_and_keeps_the_name(tmp_path: Path) -> None:
    current = tmp_path / "Suporte-Remoto-ACME_ra-acme"
    current.write_bytes(b"old")
    new = tmp_path / "download"
    new.write_bytes(b"\x7fELF new")
    replace_executable(current, new, os_name="linux")
    assert current.read_bytes() == b"\x7fELF new" and os.access(current, os.X_OK)


def test_windows_strategy_renames_away_and_cleans_up_next_start(tmp_path: Path) -> None:
    current = tmp_path / "Suporte-Remoto-ACME_ra-acme.exe"
    current.write_bytes(b"old")
    new = tmp_path / "download"
    new.write_bytes(b"MZ new")
    replace_executable(current, new, os_name="windows")
    assert current.read_bytes() == b"MZ new"
    leftovers = list(tmp_path.glob("*.old-*"))
    assert [p.read_bytes() for p in leftovers] == [b"old"]
    assert remove_leftovers(current) == leftovers and not list(tmp_path.glob("*.old-*"))


def test_failed_replace_leaves_the_old_executable(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    current = folder / "remoteapp"
    current.write_bytes(b"old")
    new = tmp_path / "download"
    new.write_bytes(b"\x7fELF new")
    folder.chmod(0o555)  # the new file cannot be written beside it
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who may write anywhere (root)")
        with pytest.raises(ReplaceFailed):
            replace_executable(current, new, os_name="linux")
    finally:
        folder.chmod(0o755)
    assert current.read_bytes() == b"old"


def test_failed_replace_missing_download_leaves_the_old_executable(tmp_path: Path) -> None:
    current = tmp_path / "remoteapp"
    current.write_bytes(b"old")
    for windows in (False, True):
        with pytest.raises(ReplaceFailed):
            replace_executable(current, tmp_path / "no-such-download", windows=windows)
        assert current.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["remoteapp"]


@pytest.mark.parametrize(
    ("os_name", "content"),
    [
        ("linux", b"PK\x03\x04 the macOS zip published as the Linux build"),
        ("linux", b"MZ the Windows build"),
        ("linux", b""),
        ("windows", b"\x7fELF the Linux build"),
        ("macos", b"\x7fELF the Linux build"),
    ],
    ids=["zip-on-linux", "exe-on-linux", "empty", "elf-on-windows", "elf-on-macos"],
)
def test_a_build_that_is_no_program_of_this_os_is_refused(
    tmp_path: Path, os_name: str, content: bytes
) -> None:
    current = tmp_path / "remoteapp"
    current.write_bytes(b"old")
    new = tmp_path / "download"
    new.write_bytes(content)
    with pytest.raises(NotRunnable, match=f"not a {os_name} program"):
        replace_executable(current, new, os_name=os_name)
    assert current.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["download", "remoteapp"]


@pytest.mark.parametrize(
    ("os_name", "magic"),
    [
        ("linux", b"\x7fELF"),
        ("windows", b"MZ"),
        ("macos", b"\xcf\xfa\xed\xfe"),
        ("macos", b"\xca\xfe\xba\xbe"),
    ],
    ids=["elf", "pe", "mach-o-64", "mach-o-universal"],
)
def test_a_program_of_this_os_is_put_in_place(tmp_path: Path, os_name: str, magic: bytes) -> None:
    current = tmp_path / "remoteapp"
    current.write_bytes(b"old")
    new = tmp_path / "download"
    new.write_bytes(magic + b" the new build")
    replace_executable(current, new, os_name=os_name)
    assert current.read_bytes() == magic + b" the new build"
