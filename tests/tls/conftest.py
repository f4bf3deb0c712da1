"""A test CA, a ``remoteapp-server --cert/--key`` (HTTPS and a TLS relay) signed by it,
and the app's trust policy pinned to it or not.

The CA is made fresh for the session and is in no system store: without the pin the
app must refuse the server; with it (``TrustPolicy(ca_pem=...)``) everything works.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from remoteapp.net import tls
from tests.helpdesk.conftest import FAST
from tests.helpdesk.server_process import Server, start_server
from tests.qt_threads import gc_on_gui_thread  # noqa: F401 (autouse: Qt with worker threads)
from tests.tls.pki import Authority, Issued, authority


@dataclass(frozen=True)
class Pki:
    ca: Authority  #: signs the server's certificate; pinned by the tests that trust it
    server: Issued  #: for localhost and 127.0.0.1
    wrong_name: Issued  #: signed by ``ca``, but for another host
    stranger: Authority  #: a CA that is trusted nowhere


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    where = tmp_path_factory.mktemp("pki")
    ca = authority("remoteapp test CA")
    return Pki(
        ca,
        ca.issue(where / "server", ["localhost", "127.0.0.1", "::1"]),
        ca.issue(where / "wrong-name", ["other.example"]),
        authority("remoteapp stranger CA"),
    )


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[Server]:
    """The real server over HTTPS, its embedded relay over TLS, both with ``pki.server``."""
    cert = ["--cert", str(pki.server.cert), "--key", str(pki.server.key)]
    server = start_server(tmp_path_factory.mktemp("tls-server"), FAST, cert)
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


@pytest.fixture
def pinned(pki: Pki) -> Iterator[tls.TrustPolicy]:
    """The app's policy pins the test CA for this test (as a profile's ``tls_ca`` does)."""
    policy = tls.TrustPolicy(ca_pem=pki.ca.pem)
    before = tls.current()
    tls.install(policy)
    yield policy
    tls.install(before)
