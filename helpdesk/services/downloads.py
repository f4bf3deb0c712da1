"""Per-app download links: the one generic build of each OS, served under a file name
that carries the app's slug (``remotewire.distribution``), so that a link works the
moment an app is saved: nothing is built or signed per app.

``download_url`` is what the console's Download tab and the ticket widget show.

macOS: the build is a zipped ``remoteapp.app``, and a Mac unzips it to the folder named
inside the zip, which is what the app reads its slug from; so the folder inside is
renamed like the download (``Suporte-Remoto-ACME_ra-acme.app``; renaming a bundle keeps
its code signature).  The renamed zip is made once per build and app, then kept.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session as Db

from helpdesk.errors import NotFound
from helpdesk.services.apps import get_app
from helpdesk.services.updates import Build, UpdateRepository
from remotewire.distribution import OS_EXTENSIONS, download_file_name
from remotewire.error_codes import ErrorCode

BUNDLE = "remoteapp.app"  #: the folder in every published macOS zip (desktop-builds.yml)
OS_LABELS = {"windows": "Windows", "macos": "macOS", "linux": "Linux"}


def download_url(base_url: str, app_id: str) -> str:
    """The app's public download page, e.g. ``https://help.example/download/acme``."""
    return f"{base_url.rstrip('/')}/download/{app_id}"


@dataclass(frozen=True, slots=True)
class Offer:
    os_name: str
    label: str
    file_name: str
    version: str
    size: int


def offers(db: Db, data_dir: Path | None, slug: str) -> tuple[str, list[Offer]]:
    """The app's title and the builds on offer (NotFound for an unknown app)."""
    app = get_app(db, slug)
    repo = UpdateRepository(data_dir) if data_dir else None
    found = []
    for os_name in OS_EXTENSIONS:
        build = repo.current_build(os_name) if repo else None
        if build is not None:
            name = download_file_name(app.title, app.id, os_name)
            found.append(Offer(os_name, OS_LABELS[os_name], name, build.version, build.length))
    return app.title, found


def build_for(db: Db, data_dir: Path | None, slug: str, os_name: str) -> tuple[Build, Path, str]:
    """The build to send for ``os_name``, the file to send (macOS: the zip with the
    bundle renamed) and the file name to send it under."""
    app = get_app(db, slug)
    if os_name not in OS_EXTENSIONS:
        raise NotFound(ErrorCode.NO_BUILD, f"unknown OS {os_name!r} (linux, windows, macos)")
    build = UpdateRepository(data_dir).current_build(os_name) if data_dir else None
    if build is None or data_dir is None:
        raise NotFound(ErrorCode.NO_BUILD, f"no {OS_LABELS[os_name]} build is published yet")
    name = download_file_name(app.title, app.id, os_name)
    if os_name != "macos":
        return build, build.path, name
    bundle = name.removesuffix(OS_EXTENSIONS["macos"]) + ".app"
    renamed = data_dir / "downloads" / build.path.name / name
    if not renamed.is_file():
        for older in (data_dir / "downloads").glob("*"):  # zips of builds no longer served
            if older.name != build.path.name:
                shutil.rmtree(older, ignore_errors=True)
        rename_bundle(build.path, bundle, renamed)
    return build, renamed, name


def _renamed_entry(name: str, bundle: str) -> str:
    """``remoteapp.app/...`` -> ``<bundle>/...``, and so for ditto's ``__MACOSX/``
    resource-fork entries (``__MACOSX/remoteapp.app/...``, ``__MACOSX/._remoteapp.app``)."""
    parts = name.split("/")
    at = 1 if parts[0] == "__MACOSX" and len(parts) > 1 else 0
    if parts[at] == BUNDLE:
        parts[at] = bundle
    elif parts[at] == "._" + BUNDLE:
        parts[at] = "._" + bundle
    return "/".join(parts)


_ZIP32_SAFE = 0x7FFF0000
_ZIP64_EXTRA = 0x0001


def _without_zip64(extra: bytes) -> bytes:
    kept, at = b"", 0
    while at + 4 <= len(extra):
        kind, size = (
            int.from_bytes(extra[at : at + 2], "little"),
            int.from_bytes(extra[at + 2 : at + 4], "little"),
        )
        if kind != _ZIP64_EXTRA:
            kept += extra[at : at + 4 + size]
        at += 4 + size
    return kept


def rename_bundle(source: Path, bundle: str, out: Path) -> None:
    """Copy the zip ``source`` to ``out`` with its ``remoteapp.app`` folder renamed
    ``bundle``; every entry keeps its mode (symlinks, executables), time and compression."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            zipfile.ZipFile(raw, "w") as new,
            zipfile.ZipFile(source) as old,
        ):
            for info in old.infolist():
                copy = zipfile.ZipInfo(_renamed_entry(info.filename, bundle), info.date_time)
                copy.compress_type = info.compress_type
                copy.external_attr = info.external_attr
                copy.create_system = info.create_system
                copy.extra = _without_zip64(info.extra)  # the writer adds its own
                copy.comment = info.comment
                big = info.file_size > _ZIP32_SAFE
                with old.open(info) as src, new.open(copy, "w", force_zip64=big) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
