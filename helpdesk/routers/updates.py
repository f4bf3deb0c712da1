"""``/updates/``: the TUF repository the apps update from (``helpdesk.services.updates``):
``metadata/N.root.json``, ``N.targets.json``, ``N.snapshot.json``, ``timestamp.json``
(re-signed with the online key when it is old) and ``targets/<os>/<sha256>.<name>``."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import FileResponse

from helpdesk.deps import AppSettings
from helpdesk.errors import NotFound
from helpdesk.file_responses import CodedFileResponse
from helpdesk.services.updates import UpdateRepository
from remotewire.error_codes import ErrorCode

router = APIRouter(prefix="/updates", tags=["updates"])
_METADATA = re.compile(r"(\d{1,9}\.(root|targets|snapshot)|timestamp)\.json")
_TARGET = re.compile(r"(linux|windows|macos)/[0-9a-f]{64}\.remoteapp(\.exe|\.zip)?")


def _repository(settings: AppSettings) -> UpdateRepository:
    repo = UpdateRepository(settings.data_dir) if settings.data_dir else None
    if repo is None or not repo.exists:
        raise NotFound(ErrorCode.NO_BUILD, "no update repository on this server")
    return repo


def _missing(path: str) -> NotFound:
    return NotFound(ErrorCode.NO_BUILD, f"no {path} in the update repository")


@router.get("/metadata/{name}")
def metadata(name: str, settings: AppSettings) -> FileResponse:
    repo = _repository(settings)
    if not _METADATA.fullmatch(name):
        raise _missing(name)
    if name == "timestamp.json":
        repo.fresh_timestamp()
    path = repo.metadata_dir / name
    if not path.is_file():
        raise _missing(name)
    headers = {"Cache-Control": "no-cache"}
    return CodedFileResponse(path, media_type="application/json", headers=headers)


@router.get("/targets/{path:path}")
def target(path: str, settings: AppSettings) -> FileResponse:
    repo = _repository(settings)
    found = repo.targets_dir / path
    if not _TARGET.fullmatch(path) or not found.is_file():
        raise _missing(path)
    return CodedFileResponse(found, media_type="application/octet-stream")
