"""What bounds an update's check and download: a server that trickles bytes (never a gap
long enough for the read timeout) is cut at a deadline for the whole fetch, metadata
too; a download can be cancelled between two reads, leaving no file; and each download
removes the ones before it, so the cache holds one build, not one per update; a server
whose connect times out is unreachable, not slow, and said so within the connect timeout.

The deadlines here are made tiny (``base_s``, a high ``min_rate``) rather than waited
for; the proxy trickles for real, through real sockets."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from tuf.api.exceptions import DownloadError

from bench import builds
from remoteapp.update import UpdateCancelled, UpdateCheckFailed, UpdateDownloadFailed
from remoteapp.update.client import UpdateClient, trusted_root_bytes
from tests.distribution.conftest import deployment_of
from tests.distribution.proxy import Proxy
from tests.helpdesk.server_process import Server

BUILD = b"\x7fELF" + b"B" * 300_000


def publish(server: Server, kit: Path, version: str, content: bytes, tmp: Path) -> None:
    artifact = tmp / f"build-{version}"
    artifact.write_bytes(content)
    builds.publish(server.data_dir, kit / "keys", version, artifact)


def client(
    url: str,
    kit: Path,
    cache: Path,
    version: str = "0.1.0",
    timeout_s: float = 5,
    **limits: float,
) -> UpdateClient:
    root = trusted_root_bytes(deployment_of(kit)["update_root"])
    return UpdateClient(url, root, cache, "linux", version, timeout_s=timeout_s, **limits)


@contextlib.contextmanager
def unanswered_url() -> Iterator[str]:
    """A loopback URL whose connect times out instead of being refused (a firewall that
    drops packets, a host gone): a listener whose accept queue, ``listen(0)``, holds one
    connection never accepted, so Linux drops every new SYN (``tcp_conn_request``)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        with socket.create_connection(listener.getsockname(), timeout=5):
            # readable: that connection is in the accept queue, which is full now
            assert select.select([listener], [], [], 5)[0], "the accept queue stayed empty"
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def bounded(call: Callable[[], object], within_s: float = 30) -> BaseException | object:
    """``call()``'s result or exception, failing the test if it has not ended by then
    (without a total bound a trickled fetch would run for hours)."""
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(within_s)
    assert not thread.is_alive(), f"still fetching after {within_s} s"
    return outcome[0]


def test_a_trickled_download_ends_at_its_deadline(
    repo_server: Server, proxy: Proxy, kit: Path, tmp_path: Path
) -> None:
    publish(repo_server, kit, "0.2.0", BUILD, tmp_path)
    updater = client(proxy.url, kit, tmp_path / "cache", base_s=3, min_rate=10_000_000)
    offered = updater.check()
    assert offered is not None
    proxy.trickle = lambda path: "/targets/" in path  # ~50 bytes/s: hours for 300 KB
    seen: list[int] = []
    started = time.monotonic()
    failed = bounded(lambda: updater.download(offered, lambda done, _: seen.append(done)))
    assert isinstance(failed, UpdateDownloadFailed), failed
    assert "SlowRetrieval" in str(failed) and failed.why == "too-slow"
    assert time.monotonic() - started < 10
    assert 0 < seen[-1] < len(BUILD)  # bytes kept coming: no read timed out
    assert list((tmp_path / "cache" / "downloads").iterdir()) == []  # nothing partial


def test_trickled_metadata_ends_at_its_deadline(
    repo_server: Server, proxy: Proxy, kit: Path, tmp_path: Path
) -> None:
    publish(repo_server, kit, "0.2.0", BUILD, tmp_path)
    proxy.trickle = lambda path: path.endswith("timestamp.json")
    updater = client(proxy.url, kit, tmp_path / "cache", base_s=3, min_rate=10_000_000)
    failed = bounded(updater.check)
    assert isinstance(failed, UpdateCheckFailed), failed
    assert "SlowRetrieval" in str(failed)
    # the lock is free again: the next check (the link healed) answers at once
    proxy.trickle = lambda path: False
    offered = bounded(updater.check)
    assert offered is not None and getattr(offered, "version", None) == "0.2.0"


def test_the_deadline_grows_with_the_signed_length(
    repo_server: Server, proxy: Proxy, kit: Path, tmp_path: Path
) -> None:
    """The same trickle finishes when the bound allows for it: the deadline is the
    whole fetch's, from the signed length, not a fixed one."""
    small = b"\x7fELF small"
    publish(repo_server, kit, "0.2.0", small, tmp_path)
    # base 0: only the length counts; 10 bytes at 1 byte/s is 10 s, the trickle ~0.2 s
    updater = client(proxy.url, kit, tmp_path / "cache", base_s=0, min_rate=1)
    offered = updater.check()
    assert offered is not None
    proxy.trickle = lambda path: "/targets/" in path
    path = bounded(lambda: updater.download(offered))
    assert isinstance(path, Path) and path.read_bytes() == small


def test_a_connect_that_times_out_is_unreachable_not_too_slow(
    repo_server: Server, kit: Path, tmp_path: Path
) -> None:
    """The server never answering the connect sent no byte: the link is down ("network",
    as when refused), not slow ("too-slow"), which would withdraw nothing but tell the
    user the server is slow."""
    publish(repo_server, kit, "0.2.0", BUILD, tmp_path)
    cache = tmp_path / "cache"
    offered = client(repo_server.http_url, kit, cache).check()
    assert offered is not None
    with unanswered_url() as url:  # offered, then the server unreachable: the same cache
        updater = client(url, kit, cache, timeout_s=0.5)
        failed = bounded(lambda: updater.download(offered), within_s=10)
    assert isinstance(failed, UpdateDownloadFailed), failed
    assert type(failed.__cause__) is DownloadError, failed  # not SlowRetrievalError
    assert isinstance(failed.__cause__.__cause__, requests.ConnectTimeout), failed.__cause__
    assert failed.why == "network", failed
    assert list(cache.glob("downloads/*")) == []  # nothing partial


def test_a_cancelled_download_stops_and_leaves_no_file(
    repo_server: Server, kit: Path, tmp_path: Path
) -> None:
    publish(repo_server, kit, "0.2.0", BUILD, tmp_path)
    updater = client(repo_server.http_url, kit, tmp_path / "cache")
    offered = updater.check()
    assert offered is not None
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        cancel.set()  # the user clicks Cancel as the first bytes arrive

    with pytest.raises(UpdateCancelled):
        updater.download(offered, progress, cancel)
    assert seen and seen[-1] <= len(BUILD)
    assert list((tmp_path / "cache" / "downloads").iterdir()) == []
    again = updater.download(offered)  # nothing stuck: the next one completes
    assert again.read_bytes() == BUILD


def test_each_download_removes_the_ones_before(
    repo_server: Server, kit: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    downloads = cache / "downloads"
    downloads.mkdir(parents=True)
    dead = downloads / ".remoteapp-0.1.5.part-999999"  # a download that died long ago
    dead.write_bytes(b"half")
    os.utime(dead, (time.time() - 7200, time.time() - 7200))
    busy = downloads / ".remoteapp-0.2.0.part-999998"  # another process, downloading now
    busy.write_bytes(b"half")
    for version, previous in (("0.2.0", "0.1.0"), ("0.3.0", "0.2.0"), ("0.4.0", "0.3.0")):
        content = b"\x7fELF" + version.encode() * 10_000
        publish(repo_server, kit, version, content, tmp_path)
        updater = client(repo_server.http_url, kit, cache, previous)
        offered = updater.check()
        assert offered is not None and offered.version == version
        path = updater.download(offered)
        assert path.read_bytes() == content
        kept = sorted(p.name for p in downloads.iterdir() if not p.name.startswith("."))
        assert kept == [f"remoteapp-{version}"]  # the one in use stays
    assert not dead.exists() and busy.exists()
    updater.discard(path)  # installed: its bytes are in place now
    assert sorted(p.name for p in downloads.iterdir()) == [busy.name]
