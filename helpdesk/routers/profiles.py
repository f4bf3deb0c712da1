"""``/api/profiles/{slug}``: the app's profile signed with the server's Ed25519 profile
key, what a generic desktop build fetches for the slug in its file name."""

from __future__ import annotations

import functools
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Request, Response

from helpdesk.deps import AppSettings, Db
from helpdesk.errors import NotFound
from helpdesk.services import profiles
from remotewire.error_codes import ErrorCode

router = APIRouter(prefix="/api/profiles", tags=["distribution"])


@functools.lru_cache(maxsize=4)
def _key(data_dir: Path) -> Ed25519PrivateKey:
    return profiles.load_or_create_key(data_dir)


@router.get("/{slug}")
def signed_profile(slug: str, request: Request, db: Db, settings: AppSettings) -> Response:
    if settings.data_dir is None:
        raise NotFound(ErrorCode.NO_BUILD, "this server does not sign app profiles")
    body = profiles.signed_profile(db, _key(settings.data_dir), slug, str(request.base_url))
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-cache"})
