"""Per-app download links: the one generic build of each OS, served under a file name
that carries the app's slug (``remotewire.distribution``), so that a link works the
moment an app is saved: nothing is built or signed per app.

``download_url`` is what the console's Download tab and the ticket widget show.

macOS: the build is a zipped ``remoteapp.app``, and a Mac unzips it to the folder named
inside the zip, which is what the app reads its slug from; so the folder inside is
renamed like the download (``Suporte-Remoto-ACME_ra-acme.app``; renaming a bundle keeps
its code signature).  The renamed zip is made once per build and app, then kept.

Making one takes seconds of CPU for ~100 MB, on an endpoint anyone may call, in
several threads and ``--workers`` processes sharing ``DATA_DIR/downloads``. So one
thread of one process makes each zip (a lock file per zip) while the others wait for
it, bounded (then 503 ``download-preparing``); a process makes at most
``RENAMES_AT_ONCE`` zips and lets at most ``PREPARING_AT_ONCE`` request threads wait.
Old builds' zips go only when nothing can be using them: ``downloads/.lock`` is held
briefly to pick a zip (which marks its folder used now) and to remove folders unused
for ``GRACE_S``, never one a rename holds; a picked zip is open well within that.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from filelock import FileLock, Timeout
from sqlalchemy.orm import Session as Db

from helpdesk.errors import NotFound, Unavailable
from helpdesk.services.apps import get_app
from helpdesk.services.updates import Build, UpdateRepository
from remotewire.distribution import OS_EXTENSIONS, download_file_name
from remotewire.error_codes import ErrorCode
from remotewire.events import EventLog

BUNDLE = "remoteapp.app"  #: the folder in every published macOS zip (desktop-builds.yml)
OS_LABELS = {"windows": "Windows", "macos": "macOS", "linux": "Linux"}
RENAMES_AT_ONCE: Final = 2
"""Zips one server process renames at once: each is CPU-bound for seconds."""
PREPARING_AT_ONCE: Final = 8
"""Request threads (of 40) one process lets wait for or make a zip; more get 503 now."""
GRACE_S: Final = 600.0
"""An old build's zips stay this long after a download last picked one of them."""
RETRY_AFTER_S: Final = 10
_POLL_S: Final = 0.05
_ATTEMPTS: Final = 3

events = EventLog("helpdesk")
_renames = threading.BoundedSemaphore(RENAMES_AT_ONCE)
_preparing = threading.BoundedSemaphore(PREPARING_AT_ONCE)


def wait_s() -> float:
    """How long a download waits for its zip (``REMOTEAPP_DOWNLOAD_WAIT_S``, default 60)."""
    return float(os.environ.get("REMOTEAPP_DOWNLOAD_WAIT_S") or 60)


def download_url(base_url: str, app_id: str) -> str:
    """The app's public download page, e.g. ``https://help.example/download/acme``."""
    return f"{base_url.rstrip('/')}/download/{app_id}"


def size_text(size: int) -> str:
    """A build's size for the download page: whole KB under 1 MB (a small build said
    "0 MB"), one decimal under 10 MB, whole MB above. Decimal units, as the page always
    said; a decimal comma, as its ``lang="pt-BR"`` reads."""
    if size < 999_500:
        return f"{max(1, round(size / 1e3))} KB"
    if size < 9_950_000:
        return f"{size / 1e6:.1f} MB".replace(".", ",")
    return f"{size / 1e6:.0f} MB"


@dataclass(frozen=True, slots=True)
class Offer:
    os_name: str
    label: str
    file_name: str
    version: str
    size: int

    @property
    def size_text(self) -> str:
        return size_text(self.size)


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
    if data_dir is None:
        raise _no_build(os_name)
    name = download_file_name(app.title, app.id, os_name)
    if os_name != "macos":
        build = _current(data_dir, os_name)
        return build, build.path, name
    build, renamed = renamed_zip(data_dir, name)
    return build, renamed, name


def _no_build(os_name: str) -> NotFound:
    return NotFound(ErrorCode.NO_BUILD, f"no {OS_LABELS[os_name]} build is published yet")


def _current(data_dir: Path, os_name: str) -> Build:
    build = UpdateRepository(data_dir).current_build(os_name)
    if build is None:
        raise _no_build(os_name)
    return build


def _not_ready() -> Unavailable:
    return Unavailable(
        ErrorCode.DOWNLOAD_PREPARING,
        f"the download is being prepared; try again in {RETRY_AFTER_S} s",
        RETRY_AFTER_S,
    )


def renamed_zip(data_dir: Path, name: str) -> tuple[Build, Path]:
    """The current macOS build and its zip renamed for the download ``name``, made on
    the first download; Unavailable when it is not ready within ``wait_s``."""
    shop = data_dir / "downloads"
    shop.mkdir(parents=True, exist_ok=True)
    bundle = name.removesuffix(OS_EXTENSIONS["macos"]) + ".app"
    deadline = time.monotonic() + wait_s()
    build = _current(data_dir, "macos")
    for _ in range(_ATTEMPTS):
        out = shop / build.path.name / name
        try:
            with locked(shop / ".lock", deadline):
                if out.is_file():
                    os.utime(out.parent)  # in use now: spared for GRACE_S
                    return build, out
                _remove_unused(shop, keep=out.parent)
                out.parent.mkdir(exist_ok=True)
                os.utime(out.parent)
            _make(build, bundle, out, deadline)  # then picked at the next turn
        except FileNotFoundError:  # the build or a zip removed by hand: the current one
            build = _current(data_dir, "macos")
    raise _not_ready()


def _make(build: Build, bundle: str, out: Path, deadline: float) -> None:
    """Rename ``build`` into ``out`` unless another thread or process did meanwhile."""
    if not _preparing.acquire(blocking=False):
        raise _not_ready()
    try:
        with locked(zip_lock(out), deadline):
            if out.is_file():
                return
            if not _renames.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise _not_ready()
            try:
                started = time.monotonic()
                events.emit("download-renaming", version=build.version, file=out.name)
                rename_bundle(build.path, bundle, out)
                took = f"{time.monotonic() - started:.1f}"
                events.emit("download-renamed", version=build.version, file=out.name, seconds=took)
            finally:
                _renames.release()
    finally:
        _preparing.release()


def zip_lock(out: Path) -> Path:
    """The lock file held while ``out`` is being made."""
    return out.with_name(f".{out.name}.lock")


def _remove_unused(shop: Path, keep: Path) -> None:
    """Remove the folders of builds no longer served that no download picked for
    ``GRACE_S`` and no rename holds (``shop``'s lock held)."""
    for old in shop.iterdir():
        if old == keep or not old.is_dir():
            continue
        with contextlib.suppress(FileNotFoundError):
            if time.time() - old.stat().st_mtime >= GRACE_S and all(
                _free(lock) for lock in old.glob(".*.lock")
            ):
                shutil.rmtree(old, ignore_errors=True)


def _free(path: Path) -> bool:
    lock = FileLock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return False
    lock.release()
    return True


@contextlib.contextmanager
def locked(path: Path, deadline: float) -> Iterator[None]:
    """Hold the lock file ``path``; Unavailable if it is not free by ``deadline``. Each
    holder has its own ``FileLock``: the lock belongs to its open file, so two threads of
    one process exclude each other as two processes do."""
    lock = FileLock(path)
    try:
        lock.acquire(timeout=max(0.0, deadline - time.monotonic()), poll_interval=_POLL_S)
    except Timeout:
        raise _not_ready() from None
    try:
        yield
    finally:
        lock.release()


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
