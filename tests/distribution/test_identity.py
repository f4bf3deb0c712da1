"""Whose app a generic build is: the signed profile from the real server, checked
against the baked key; the cache for renamed files and offline starts; the code."""

from __future__ import annotations

import base64
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from remoteapp.branding.deployment import Deployment
from remoteapp.branding.identity import (
    ProfileCache,
    ProfileRefused,
    ProfileUnavailable,
    cached_identity,
    fetch_signed,
    resolve,
    verify,
)
from remoteapp.net import tls
from remoteapp.update.client import trusted_root_bytes
from tests.distribution.conftest import deployment_of
from tests.helpdesk.server_process import Server, free_port, start_server


@pytest.fixture
def server(tmp_path: Path, kit: Path) -> Iterator[Server]:
    data = tmp_path / "server"
    shutil.copytree(kit / "data", data)
    running = start_server(data, {})
    yield running
    running.process.stop()


def deployment(kit: Path, url: str, key: bytes | None = None) -> Deployment:
    raw = deployment_of(kit)
    return Deployment(
        server_url=url,
        profile_key=key or base64.b64decode(str(raw["profile_key"])),
        update_root=trusted_root_bytes(raw["update_root"]),
        version="0.1.0",
    )


def test_slug_in_the_name_gets_the_signed_profile(
    server: Server, kit: Path, tmp_path: Path
) -> None:
    cache = ProfileCache(tmp_path / "cache")
    found = resolve(deployment(kit, server.http_url), Path("Demo_ra-demo (1)"), cache)
    assert found is not None and found.source == "server"
    assert found.profile.title == "Demo Support — remote help"
    assert found.profile.server_url == server.http_url
    assert [f.key for f in found.profile.fields] == ["name", "email", "phone", "organization"]


def test_renamed_uses_cache_and_without_cache_asks(
    server: Server, kit: Path, tmp_path: Path
) -> None:
    cache = ProfileCache(tmp_path / "cache")
    assert resolve(deployment(kit, server.http_url), Path("remoteapp"), cache) is None
    resolve(deployment(kit, server.http_url), Path("Demo_ra-demo"), cache)
    offline = deployment(kit, f"http://127.0.0.1:{free_port()}")
    renamed = resolve(offline, Path("my support tool"), cache)
    assert renamed is not None and renamed.slug == "demo" and renamed.source == "cache"


def test_a_first_start_that_cannot_reach_the_server_says_so(
    server: Server, kit: Path, tmp_path: Path
) -> None:
    """The file names its app, nothing is cached, the server is down: that is the
    network's (raised, for the window to say and try again), not a reason to ask the
    customer for the company's code (it was: None); a code no company has is."""
    cache = ProfileCache(tmp_path / "cache")
    offline = deployment(kit, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProfileUnavailable) as down:
        resolve(offline, Path("Demo_ra-demo"), cache)
    assert down.value.why == "unreachable" and not down.value.unknown_app
    with pytest.raises(ProfileUnavailable) as unknown:
        resolve(deployment(kit, server.http_url), Path("Other_ra-nobody"), cache)
    assert unknown.value.why == "unknown-app" and unknown.value.unknown_app
    assert cache.load() is None


@pytest.mark.parametrize("after", ["cut", "stall"])
def test_a_profile_cut_or_stalled_mid_body_is_the_links_failure(after: str) -> None:
    """The body is read through urllib3, whose errors are no requests' (nor OSError):
    a connection cut or stalled after the headers was an error of no kind (the window
    said "unexpected" and gave up); it is the link's, tried again."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n0123456789")
            if after == "stall":
                done.wait(30)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with pytest.raises(ProfileUnavailable) as failed:
            fetch_signed(url, "demo", timeout_s=1)
        assert failed.value.why == "unreachable", failed.value
    finally:
        done.set()
        thread.join(10)
        listener.close()


def test_a_tls_failure_that_is_no_certificates_is_the_links() -> None:
    """An https address answered in plain HTTP (a proxy, a captive portal) fails the
    handshake with no certificate judged: the link's failure, not "check the
    certificate" (requests calls every TLS failure an SSLError)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)  # the ClientHello
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with pytest.raises(ProfileUnavailable) as failed:
            fetch_signed(f"https://127.0.0.1:{listener.getsockname()[1]}", "demo", timeout_s=5)
        assert failed.value.why == "unreachable", failed.value
    finally:
        thread.join(10)
        listener.close()


def test_a_build_whose_pinned_ca_is_unusable_is_refused() -> None:
    """The build's own pin cannot be loaded: a broken build (refused: download it
    again), not the network's failure to retry."""
    broken = tls.TrustPolicy(ca_pem="-----BEGIN CERTIFICATE-----\nnot a certificate")
    with pytest.raises(ProfileRefused):
        fetch_signed("https://127.0.0.1:9", "demo", policy=broken)


def test_code_picks_the_app(server: Server, kit: Path, tmp_path: Path) -> None:
    cache = ProfileCache(tmp_path / "cache")
    found = resolve(deployment(kit, server.http_url), Path("remoteapp"), cache, code="demo")
    assert found is not None and found.slug == "demo"


def test_profile_signed_by_another_key_is_refused(
    server: Server, kit: Path, tmp_path: Path
) -> None:
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    cache = ProfileCache(tmp_path / "cache")
    with pytest.raises(ProfileRefused, match="signature"):
        resolve(deployment(kit, server.http_url, other), Path("Demo_ra-demo"), cache)
    assert cache.load() is None


def test_profile_of_another_app_or_altered_is_refused(server: Server, kit: Path) -> None:
    key = deployment(kit, server.http_url).profile_key
    envelope = fetch_signed(server.http_url, "demo")
    with pytest.raises(ProfileRefused, match="not 'acme'"):
        verify(envelope, key, "acme")
    altered = envelope.replace(b'"payload":"ey', b'"payload":"ez')
    with pytest.raises(ProfileRefused):
        verify(altered, key, "demo")


def test_the_cache_alone_starts_the_window_without_the_network(
    server: Server, kit: Path, tmp_path: Path
) -> None:
    cache = ProfileCache(tmp_path / "cache")
    nowhere = deployment(kit, f"http://127.0.0.1:{free_port()}")
    assert cached_identity(nowhere, Path("Demo_ra-demo"), cache) is None  # a first start
    resolve(deployment(kit, server.http_url), Path("Demo_ra-demo"), cache)
    for name in ("Demo_ra-demo (1)", "renamed"):
        found = cached_identity(nowhere, Path(name), cache)
        assert found is not None and found.slug == "demo" and found.source == "cache"
    assert cached_identity(nowhere, Path("Other_ra-other"), cache) is None  # another app's
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert cached_identity(deployment(kit, server.http_url, other), Path("x"), cache) is None
