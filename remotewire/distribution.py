"""What the server and the desktop app agree on to give one generic binary a company's
identity: the download's file name (it carries the app's slug) and the signed profile's
envelope.  Standard library only: signing and checking happen on each side with their
own crypto (the server signs, the app verifies with the key baked into its build).

A download is named ``<Title-with-dashes>_ra-<slug><ext>``, e.g.
``Suporte-Remoto-ACME_ra-acme.exe``.  Browsers add `` (1)`` or ``(1)`` to a second copy
(Finder: `` 2``), and some people type spaces; ``slug_from_file_name`` tolerates all.

The signed profile, as ``GET /api/profiles/{slug}`` answers it::

    {"format": "remoteapp-profile/1",
     "payload": "<base64 of the profile JSON bytes>",
     "signature": "<base64 Ed25519 signature of SIGNING_CONTEXT + those bytes>"}

The payload is ``{"app_id", "name", "title", "server_url", "fields": [{"key", "label",
"required"}], "logo_png": "<base64>" | null, "issued_at": "<ISO UTC>"}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from typing import Any, Final

PROFILE_FORMAT: Final = "remoteapp-profile/1"
SIGNING_CONTEXT: Final = b"remoteapp signed profile v1\n"
"""Prefixed to the payload before signing, so a profile signature can never be replayed
as a signature over anything else the same key might sign."""
MAX_ENVELOPE_BYTES: Final = 1024 * 1024
"""A logo is at most 512 KiB re-encoded; base64 and the rest fit in 1 MiB."""

OS_EXTENSIONS: Final = {"linux": "", "windows": ".exe", "macos": ".zip"}
"""The download of each OS: Linux and Windows one executable, macOS a zipped ``.app``."""
SLUG_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9-]{0,39}"
_SLUG = re.compile(SLUG_PATTERN)
_FROM_NAME = re.compile(r"[ _]ra-(" + SLUG_PATTERN + r")$")
_COPY_SUFFIX = re.compile(r"\s*\(\d+\)$|\s+\d+$")  # browsers' "(1)", Finder's " 2"
_EXTENSIONS = (".exe", ".app", ".zip", ".appimage", ".bin")


class EnvelopeError(ValueError):
    """A signed profile that is not in the expected shape (before any signature check)."""


def valid_slug(text: str) -> bool:
    return _SLUG.fullmatch(text) is not None


def download_file_name(title: str, slug: str, os_name: str) -> str:
    """``Suporte Remoto ACME``, ``acme``, ``windows`` -> ``Suporte-Remoto-ACME_ra-acme.exe``.

    The title is reduced to ASCII letters, digits and dashes so that every browser and
    file system keeps it as it is; the slug after ``_ra-`` is what the app reads back."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", ascii_title)
    stem = "-".join(words)[:60].strip("-") or "remoteapp"
    return f"{stem}_ra-{slug}{OS_EXTENSIONS[os_name]}"


def slug_from_file_name(name: str) -> str | None:
    """The slug in a download's file name, or None when the name does not carry one
    (renamed).  ``Suporte-Remoto-ACME_ra-acme (1).exe`` -> ``acme``."""
    stem = name.strip()
    for ext in _EXTENSIONS:
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
            break
    stem = _COPY_SUFFIX.sub("", stem).strip()
    found = _FROM_NAME.search(stem)
    return found.group(1) if found else None


def encode_envelope(payload: bytes, signature: bytes) -> bytes:
    body = {
        "format": PROFILE_FORMAT,
        "payload": base64.b64encode(payload).decode(),
        "signature": base64.b64encode(signature).decode(),
    }
    return json.dumps(body, separators=(",", ":")).encode()


def decode_envelope(data: bytes) -> tuple[bytes, bytes]:
    """(payload bytes, signature) of an envelope; EnvelopeError when malformed."""
    if len(data) > MAX_ENVELOPE_BYTES:
        raise EnvelopeError(f"signed profile larger than {MAX_ENVELOPE_BYTES} bytes")
    try:
        body = json.loads(data)
        if not isinstance(body, dict) or body.get("format") != PROFILE_FORMAT:
            raise EnvelopeError(f"not a {PROFILE_FORMAT} envelope")
        payload = base64.b64decode(body["payload"], validate=True)
        signature = base64.b64decode(body["signature"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        if isinstance(exc, EnvelopeError):
            raise
        raise EnvelopeError(f"malformed signed profile: {exc}") from exc
    return payload, signature


def decode_payload(payload: bytes) -> dict[str, Any]:
    """The profile dictionary of a payload whose signature was checked."""
    try:
        body = json.loads(payload)
    except ValueError as exc:
        raise EnvelopeError(f"profile payload is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise EnvelopeError("profile payload must be a JSON object")
    return body
