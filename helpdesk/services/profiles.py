"""Signed app profiles: what a generic desktop binary learns about the company whose slug
its file name carries (title, logo, fields, server), signed with the server's Ed25519
profile key.  The build holds the public half (``deployment.json``); an app never uses a
profile whose signature does not check (envelope format: ``remotewire.distribution``).

The private key lives in ``DATA_DIR/keys/profile-ed25519.pem`` (mode 600), created on
first use.  Losing it means rebuilding the apps with the new public key.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session as Db

from helpdesk.models import RemoteApp
from helpdesk.services.apps import get_app
from remotewire.customer_fields import STANDARD_FIELDS
from remotewire.distribution import SIGNING_CONTEXT, encode_envelope

PROFILE_KEY_FILE = "keys/profile-ed25519.pem"
_LABELS = {"name": "Name", "email": "Email", "phone": "Phone", "organization": "Organization"}


def load_or_create_key(data_dir: Path) -> Ed25519PrivateKey:
    """The server's profile signing key, created (mode 600) on first use."""
    path = data_dir / PROFILE_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return loaded


def public_key_b64(key: Ed25519PrivateKey) -> str:
    """The raw 32-byte public key, base64: what a build's ``deployment.json`` holds."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def field_list(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields the customer sees, in form order: the shown standard ones, then custom."""
    shown = [
        {"key": key, "label": _LABELS[key], "required": bool(spec[key].get("required"))}
        for key in STANDARD_FIELDS
        if isinstance(spec.get(key), dict) and spec[key].get("shown")
    ]
    for custom in spec.get("custom") or []:
        if custom.get("mode", "required" if custom.get("required") else "optional") != "hidden":
            shown.append(
                {
                    "key": str(custom["key"]),
                    "label": str(custom.get("label") or custom["key"]),
                    "required": bool(custom.get("required") or custom.get("mode") == "required"),
                }
            )
    return shown


def logo_png(app: RemoteApp) -> str | None:
    """The base64 PNG of a logo stored as a ``data:image/png`` URI (the console stores
    only those); a logo given as a URL is not carried (the app would fetch it unsigned)."""
    prefix = "data:image/png;base64,"
    if app.logo and app.logo.startswith(prefix):
        return app.logo[len(prefix) :]
    return None


def profile_payload(app: RemoteApp, server_url: str, now: datetime | None = None) -> bytes:
    issued = (now or datetime.now(UTC)).replace(tzinfo=None).isoformat(timespec="seconds")
    body = {
        "app_id": app.id,
        "name": app.name,
        "title": app.title,
        "server_url": server_url.rstrip("/"),
        "fields": field_list(app.fields or {}),
        "logo_png": logo_png(app),
        "issued_at": issued + "Z",
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def signed_profile(db: Db, key: Ed25519PrivateKey, slug: str, server_url: str) -> bytes:
    """The envelope of app ``slug`` (NotFound when there is none), signed now: a change
    saved a moment ago is in it, so a download link works as soon as the app is saved."""
    payload = profile_payload(get_app(db, slug), server_url)
    return encode_envelope(payload, key.sign(SIGNING_CONTEXT + payload))
