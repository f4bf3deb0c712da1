"""The download routes against real servers: a macOS zip is renamed once however many
first downloads ask for it at once, in one process or two; publishing while one is
renamed fails no download; every wait for a zip is bounded (503 ``download-preparing``
with ``Retry-After``); a bad ``Range`` gets coded JSON; HEAD answers like GET."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

import pytest
import requests

from bench.builds import ROOT
from helpdesk import release
from helpdesk.services import downloads
from helpdesk.services.updates import UpdateRepository
from tests.helpdesk.server_process import Server, start_server

MAC_FILE = "Demo-Support-remote-help_ra-demo.zip"
MAC_EXE = "Demo-Support-remote-help_ra-demo.app/Contents/MacOS/remoteapp"


def mac_zip(path: Path) -> Path:
    """A small published macOS zip (tests/distribution/test_macos.py has the full one)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        exe = zipfile.ZipInfo("remoteapp.app/Contents/MacOS/remoteapp")
        exe.external_attr = 0o100755 << 16
        out.writestr(exe, os.urandom(50_000))
        out.writestr("remoteapp.app/Contents/Info.plist", b"<plist/>")
    return path


def publish(data: Path, kit: Path, version: str, artifact: Path, os_name: str) -> None:
    """``remoteapp-release publish`` run in this process: no interpreter to start, so it
    lands while a rename of a few seconds is still running."""
    args = ["publish", "--data-dir", str(data), "--keys", str(kit / "keys")]
    assert release.main([*args, "--os", os_name, "--version", version, str(artifact)]) == 0


@pytest.fixture(scope="module")
def big_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A macOS zip that takes seconds to rename here (80 MB that do not compress)."""
    path = tmp_path_factory.mktemp("big") / "remoteapp.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        out.writestr("remoteapp.app/Contents/Info.plist", b"<plist/>")
        out.writestr("remoteapp.app/Contents/MacOS/remoteapp", os.urandom(80 << 20))
    return path


@pytest.fixture
def data(tmp_path: Path, kit: Path) -> Path:
    where = tmp_path / "server"
    shutil.copytree(kit / "data", where)
    return where


def stopped_log(server: Server) -> str:
    """The server's whole output: stopped, and read up to its relay's last line."""
    server.process.stop()
    server.process.wait_for(r"relay event=stopped")
    return "".join(server.process.log)


def macos_zip_path(data: Path) -> Path:
    build = UpdateRepository(data).current_build("macos")
    assert build is not None
    out = data / "downloads" / build.path.name / MAC_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def digest(answer: requests.Response) -> str:
    return hashlib.sha256(b"".join(answer.iter_content(1 << 20))).hexdigest()


def test_publishing_during_a_first_macos_download_fails_neither_download(
    data: Path, kit: Path, big_zip: Path, tmp_path: Path
) -> None:
    publish(data, kit, "0.1.0", big_zip, "macos")
    server = start_server(data, {})
    url = f"{server.http_url}/download/demo/macos"
    try:
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(requests.get, url, timeout=120)
            server.process.wait_for(r"event=download-renaming version=0\.1\.0 ", 60)
            publish(data, kit, "0.1.1", mac_zip(tmp_path / "next.zip"), "macos")
            second = requests.get(url, timeout=120)  # renames 0.1.1, may clean up
            old = first.result(timeout=120)
    finally:
        log = stopped_log(server)
    assert old.status_code == 200, old.text[:300]
    assert old.headers["x-remoteapp-version"] == "0.1.0"
    assert (second.status_code, second.headers["x-remoteapp-version"]) == (200, "0.1.1")
    # the second download came while the first one's rename ran
    assert log.index("download-renaming version=0.1.1 ") < log.index(
        "download-renamed version=0.1.0 "
    )
    for version, answer in (("0.1.0", old), ("0.1.1", second)):
        got = tmp_path / f"got-{version}.zip"
        got.write_bytes(answer.content)
        with zipfile.ZipFile(got) as unzipped:
            assert MAC_EXE in unzipped.namelist()
    assert "Traceback" not in log


def test_first_downloads_at_once_in_two_processes_rename_the_zip_once(
    data: Path, kit: Path, big_zip: Path
) -> None:
    publish(data, kit, "0.1.0", big_zip, "macos")
    servers = [start_server(data, {})]
    try:
        servers.append(start_server(data, {}, demo=False))  # a second process, same data
        together = threading.Barrier(8)

        def fetch(i: int) -> tuple[int, str]:
            together.wait(30)
            url = f"{servers[i % 2].http_url}/download/demo/macos"
            with requests.get(url, timeout=120, stream=True) as answer:
                return answer.status_code, digest(answer)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(fetch, range(8)))
    finally:
        log = "".join(stopped_log(server) for server in servers)
    assert {status for status, _ in answers} == {200}
    assert len({body for _, body in answers}) == 1
    assert log.count("event=download-renaming ") == 1
    made = macos_zip_path(data).parent  # the zip and its lock; no temporary copy left
    assert sorted(p.name for p in made.iterdir()) == [f".{MAC_FILE}.lock", MAC_FILE]


def test_a_process_renames_at_most_two_zips_at_once(data: Path, kit: Path, big_zip: Path) -> None:
    publish(data, kit, "0.1.0", big_zip, "macos")
    server = start_server(data, {})
    slugs = ["demo", "acme", "beta"]
    for slug in slugs[1:]:
        add = [sys.executable, "-m", "helpdesk.admin", "--data-dir", str(data), "add-app"]
        subprocess.run([*add, slug, f"{slug} help"], check=True, cwd=ROOT, timeout=60)
    together = threading.Barrier(len(slugs))

    def fetch(slug: str) -> int:
        together.wait(30)
        url = f"{server.http_url}/download/{slug}/macos"
        with requests.get(url, timeout=120, stream=True) as answer:
            digest(answer)
            return answer.status_code

    try:
        with ThreadPoolExecutor(len(slugs)) as pool:
            statuses = list(pool.map(fetch, slugs))
    finally:
        log = stopped_log(server)
    assert statuses == [200] * len(slugs)
    running = most = 0
    for line in log.splitlines():
        if "event=download-renaming " in line:
            running += 1
            most = max(most, running)
        elif "event=download-renamed " in line:
            running -= 1
    assert most == downloads.RENAMES_AT_ONCE


def test_a_download_waits_for_a_zip_another_process_makes_within_the_bound(
    data: Path, kit: Path, tmp_path: Path
) -> None:
    publish(data, kit, "0.1.0", mac_zip(tmp_path / "remoteapp.zip"), "macos")
    server = start_server(data, {"REMOTEAPP_DOWNLOAD_WAIT_S": "1"})
    url = f"{server.http_url}/download/demo/macos"
    try:
        out = macos_zip_path(data)
        with downloads.locked(downloads.zip_lock(out), time.monotonic() + 10):  # "renaming"
            started = time.monotonic()
            refused = requests.get(url, timeout=30)
            waited = time.monotonic() - started
        served = requests.get(url, timeout=30)
    finally:
        server.process.stop()
    assert refused.status_code == 503
    assert refused.json()["code"] == "download-preparing"
    assert refused.headers["retry-after"] == str(downloads.RETRY_AFTER_S)
    assert 1.0 <= waited < 10.0
    assert served.status_code == 200 and out.is_file()


def test_threads_waiting_for_a_zip_are_capped_the_rest_refused_at_once(
    data: Path, kit: Path, tmp_path: Path
) -> None:
    publish(data, kit, "0.1.0", mac_zip(tmp_path / "remoteapp.zip"), "macos")
    server = start_server(data, {})
    url = f"{server.http_url}/download/demo/macos"
    cap, extra = downloads.PREPARING_AT_ONCE, 4
    together = threading.Barrier(cap + extra)

    def fetch() -> requests.Response:
        together.wait(30)
        return requests.get(url, timeout=120)

    try:
        with ThreadPoolExecutor(cap + extra) as pool:
            out = macos_zip_path(data)
            with downloads.locked(downloads.zip_lock(out), time.monotonic() + 10):
                asked: list[Future[requests.Response]] = [
                    pool.submit(fetch) for _ in range(cap + extra)
                ]
                done: set[Future[requests.Response]] = set()
                while len(done) < extra:  # those beyond the cap are answered at once
                    more, _ = wait(set(asked) - done, timeout=30, return_when=FIRST_COMPLETED)
                    assert more, "no answer while the zip is locked"
                    done |= more
                assert len(done) == extra
            later = [f.result(timeout=60) for f in asked if f not in done]
    finally:
        log = stopped_log(server)
    for answer in (f.result() for f in done):
        assert (answer.status_code, answer.json()["code"]) == (503, "download-preparing")
    assert [answer.status_code for answer in later] == [200] * cap
    assert log.count("event=download-renaming ") == 1


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, kit: Path) -> Iterator[Server]:
    """A server with a Linux build (100 kB) and a small macOS one."""
    base = tmp_path_factory.mktemp("published")
    data = base / "server"
    shutil.copytree(kit / "data", data)
    (base / "remoteapp").write_bytes(os.urandom(100_000))
    publish(data, kit, "0.1.0", base / "remoteapp", "linux")
    publish(data, kit, "0.1.0", mac_zip(base / "remoteapp.zip"), "macos")
    server = start_server(data, {})
    yield server
    server.process.stop()


def file_urls(server: Server) -> list[str]:
    target = UpdateRepository(server.data_dir).current_build("linux")
    assert target is not None
    return [
        f"{server.http_url}/download/demo/linux",
        f"{server.http_url}/updates/targets/linux/{target.path.name}",
    ]


@pytest.mark.parametrize("bad", ["bytes=5-2", "bytes=abc", "bytes=", "items=0-9", "0-9"])
def test_a_malformed_range_is_a_coded_400(published: Server, bad: str) -> None:
    for url in file_urls(published):
        answer = requests.get(url, headers={"Range": bad}, timeout=30)
        assert answer.status_code == 400, (url, answer.text)
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["code"] == "invalid-input"
        assert answer.json()["detail"].startswith("malformed Range header")


@pytest.mark.parametrize("beyond", ["bytes=100000-", "bytes=200000-200010"])
def test_a_range_beyond_the_file_is_a_coded_416_with_its_size(
    published: Server, beyond: str
) -> None:
    for url in [*file_urls(published), f"{published.http_url}/updates/metadata/1.root.json"]:
        size = len(requests.get(url, timeout=30).content)
        answer = requests.get(url, headers={"Range": beyond}, timeout=30)
        assert answer.status_code == 416, (url, answer.text)
        assert answer.json()["code"] == "range-not-satisfiable"
        assert answer.headers["content-range"] == f"bytes */{size}"


def test_valid_ranges_are_served(published: Server) -> None:
    for url in file_urls(published):
        whole = requests.get(url, timeout=30).content
        one = requests.get(url, headers={"Range": "bytes=10-19"}, timeout=30)
        assert (one.status_code, one.content) == (206, whole[10:20])
        assert one.headers["content-range"] == f"bytes 10-19/{len(whole)}"
        suffix = requests.get(url, headers={"Range": "bytes=-7"}, timeout=30)
        assert (suffix.status_code, suffix.content) == (206, whole[-7:])
        two = requests.get(url, headers={"Range": "bytes=0-3,50-53"}, timeout=30)
        assert two.status_code == 206
        assert two.headers["content-type"].startswith("multipart/byteranges; boundary=")
        assert whole[0:4] in two.content and whole[50:54] in two.content


@pytest.mark.parametrize("path", ["/download/demo", "/download/demo/linux", "/download/demo/macos"])
def test_head_answers_the_headers_of_get(published: Server, path: str) -> None:
    got = requests.get(published.http_url + path, timeout=30)
    head = requests.head(published.http_url + path, timeout=30)
    assert (head.status_code, head.content) == (200, b"")
    assert got.status_code == 200
    assert head.headers["content-length"] == str(len(got.content))
    for name in ("content-type", "content-disposition", "x-remoteapp-version", "etag"):
        assert head.headers.get(name) == got.headers.get(name), name


def test_head_of_an_unknown_app_is_404(published: Server) -> None:
    assert requests.head(f"{published.http_url}/download/nope", timeout=30).status_code == 404
    head = requests.head(f"{published.http_url}/download/nope/linux", timeout=30)
    assert head.status_code == 404
