"""Per-app download links: the one generic build of each OS, served under a file name
that carries the app's slug (``remotewire.distribution``), so that a link works the
moment an app is saved: nothing is built or signed per app.

``download_url`` is what the console's Download tab and the ticket widget show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session as Db

from helpdesk.errors import NotFound
from helpdesk.services.apps import get_app
from helpdesk.services.updates import Build, UpdateRepository
from remotewire.distribution import OS_EXTENSIONS, download_file_name
from remotewire.error_codes import ErrorCode

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


def build_for(db: Db, data_dir: Path | None, slug: str, os_name: str) -> tuple[Build, str]:
    """The build to send for ``os_name`` and the file name to send it under."""
    app = get_app(db, slug)
    if os_name not in OS_EXTENSIONS:
        raise NotFound(ErrorCode.NO_BUILD, f"unknown OS {os_name!r} (linux, windows, macos)")
    build = UpdateRepository(data_dir).current_build(os_name) if data_dir else None
    if build is None:
        raise NotFound(ErrorCode.NO_BUILD, f"no {OS_LABELS[os_name]} build is published yet")
    return build, download_file_name(app.title, app.id, os_name)
