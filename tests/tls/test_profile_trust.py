"""Where the app's TLS trust comes from: ``tls_ca`` and ``insecure`` in a profile file
(a source run) or baked into a build's ``deployment.json`` by ``remoteapp-release``; the
signed profile is fetched over HTTPS verified with the baked pin."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpdesk import release
from helpdesk.services.profiles import load_or_create_key, public_key_b64
from helpdesk.services.updates import UpdateRepository
from remoteapp.branding.deployment import DeploymentError, load_deployment
from remoteapp.branding.identity import ProfileCache, ProfileUnavailable, fetch_signed, resolve
from remoteapp.branding.profile import ProfileError, load_profile
from remoteapp.branding.resources import resource_dir
from remoteapp.net import tls
from remoteapp.update.client import UpdateClient
from remoteapp.update.errors import UpdateCheckFailed
from tests.helpdesk.server_process import Server
from tests.tls.conftest import Pki


def profile_file(tmp_path: Path, **fields: object) -> Path:
    raw = json.loads((resource_dir() / "profile.json").read_text(encoding="utf-8"))
    raw.pop("logo", None)
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({**raw, **fields}), encoding="utf-8")
    return path


def test_a_profile_pins_a_ca_from_a_file_or_inline(tmp_path: Path, pki: Pki) -> None:
    (tmp_path / "company-ca.pem").write_text(pki.ca.pem, encoding="ascii")
    by_file = load_profile(profile_file(tmp_path, tls_ca="company-ca.pem"))
    inline = load_profile(profile_file(tmp_path, tls_ca=pki.ca.pem, insecure=True))
    assert by_file.trust == tls.TrustPolicy(ca_pem=pki.ca.pem, insecure=False)
    assert inline.trust == tls.TrustPolicy(ca_pem=pki.ca.pem, insecure=True)
    assert load_profile(profile_file(tmp_path)).trust == tls.TrustPolicy()


@pytest.mark.parametrize("value", ["true", "yes", 1, None])
def test_insecure_must_be_a_real_boolean(tmp_path: Path, value: object) -> None:
    with pytest.raises(ProfileError, match="insecure must be true or false"):
        load_profile(profile_file(tmp_path, insecure=value))


def test_an_unusable_pin_stops_the_app_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read tls_ca"):
        load_profile(profile_file(tmp_path, tls_ca="missing.pem"))
    broken = load_profile(profile_file(tmp_path, tls_ca="-----BEGIN CERTIFICATE-----\nAAAA\n"))
    with pytest.raises(tls.PinnedCaUnusable, match="pinned CA in the app profile is unusable"):
        tls.install(broken.trust)
    assert tls.current() == tls.TrustPolicy()


def test_release_bakes_the_pin_and_insecure_into_the_deployment(tmp_path: Path, pki: Pki) -> None:
    data, keys, ca = tmp_path / "data", tmp_path / "keys", tmp_path / "ca.pem"
    ca.write_text(pki.ca.pem, encoding="ascii")
    assert release.main(["init", "--data-dir", str(data), "--keys", str(keys)]) == 0
    out = tmp_path / "deployment.json"
    url = "https://helpdesk.example.com"
    common = ["deployment", "--data-dir", str(data), "--server-url", url, "-o", str(out)]
    assert release.main([*common, "--tls-ca", str(ca)]) == 0
    baked = load_deployment(out)
    assert baked is not None and baked.trust == tls.TrustPolicy(ca_pem=pki.ca.pem)
    assert release.main([*common, "--insecure"]) == 0
    baked = load_deployment(out)
    assert baked is not None and baked.trust == tls.TrustPolicy(insecure=True)
    assert release.main([*common, "--tls-ca", str(keys / "root.pem")]) == 2  # not a cert
    plain = ["deployment", "--data-dir", str(data), "-o", str(out), "--server-url"]
    assert release.main([*plain, "http://helpdesk.example.com"]) == 2  # the apps would refuse
    assert release.main([*plain, "http://127.0.0.1:8080"]) == 0  # this machine: fine
    raw = json.loads(out.read_text())
    out.write_text(json.dumps({**raw, "insecure": "false"}))
    with pytest.raises(DeploymentError, match="insecure must be true or false"):
        load_deployment(out)


def baked(server: Server, tmp_path: Path, ca_pem: str | None) -> Path:
    """A build's deployment.json for ``server``, pinning ``ca_pem`` (or nothing)."""
    key = public_key_b64(load_or_create_key(server.data_dir))
    path = tmp_path / "deployment.json"
    raw = {"server_url": server.http_url, "profile_key": key, "update_root": {}}
    path.write_text(json.dumps(raw | ({"tls_ca": ca_pem} if ca_pem else {})))
    return path


def test_a_build_fetches_its_signed_profile_over_verified_https(
    tls_server: Server, pki: Pki, tmp_path: Path
) -> None:
    pinned = load_deployment(baked(tls_server, tmp_path, pki.ca.pem))
    assert pinned is not None
    exe = tmp_path / "Suporte-Remoto-ACME_ra-demo"
    identity = resolve(pinned, exe, ProfileCache(tmp_path / "cache"))
    assert identity is not None and identity.source == "server"
    assert identity.profile.server_url == tls_server.http_url
    assert identity.profile.trust == pinned.trust  # the build's pin, for every later call

    bare = load_deployment(baked(tls_server, tmp_path, None))
    assert bare is not None
    with pytest.raises(ProfileUnavailable, match="the server's certificate is not trusted"):
        fetch_signed(bare.server_url, "demo", policy=bare.trust)
    shutil.rmtree(tmp_path / "cache")
    with pytest.raises(ProfileUnavailable) as untrusted:  # nothing trusted: said, not
        resolve(bare, exe, ProfileCache(tmp_path / "cache"))  # a company code asked
    assert untrusted.value.why == "not-trusted"


def test_update_checks_go_over_the_same_verified_https(
    tls_server: Server, pki: Pki, pinned: tls.TrustPolicy, tmp_path: Path
) -> None:
    """The TUF client fetches through the app's session: the pinned CA works, and
    without it the check fails on the certificate (with the clear reason)."""
    keys, build = tmp_path / "keys", tmp_path / "build"
    data = str(tls_server.data_dir)
    assert release.main(["init", "--data-dir", data, "--keys", str(keys)]) == 0
    build.write_bytes(b"the next build")
    publish = ["publish", "--data-dir", data, "--keys", str(keys), "--os", "linux"]
    assert release.main([*publish, "--version", "9.9.9", str(build)]) == 0
    root = UpdateRepository(tls_server.data_dir).root_bytes(1)

    def client(name: str) -> UpdateClient:
        return UpdateClient(tls_server.http_url, root, tmp_path / name, "linux", "0.1.0")

    offered = client("pinned").check()
    assert offered is not None and offered.version == "9.9.9"
    tls.install(tls.TrustPolicy())
    with pytest.raises(UpdateCheckFailed, match="update server's certificate is not trusted"):
        client("unpinned").check()
