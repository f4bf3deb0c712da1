"""The download page says a build's size readably: a 100 KB build said "0 MB" (helper-91's
review, item 10). Against a real server with a real published build."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from helpdesk import release
from helpdesk.services.downloads import size_text
from tests.helpdesk.server_process import Server, start_server


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (1, "1 KB"),
        (100_000, "100 KB"),
        (999_499, "999 KB"),
        (999_500, "1,0 MB"),
        (1_500_000, "1,5 MB"),
        (9_949_999, "9,9 MB"),
        (9_950_000, "10 MB"),
        (123_456_789, "123 MB"),
    ],
)
def test_size_text(size: int, text: str) -> None:
    assert size_text(size) == text


@pytest.fixture
def small_build_server(tmp_path: Path) -> Iterator[Server]:
    """A server whose Linux build is 100 KB, published as ``remoteapp-release`` does."""
    data, keys, artifact = tmp_path / "data", tmp_path / "keys", tmp_path / "remoteapp"
    artifact.write_bytes(os.urandom(100_000))
    assert release.main(["init", "--data-dir", str(data), "--keys", str(keys)]) == 0
    publish = ["publish", "--data-dir", str(data), "--keys", str(keys), "--os", "linux"]
    assert release.main([*publish, "--version", "0.1.0", str(artifact)]) == 0
    server = start_server(data, {})
    yield server
    assert server.process.stop() == 0, "".join(server.process.log[-30:])


def test_download_page_says_a_small_build_in_kb(small_build_server: Server) -> None:
    page = requests.get(f"{small_build_server.http_url}/download/demo", timeout=10)
    assert page.status_code == 200, page.text
    assert "(100 KB, v0.1.0)" in page.text
    assert "0 MB" not in page.text
