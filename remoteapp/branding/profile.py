"""A company's app profile: which app it is, how it looks, what the customer fills in,
and which servers it talks to.  Bundled as ``resources/profile.json`` in each branded
build; ``--profile FILE``, ``--server`` and ``--app`` override it for development.

Two fields decide TLS (``remoteapp.net.tls``): ``tls_ca``, a CA trusted besides the
system store (PEM text, or a PEM file's path relative to the profile), and ``insecure``
(``true``: ``http://`` and plain relays to other hosts are allowed, and the windows say
so). A built app takes both from its baked ``deployment.json`` instead."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from remoteapp.branding.resources import resource_dir
from remoteapp.errors import RemoteappError
from remoteapp.net.tls import TrustPolicy


class ProfileError(RemoteappError):
    """The profile file is missing, not JSON, or lacks what the app needs."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    key: str  #: "name", "email", "phone", "organization" or a custom key
    label: str  #: shown to the customer (custom fields carry their own label)
    required: bool = False


@dataclass(frozen=True, slots=True)
class Profile:
    app_id: str
    title: str
    server_url: str
    logo: Path | None = None
    fields: tuple[FieldSpec, ...] = ()
    ticket_api_url: str | None = None  #: e.g. a real Movidesk: https://api.movidesk.com
    ticket_api_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    insecure: bool = False  #: plain connections to other hosts allowed (and shown)
    tls_ca: str | None = None  #: PEM of a CA trusted besides the system store

    @property
    def trust(self) -> TrustPolicy:
        """What ``remoteapp.net.tls`` enforces for this app."""
        return TrustPolicy(ca_pem=self.tls_ca, insecure=self.insecure)

    def with_overrides(
        self, *, server_url: str | None = None, app_id: str | None = None
    ) -> Profile:
        return replace(self, server_url=server_url or self.server_url, app_id=app_id or self.app_id)


def default_profile_path() -> Path:
    return resource_dir() / "profile.json"


def load_profile(path: Path | None = None) -> Profile:
    """Read a profile; ProfileError with the reason when it cannot be used."""
    path = path or default_profile_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ProfileError(f"profile {path} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ProfileError(f"profile {path} must be a JSON object")
    try:
        fields = tuple(
            FieldSpec(str(f["key"]), str(f.get("label", f["key"])), bool(f.get("required")))
            for f in raw.get("fields", [])
        )
        logo = raw.get("logo")
        return Profile(
            app_id=str(raw["app_id"]),
            title=str(raw["title"]),
            server_url=str(raw["server_url"]).rstrip("/"),
            logo=(path.parent / logo) if logo else None,
            fields=fields,
            ticket_api_url=raw.get("ticket_api_url"),
            ticket_api_token=raw.get("ticket_api_token"),
            insecure=trust_flag(raw.get("insecure", False), str(path)),
            tls_ca=_pem(raw.get("tls_ca"), path),
        )
    except (KeyError, TypeError) as exc:
        raise ProfileError(f"profile {path} lacks {exc}") from exc


def trust_flag(value: object, where: str) -> bool:
    """``insecure`` must be a JSON boolean: a typo ("ture", "no") must not open anything."""
    if not isinstance(value, bool):
        raise ProfileError(f"{where}: insecure must be true or false, not {value!r}")
    return value


def _pem(value: object, path: Path) -> str | None:
    """``tls_ca``: PEM text, or a PEM file next to the profile."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProfileError(f"profile {path}: tls_ca must be PEM text or a file name")
    if "-----BEGIN" in value:
        return value
    try:
        return (path.parent / value).read_text(encoding="ascii")
    except (OSError, ValueError) as exc:
        raise ProfileError(f"profile {path}: cannot read tls_ca {value!r}: {exc}") from exc
