"""Which company's app this generic build is: the slug in its own file name
(``Suporte-Remoto-ACME_ra-acme.exe``), the profile the server signed for that slug, and
the last verified profile cached for starts without the server or after a rename.

    slug in the file name?  ── yes ─> fetch + verify ─ ok ─> cache it, use it
            │                              └─ server unreachable ─> the cache, if it is
            no                                                      that slug's
            └─> the cached profile (any slug) ─ none ─> ask for the company's code

A profile is used only when its Ed25519 signature checks against the key baked into the
build and it names the slug asked for; the cache is checked again at every start.
``cached_identity`` reads only files (the window can appear at once); ``resolve`` and
``refresh`` use the network: off the GUI thread, verified by ``remoteapp.net.tls`` with
the deployment's trust (its pinned CA, ``insecure``), which the profile then carries.

Errors::

    IdentityError (RemoteappError)
    ├── ProfileRefused       bad signature, another app's profile, malformed
    └── ProfileUnavailable   the server cannot be reached, or knows no such app
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import requests
import urllib3
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from remoteapp.branding.deployment import Deployment
from remoteapp.branding.profile import FieldSpec, Profile
from remoteapp.errors import RemoteappError
from remoteapp.net import tls
from remoteapp.net.helpdesk_http import InsecureServer, check_url, verified_session
from remotewire.distribution import (
    MAX_ENVELOPE_BYTES,
    SIGNING_CONTEXT,
    EnvelopeError,
    decode_envelope,
    decode_payload,
    slug_from_file_name,
    valid_slug,
)

log = logging.getLogger("remoteapp.identity")
FETCH_TIMEOUT_S = 5.0


class IdentityError(RemoteappError):
    """Whose app this is could not be settled.  ``why`` is a stable code, for the app to
    say it in the user's language (``remoteapp.ui.identity_texts``); the message is the
    English detail, for the log."""

    why = "failed"

    def __init__(self, message: str, why: str | None = None) -> None:
        super().__init__(message)
        if why is not None:
            self.why = why


class ProfileRefused(IdentityError):
    """The signed profile did not verify, or is another app's: never papered over."""

    why = "refused"


class ProfileUnavailable(IdentityError):
    """No profile from the server: ``why`` is "unknown-app" (it knows no app of that
    code: the code is asked), or the link's failure, "unreachable", "not-trusted"
    (its certificate), "insecure" (an http:// address the build does not allow) or
    "server-error" (any answer but 200 and 404)."""

    why = "unreachable"

    @property
    def unknown_app(self) -> bool:
        return self.why == "unknown-app"


@dataclass(frozen=True, slots=True)
class Identity:
    slug: str
    profile: Profile
    source: str  #: "server" or "cache"


def executable_path() -> Path:
    """The running program's file: the onefile executable when frozen."""
    return Path(sys.executable if getattr(sys, "frozen", False) else sys.argv[0])


def named_path(executable: Path) -> Path:
    """What the user double-clicked, whose name carries the slug: on macOS the ``.app``
    folder around ``X.app/Contents/MacOS/<exe>`` (the server names it like the download),
    elsewhere the executable itself."""
    contents = executable.parent.parent
    in_bundle = executable.parent.name == "MacOS" and contents.name == "Contents"
    if in_bundle and contents.parent.suffix.lower() == ".app":
        return contents.parent
    return executable


def verify(envelope: bytes, public_key: bytes, slug: str) -> dict[str, Any]:
    """The profile in ``envelope`` if the key signed it and it is ``slug``'s."""
    try:
        payload, signature = decode_envelope(envelope)
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, SIGNING_CONTEXT + payload)
        body = decode_payload(payload)
    except InvalidSignature as exc:
        raise ProfileRefused("the app profile's signature does not check") from exc
    except (EnvelopeError, ValueError) as exc:
        raise ProfileRefused(str(exc)) from exc
    if body.get("app_id") != slug:
        raise ProfileRefused(f"the profile is {body.get('app_id')!r}'s, not {slug!r}'s")
    return body


def fetch_signed(
    server_url: str,
    slug: str,
    timeout_s: float = FETCH_TIMEOUT_S,
    policy: tls.TrustPolicy | None = None,
) -> bytes:
    """The envelope the server signs for ``slug`` (``GET /api/profiles/{slug}``), over a
    connection ``policy`` (the deployment's) verifies."""
    url = f"{server_url}/api/profiles/{slug}"
    try:
        check_url(server_url, policy or tls.TrustPolicy())
        with (
            verified_session(policy or tls.TrustPolicy()) as http,
            http.get(url, timeout=timeout_s, stream=True) as response,
        ):
            if response.status_code == 404:
                raise ProfileUnavailable(f"the server knows no app {slug!r}", why="unknown-app")
            if response.status_code != 200:
                raise ProfileUnavailable(
                    f"{url} answered {response.status_code}", why="server-error"
                )
            body = response.raw.read(MAX_ENVELOPE_BYTES + 1, decode_content=True)
    except InsecureServer as exc:
        raise ProfileUnavailable(str(exc), why="insecure") from exc
    except requests.exceptions.SSLError as exc:
        if tls.verification_error(exc) is None:  # a handshake cut, plain HTTP on https
            raise ProfileUnavailable(f"cannot reach {server_url}: {exc}") from exc
        untrusted = str(tls.not_trusted("the server", exc))
        raise ProfileUnavailable(untrusted, why="not-trusted") from exc
    except tls.TlsError as exc:  # (an OSError: before the link's failures)
        if isinstance(exc, tls.PinnedCaUnusable):  # the build's own pin: a broken build
            raise ProfileRefused(str(exc)) from exc
        why = "insecure" if isinstance(exc, tls.InsecureRefused) else "not-trusted"
        raise ProfileUnavailable(str(exc), why=why) from exc
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        # (the body's read is urllib3's: a cut or a stall mid-body is its error)
        raise ProfileUnavailable(f"cannot reach {server_url}: {exc}") from exc
    return bytes(body)


class ProfileCache:
    """The last verified envelope (``last.json``) and its logo, in the user's data dir."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, slug: str, envelope: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.directory / "last.json", slug.encode() + b"\n" + envelope)

    def load(self) -> tuple[str, bytes] | None:
        try:
            slug, _, envelope = (self.directory / "last.json").read_bytes().partition(b"\n")
        except OSError:
            return None
        text = slug.decode("ascii", "replace")
        return (text, envelope) if valid_slug(text) else None

    def profile(self, body: dict[str, Any]) -> Profile:
        """The desktop ``Profile`` of a verified body; the logo becomes a cached file."""
        logo: Path | None = None
        slug = str(body["app_id"])
        if body.get("logo_png"):
            logo = self.directory / f"logo-{slug}.png"
            try:
                data = base64.b64decode(body["logo_png"], validate=True)
                if not logo.is_file() or logo.read_bytes() != data:
                    self.directory.mkdir(parents=True, exist_ok=True)
                    _atomic_write(logo, data)
            except (binascii.Error, ValueError, OSError) as exc:
                log.warning("identity event=logo-unusable reason=%r", str(exc))
                logo = None
        try:
            fields = tuple(
                FieldSpec(str(f["key"]), str(f.get("label") or f["key"]), bool(f["required"]))
                for f in body.get("fields") or []
            )
            return Profile(
                app_id=slug,
                title=str(body["title"]),
                server_url=str(body["server_url"]).rstrip("/"),
                logo=logo,
                fields=fields,
            )
        except (KeyError, TypeError) as exc:
            raise ProfileRefused(f"the signed profile lacks {exc}") from exc


def cached_identity(
    deployment: Deployment, executable: Path, cache: ProfileCache
) -> Identity | None:
    """This app's identity from the cache alone (no network, so the window can appear at
    once): the verified cached profile when it is this file's slug, or when the file was
    renamed.  None: the server must be asked (a first start, another app's cache)."""
    cached = cache.load()
    if cached is None:
        return None
    slug = deployment.app_slug or slug_from_file_name(executable.name)
    if slug is None:
        log.info("identity event=renamed name=%r cached=%s", executable.name, cached[0])
        slug = cached[0]
    if cached[0] != slug:
        return None
    try:
        body = verify(cached[1], deployment.profile_key, slug)
        return Identity(slug, _trusting(cache.profile(body), deployment), "cache")
    except ProfileRefused as exc:
        log.warning("identity event=cache-refused slug=%s reason=%r", slug, str(exc))
        return None


def resolve(
    deployment: Deployment,
    executable: Path,
    cache: ProfileCache,
    code: str | None = None,
) -> Identity | None:
    """This app's identity from the server (the cache when it cannot be reached), or
    None: nothing says whose app this is (its file renamed, nothing cached), so the user
    must type the company's code (then call again with ``code``).  ``ProfileRefused``
    propagates: a bad signature is never papered over with the cache.  So does
    ``ProfileUnavailable`` when the app's code is known but the server cannot be asked
    and nothing of it is cached: that is the network's, and asking the customer for a
    code would not help (the window says so and tries again)."""
    slug = code or deployment.app_slug or slug_from_file_name(executable.name)
    cached = cache.load()
    if slug is None:
        if cached is None:
            log.info("identity event=no-slug name=%r cache=none", executable.name)
            return None
        slug = cached[0]
        log.info("identity event=renamed name=%r cached=%s", executable.name, slug)
    try:
        envelope = fetch_signed(deployment.server_url, slug, policy=deployment.trust)
    except ProfileUnavailable as exc:
        if cached is None or cached[0] != slug or exc.unknown_app:
            log.warning("identity event=unavailable slug=%s reason=%r", slug, str(exc))
            raise
        log.info("identity event=offline slug=%s reason=%r", slug, str(exc))
        body = verify(cached[1], deployment.profile_key, slug)
        return Identity(slug, _trusting(cache.profile(body), deployment), "cache")
    body = verify(envelope, deployment.profile_key, slug)
    cache.save(slug, envelope)
    return Identity(slug, _trusting(cache.profile(body), deployment), "server")


def refresh(deployment: Deployment, slug: str, cache: ProfileCache) -> None:
    """Fetch and cache the newest signed profile of ``slug`` for the next start; any
    failure is a log line (the running app keeps what it shows)."""
    try:
        envelope = fetch_signed(deployment.server_url, slug, policy=deployment.trust)
        verify(envelope, deployment.profile_key, slug)
        cache.save(slug, envelope)
        log.info("identity event=refreshed slug=%s", slug)
    except (IdentityError, OSError) as exc:
        log.warning("identity event=refresh-failed slug=%s reason=%r", slug, str(exc))


def _trusting(profile: Profile, deployment: Deployment) -> Profile:
    """The signed profile with the build's TLS trust (``deployment.json`` decides it)."""
    return replace(profile, insecure=deployment.insecure, tls_ca=deployment.tls_ca)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
