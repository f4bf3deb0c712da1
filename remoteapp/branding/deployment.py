"""The deployment settings a build bakes in (``resources/deployment.json``, written by
``./dev package``): the server URL, the public key that signs app profiles, the update
repository's trusted root, the build's version, and its TLS trust: ``tls_ca`` (PEM of a
CA trusted besides the system store) and ``insecure`` (``true``: plain connections to
other hosts allowed).  These two are baked, not taken from the signed profile, because
the first fetch of that profile already needs them.  Nothing specific to one app, except
in a packager's branded build (``app_slug``).

Run from source there is none: the app then uses ``resources/profile.json`` as before.
``REMOTEAPP_DEPLOYMENT=FILE`` points a source run at one (tests, development), and
``REMOTEAPP_SERVER_URL`` replaces the baked server URL (a staging server or a test
server on a free port; the profile signature and the update root still decide trust).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from pathlib import Path

from remoteapp import __version__
from remoteapp.branding.profile import ProfileError, trust_flag
from remoteapp.branding.resources import resource_dir
from remoteapp.errors import RemoteappError
from remoteapp.net.tls import TrustPolicy

FILE_NAME = "deployment.json"


class DeploymentError(RemoteappError):
    """The baked deployment file is unreadable or incomplete (a broken build)."""


@dataclass(frozen=True, slots=True)
class Deployment:
    server_url: str
    profile_key: bytes  #: raw 32-byte Ed25519 public key
    update_root: bytes  #: the trusted TUF root.json
    version: str
    app_slug: str | None = None  #: a packager's branded build only
    name: str = "remoteapp"
    insecure: bool = False  #: plain connections to other hosts allowed (and shown)
    tls_ca: str | None = None  #: PEM of a CA trusted besides the system store

    @property
    def trust(self) -> TrustPolicy:
        return TrustPolicy(ca_pem=self.tls_ca, insecure=self.insecure)


def load_deployment(path: Path | None = None) -> Deployment | None:
    """The build's deployment, or None when there is none (running from source)."""
    given = path or os.environ.get("REMOTEAPP_DEPLOYMENT")
    where = Path(given) if given else resource_dir() / FILE_NAME
    if not where.is_file():
        return None
    try:
        raw = json.loads(where.read_text(encoding="utf-8"))
        key = base64.b64decode(raw["profile_key"], validate=True)
        build = raw.get("build") or {}
        deployment = Deployment(
            server_url=str(os.environ.get("REMOTEAPP_SERVER_URL") or raw["server_url"]).rstrip("/"),
            profile_key=key,
            update_root=json.dumps(raw["update_root"]).encode(),
            version=str(build.get("version") or __version__),
            app_slug=build.get("app_slug"),
            name=str(build.get("name") or "remoteapp"),
            insecure=trust_flag(raw.get("insecure", False), str(where)),
            tls_ca=str(raw["tls_ca"]) if raw.get("tls_ca") else None,
        )
    except (OSError, ValueError, KeyError, TypeError, binascii.Error, ProfileError) as exc:
        raise DeploymentError(f"deployment file {where} is unusable: {exc}") from exc
    if len(key) != 32:
        raise DeploymentError(f"deployment file {where}: profile_key is not an Ed25519 key")
    return deployment
