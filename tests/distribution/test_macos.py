"""macOS: the download is a zipped ``remoteapp.app``, and a Mac unzips it to the folder
named inside the zip, which is where the app reads its slug.  The server renames that
folder like the download, keeping every entry's mode (symlinks, executables) and bytes;
an update replaces the whole bundle and keeps its name, if the new one can start, and
nothing in it leads outside it.  (A Mac cannot run here: the
zip is made as ``ditto -c -k --keepParent`` lays it out.)"""

from __future__ import annotations

import os
import shutil
import stat
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.builds import publish
from helpdesk.services import downloads
from helpdesk.services.downloads import rename_bundle
from remoteapp.branding.identity import named_path
from remoteapp.update import NotRunnable, ReplaceFailed
from remoteapp.update.bundle import replace_bundle
from remoteapp.update.replace import remove_leftovers
from remotewire.distribution import slug_from_file_name
from tests.helpdesk.server_process import Server, start_server

EXE = b"\xcf\xfa\xed\xfe a Mach-O executable" * 1000


def mac_zip(path: Path) -> Path:
    """What desktop-builds.yml publishes: remoteapp.app with an executable, a symlink,
    a plist, and a resource-fork entry under __MACOSX/."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in ("remoteapp.app/", "remoteapp.app/Contents/", "remoteapp.app/Contents/MacOS/"):
            info = zipfile.ZipInfo(name, (2026, 1, 2, 3, 4, 6))
            info.external_attr = (stat.S_IFDIR | 0o755) << 16
            out.writestr(info, b"")
        exe = zipfile.ZipInfo("remoteapp.app/Contents/MacOS/remoteapp", (2026, 1, 2, 3, 4, 6))
        exe.external_attr = (stat.S_IFREG | 0o755) << 16
        exe.compress_type = zipfile.ZIP_DEFLATED
        out.writestr(exe, EXE)
        link = zipfile.ZipInfo("remoteapp.app/Contents/Current", (2026, 1, 2, 3, 4, 6))
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        out.writestr(link, b"MacOS")
        out.writestr("remoteapp.app/Contents/Info.plist", b"<plist/>")
        out.writestr("__MACOSX/remoteapp.app/Contents/._Info.plist", b"fork")
        out.writestr("__MACOSX/._remoteapp.app", b"fork")
    return path


def entries(path: Path) -> dict[str, tuple[int, int, bytes]]:
    with zipfile.ZipFile(path) as found:
        return {
            i.filename: (i.external_attr, i.compress_type, found.read(i)) for i in found.infolist()
        }


def test_the_bundle_is_renamed_and_every_entry_kept(tmp_path: Path) -> None:
    source = mac_zip(tmp_path / "remoteapp.zip")
    out = tmp_path / "out" / "Suporte-Remoto-ACME_ra-acme.zip"
    rename_bundle(source, "Suporte-Remoto-ACME_ra-acme.app", out)
    before, after = entries(source), entries(out)
    renamed = {
        name.replace("remoteapp.app", "Suporte-Remoto-ACME_ra-acme.app"): value
        for name, value in before.items()
    }
    assert after == renamed
    assert "__MACOSX/._Suporte-Remoto-ACME_ra-acme.app" in after

    with zipfile.ZipFile(out) as unzipped:  # what the Mac gets: the app reads its slug
        unzipped.extractall(tmp_path / "Downloads")
    exe = tmp_path / "Downloads" / "Suporte-Remoto-ACME_ra-acme.app" / "Contents/MacOS/remoteapp"
    assert exe.read_bytes() == EXE
    assert slug_from_file_name(named_path(exe).name) == "acme"


@pytest.fixture
def server(tmp_path: Path, kit: Path) -> Iterator[Server]:
    data = tmp_path / "server"
    shutil.copytree(kit / "data", data)
    running = start_server(data, {})
    yield running
    running.process.stop()


def test_the_server_sends_the_zip_with_the_apps_folder(
    server: Server, kit: Path, tmp_path: Path
) -> None:
    made = server.data_dir / "downloads"
    folders: list[str] = []  # each build's renamed zips, in the order published
    for version in ("0.1.0", "0.1.1", "0.1.2"):
        zipped = mac_zip(tmp_path / f"remoteapp-{version}.zip")
        with zipfile.ZipFile(zipped, "a") as more:  # each build its own bytes
            more.writestr("remoteapp.app/Contents/version", version)
        publish(server.data_dir, kit / "keys", version, zipped, "macos")
        answer = requests.get(f"{server.http_url}/download/demo/macos", timeout=30)
        assert answer.status_code == 200
        assert (
            'filename="Demo-Support-remote-help_ra-demo.zip"'
            in (answer.headers["content-disposition"])
        )
        assert answer.headers["x-remoteapp-version"] == version
        got = tmp_path / f"got-{version}.zip"
        got.write_bytes(answer.content)
        names = set(entries(got))
        assert "Demo-Support-remote-help_ra-demo.app/Contents/MacOS/remoteapp" in names
        assert not any(name.startswith("remoteapp.app") for name in names)
        again = requests.get(f"{server.http_url}/download/demo/macos", timeout=30)
        assert again.content == answer.content  # made once, then served as it is
        folders += sorted({p.name for p in made.iterdir() if p.is_dir()} - set(folders))
        if version == "0.1.0":  # its zips last picked longer ago than the grace period
            aged = time.time() - downloads.GRACE_S - 60
            os.utime(made / folders[0], (aged, aged))
    # the next build's first download removed 0.1.0's zips; 0.1.1's were picked just now
    assert sorted(p.name for p in made.iterdir() if p.is_dir()) == sorted(folders[1:])


def installed_bundle(where: Path) -> Path:
    """A running app's bundle as a Mac has it after the download: named like the link."""
    bundle = where / "Suporte-Remoto-ACME_ra-acme.app"
    (bundle / "Contents" / "MacOS").mkdir(parents=True)
    (bundle / "Contents" / "MacOS" / "remoteapp").write_bytes(b"the old build")
    (bundle / "Contents" / "Info.plist").write_bytes(b"<old/>")
    return bundle


def test_an_update_replaces_the_whole_bundle_and_keeps_its_name(tmp_path: Path) -> None:
    bundle = installed_bundle(tmp_path / "Applications")
    replace_bundle(bundle, mac_zip(tmp_path / "remoteapp.zip"))
    exe = bundle / "Contents" / "MacOS" / "remoteapp"
    assert exe.read_bytes() == EXE and os.access(exe, os.X_OK)
    assert (bundle / "Contents" / "Current").is_symlink()
    assert os.readlink(bundle / "Contents" / "Current") == "MacOS"
    assert (bundle / "Contents" / "Info.plist").read_bytes() == b"<plist/>"
    assert sorted(p.name for p in bundle.parent.iterdir()) == [bundle.name]  # no leftovers
    assert slug_from_file_name(named_path(exe).name) == "acme"


@pytest.mark.parametrize(
    "entries",
    [
        {"other.app/Contents/MacOS/x": b"x", "remoteapp.app/Contents/MacOS/remoteapp": b"y"},
        {"remoteapp.app/../../evil": b"x"},
        {"loose-file": b"x"},
    ],
)
def test_an_update_that_is_not_one_bundle_leaves_the_old_one(
    tmp_path: Path, entries: dict[str, bytes]
) -> None:
    bundle = installed_bundle(tmp_path / "Applications")
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as out:
        for name, data in entries.items():
            out.writestr(name, data)
    with pytest.raises(ReplaceFailed):
        replace_bundle(bundle, bad)
    assert (bundle / "Contents" / "MacOS" / "remoteapp").read_bytes() == b"the old build"
    assert sorted(p.name for p in bundle.parent.iterdir()) == [bundle.name]
    assert not (tmp_path / "evil").exists()


def test_leftovers_of_a_bundle_update_are_removed_at_the_next_start(tmp_path: Path) -> None:
    bundle = installed_bundle(tmp_path / "Applications")
    old = installed_bundle(tmp_path / "elsewhere").rename(bundle.with_name(bundle.name + ".old-7"))
    removed = remove_leftovers(bundle)
    assert removed == [old] and not old.exists() and bundle.is_dir()


def custom_zip(path: Path, entries: list[tuple[str, bytes, int]]) -> Path:
    """A zip of (name, bytes, st_mode) entries, as signed and published."""
    with zipfile.ZipFile(path, "w") as out:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, (2026, 1, 2, 3, 4, 6))
            info.external_attr = mode << 16
            out.writestr(info, data)
    return path


DIR = stat.S_IFDIR | 0o755
FILE = stat.S_IFREG | 0o644
EXEC = stat.S_IFREG | 0o755
LINK = stat.S_IFLNK | 0o777


@pytest.mark.parametrize(
    ("entries", "why"),
    [
        ([("remoteapp.app", b"a file named like a bundle", FILE)], "not a folder"),
        ([("remoteapp.app/", b"", DIR)], "no Contents/MacOS/remoteapp"),
        ([("remoteapp.app/Contents/MacOS/remoteapp", EXE, FILE)], "not executable"),
        ([("remoteapp.app/Contents/MacOS/other", EXE, EXEC)], "no Contents/MacOS/remoteapp"),
        ([("remoteapp.app/Contents/MacOS/remoteapp", b"\x7fELF linux", EXEC)], "not a macos"),
        ([("remoteapp.app/Contents/MacOS/remoteapp/", b"", DIR)], "not executable"),
    ],
    ids=["file", "empty", "not-executable", "misnamed", "linux-build", "a-folder"],
)
def test_a_bundle_that_cannot_start_is_refused_and_the_old_one_kept(
    tmp_path: Path, entries: list[tuple[str, bytes, int]], why: str
) -> None:
    bundle = installed_bundle(tmp_path / "Applications")
    with pytest.raises(NotRunnable, match=why):
        replace_bundle(bundle, custom_zip(tmp_path / "signed.zip", entries), "remoteapp")
    assert (bundle / "Contents" / "MacOS" / "remoteapp").read_bytes() == b"the old build"
    assert sorted(p.name for p in bundle.parent.iterdir()) == [bundle.name]


@pytest.mark.parametrize(
    "link",
    ["{outside}", "../../../../outside", "MacOS/../../../../../outside"],
    ids=["absolute", "relative", "hidden-relative"],
)
@pytest.mark.parametrize("through", [True, False], ids=["written-through", "link-only"])
def test_a_link_out_of_the_bundle_is_refused(tmp_path: Path, link: str, through: bool) -> None:
    bundle = installed_bundle(tmp_path / "Applications")
    outside = tmp_path / "outside"
    outside.mkdir()
    entries = [
        ("remoteapp.app/Contents/MacOS/remoteapp", EXE, EXEC),
        # unpacked beside the old one: Applications/.<bundle>.new-<pid>/remoteapp.app
        ("remoteapp.app/Contents/link", link.format(outside=outside).encode(), LINK),
    ]
    if through:
        entries.append(("remoteapp.app/Contents/link/pwned", b"written outside", FILE))
    with pytest.raises(ReplaceFailed, match="outside"):
        replace_bundle(bundle, custom_zip(tmp_path / "signed.zip", entries))
    assert list(outside.iterdir()) == []
    assert (bundle / "Contents" / "MacOS" / "remoteapp").read_bytes() == b"the old build"
    assert sorted(p.name for p in bundle.parent.iterdir()) == [bundle.name]


def test_links_inside_the_bundle_are_kept(tmp_path: Path) -> None:
    """A framework's links (``Versions/Current``, ``Headers -> Versions/Current/...``)
    stay inside: they are unpacked as links, and a file may be written through them."""
    bundle = installed_bundle(tmp_path / "Applications")
    frameworks = "remoteapp.app/Contents/Frameworks/Qt.framework"
    entries = [
        ("remoteapp.app/Contents/MacOS/remoteapp", EXE, EXEC),
        (f"{frameworks}/Versions/A/", b"", DIR),
        (f"{frameworks}/Versions/Current", b"A", LINK),
        (f"{frameworks}/Resources", b"Versions/Current/Resources", LINK),
        (f"{frameworks}/Versions/Current/Resources/Info.plist", b"<plist/>", FILE),
    ]
    replace_bundle(bundle, custom_zip(tmp_path / "signed.zip", entries))
    framework = bundle / "Contents" / "Frameworks" / "Qt.framework"
    assert os.readlink(framework / "Resources") == "Versions/Current/Resources"
    assert (framework / "Versions" / "A" / "Resources" / "Info.plist").read_bytes() == b"<plist/>"
    assert (framework / "Resources" / "Info.plist").read_bytes() == b"<plist/>"
