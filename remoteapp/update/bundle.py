"""macOS: the update is a zipped ``.app`` (the same zip the download link serves), and
what it replaces is the running app's whole ``.app`` folder, not the executable inside
(the bundle's code signature seals its contents together).

The new bundle is unpacked beside the old one, keeping every entry's mode and symlinks
(``zipfile.extractall`` keeps neither; a framework's ``Versions/Current`` is a link),
checked (``runnable.check_bundle``: a folder with its executable to start), then
swapped in by two renames: the old folder becomes ``<name>.old-<pid>``, the new one takes
the old one's name, so the slug it carries and the branding stay.  If the second
rename fails the old folder is renamed back.  The running process keeps its open files;
the old folder is deleted now, or by ``remove_leftovers`` at the next start.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from remoteapp.update.errors import NotRunnable, ReplaceFailed
from remoteapp.update.runnable import check_bundle


def unpack_bundle(archive: Path, into: Path) -> Path:
    """The one ``.app`` folder of zip ``archive``, unpacked under ``into`` (created);
    ``__MACOSX/`` resource forks are skipped.  ValueError for anything else in it, and for
    an entry that would land outside ``into``: a name with ``..``, or a path through a
    symlink the zip made (a signed zip is trusted to be the publisher's, not to be sane)."""
    into.mkdir(parents=True)
    inside = into.resolve()
    tops: set[str] = set()
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            parts = PurePosixPath(info.filename).parts
            if not parts or parts[0] == "__MACOSX":
                continue
            if info.filename.startswith("/") or ".." in parts or "\\" in info.filename:
                raise ValueError(f"the update names a path outside its bundle: {info.filename!r}")
            tops.add(parts[0])
            target = into.joinpath(*parts)
            _inside(target.parent, inside, info.filename)  # no parent reached through a link
            mode = info.external_attr >> 16
            if info.is_dir():
                _inside(target, inside, info.filename)
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(mode):
                link = zipped.read(info).decode()
                if PurePosixPath(link).is_absolute():
                    raise ValueError(f"the update's link {info.filename!r} leads to {link!r}")
                _inside(target.parent / link, inside, info.filename)
                os.symlink(link, target)
                continue
            _inside(target, inside, info.filename)  # not written through an earlier link
            with zipped.open(info) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, 1 << 20)
            os.chmod(target, stat.S_IMODE(mode) or 0o644)
    if len(tops) != 1 or not next(iter(tops)).endswith(".app"):
        raise ValueError(f"the update is not one .app folder: {sorted(tops)}")
    return into / next(iter(tops))


def _inside(path: Path, inside: Path, name: str) -> None:
    """ValueError if ``path``, its links followed, is not under ``inside``."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # a loop of links
        raise ValueError(f"the update's entry {name!r} cannot be followed: {exc}") from exc
    if not resolved.is_relative_to(inside):
        raise ValueError(f"the update's entry {name!r} leads outside its bundle")


def replace_bundle(bundle: Path, new_zip: Path, executable_name: str = "remoteapp") -> None:
    """Swap the ``.app`` folder ``bundle`` for the one in ``new_zip`` (verified), if that
    one has ``Contents/MacOS/<executable_name>`` to start (``NotRunnable`` if not)."""
    staging = bundle.with_name(f".{bundle.name}.new-{os.getpid()}")
    old = bundle.with_name(f"{bundle.name}.old-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        unpacked = unpack_bundle(new_zip, staging)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReplaceFailed(f"cannot unpack the new build beside {bundle}: {exc}") from exc
    try:
        check_bundle(unpacked, executable_name)
    except NotRunnable:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        os.rename(bundle, old)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReplaceFailed(f"cannot move the running {bundle} away: {exc}") from exc
    try:
        os.rename(unpacked, bundle)
    except OSError as exc:
        os.rename(old, bundle)  # the old one back where it was
        shutil.rmtree(staging, ignore_errors=True)
        raise ReplaceFailed(f"cannot move the new build to {bundle}: {exc}") from exc
    shutil.rmtree(staging, ignore_errors=True)
    with contextlib.suppress(OSError):
        shutil.rmtree(old)
