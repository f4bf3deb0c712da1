"""Is there a newer build, and download it verified: python-tuf's ``ngclient`` against the
server's repository at ``<server>/updates/``, starting from the root baked into the
build (``deployment.json``).  TUF refuses tampered, expired and rolled-back metadata
and a target whose length or hash differ from the signed ones; each becomes an
``UpdateCheckFailed``/``UpdateDownloadFailed`` with the reason, and nothing changes.

The fetcher is the app's own HTTP session (``remoteapp.net.helpdesk_http``), verified
like every other connection (the system store plus the pinned CA, no plain HTTP to
another host unless the profile allows it): signatures guard what arrives, TLS who
learns that this app checks for updates, and a private CA works here too.

Every fetch has a deadline for the whole of it, not only a read timeout per gap (a
trickling server would hold the check, and the client's lock, for hours), and a
download can be cancelled between two reads.  The cache keeps one build: each download
removes the ones before it.

Blocking (network, files): the UI calls these off the GUI thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests
import urllib3
from tuf.api.exceptions import (
    DownloadError,
    DownloadHTTPError,
    DownloadLengthMismatchError,
    RepositoryError,
    SlowRetrievalError,
)
from tuf.ngclient.config import UpdaterConfig
from tuf.ngclient.fetcher import FetcherInterface
from tuf.ngclient.updater import Updater

from remoteapp.net import tls
from remoteapp.net.errors import HelpdeskError
from remoteapp.net.helpdesk_http import verified_session
from remoteapp.update.errors import UpdateCancelled, UpdateCheckFailed, UpdateDownloadFailed
from remotewire.distribution import OS_EXTENSIONS

log = logging.getLogger("remoteapp.update")
Progress = Callable[[int, int], None]
"""(bytes so far, total bytes) while a build downloads."""


def version_key(version: str) -> tuple[int, ...]:
    """``0.10.2`` -> (0, 10, 2); anything that is not dotted numbers sorts lowest."""
    if not re.fullmatch(r"\d+(\.\d+){0,3}", version):
        return (-1,)
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True, slots=True)
class Available:
    version: str
    length: int
    target_path: str


class _CountingFetcher(FetcherInterface):
    """ngclient's fetcher over the app's verified HTTP session, telling ``progress`` how
    much of a target has arrived.

    ``timeout_s`` bounds the connect and every gap between bytes, which a server that
    trickles a byte now and then never trips; so each fetch also has a deadline for the
    whole: ``base_s`` plus the most it may be (ngclient's signed length of a target, its
    cap for metadata) at ``min_rate`` bytes/s (``SlowRetrievalError`` past it, at most one
    gap late).  ``cancel``, set for a download, stops it between two reads."""

    CHUNK = 256 * 1024

    def __init__(
        self,
        targets_url: str,
        timeout_s: float,
        *,
        base_s: float = 30.0,
        min_rate: float = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = verified_session()
        self.http.headers["User-Agent"] = "remoteapp"
        self.timeout_s = timeout_s
        self.base_s, self.min_rate, self.clock = base_s, min_rate, clock
        self.targets_url = targets_url
        self.progress: Progress | None = None
        self.cancel: threading.Event | None = None
        self.total = 0
        self._expected = 0  # the most the next fetch may bring (download_file's bound)

    @contextlib.contextmanager
    def download_file(self, url: str, max_length: int) -> Iterator[IO[bytes]]:
        self._expected = max_length  # the one place ngclient says it, for _fetch's deadline
        with super().download_file(url, max_length) as file:
            yield file

    def _fetch(self, url: str) -> Iterator[bytes]:
        allowed = self.base_s + self._expected / self.min_rate
        deadline = self.clock() + allowed
        self._expected = 0
        try:
            response = self.http.get(url, stream=True, timeout=self.timeout_s)
        except requests.ConnectTimeout as exc:  # (a Timeout too: not slow, unreachable)
            raise DownloadError(str(exc)) from exc
        except requests.Timeout as exc:
            raise SlowRetrievalError from exc
        except requests.exceptions.SSLError as exc:
            raise DownloadError(str(tls.not_trusted("the update server", exc))) from exc
        except (requests.RequestException, HelpdeskError) as exc:  # plain HTTP refused
            raise DownloadError(str(exc)) from exc
        if response.status_code >= 400:
            response.close()
            raise DownloadHTTPError(f"HTTP {response.status_code}", response.status_code)
        counted = self.progress if url.startswith(self.targets_url) else None
        return self._chunks(response, deadline, allowed, self.cancel, counted)

    def _chunks(
        self,
        response: requests.Response,
        deadline: float,
        allowed: float,
        cancel: threading.Event | None,
        progress: Progress | None,
    ) -> Iterator[bytes]:
        """The body as it arrives (``read1``: what one read gives, so a trickle is seen
        byte by byte and the deadline and ``cancel`` are looked at between reads)."""
        done = 0
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    raise UpdateCancelled("the download was cancelled")
                chunk = response.raw.read1(self.CHUNK, decode_content=True)
                if not chunk:
                    return
                if self.clock() > deadline:
                    raise SlowRetrievalError(f"not all of it after {allowed:.0f} s")
                done += len(chunk)
                if progress is not None:
                    progress(done, self.total)
                yield chunk
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise SlowRetrievalError from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:  # reset, cut short, TLS
            raise DownloadError(str(exc)) from exc
        finally:
            response.close()


class UpdateClient:
    """One app's view of the repository; ``cache_dir`` keeps the trusted metadata (so a
    rollback below what was seen once is refused) and the downloads."""

    def __init__(
        self,
        server_url: str,
        trusted_root: bytes,
        cache_dir: Path,
        os_name: str,
        current_version: str,
        timeout_s: float = 15,
        *,
        base_s: float = 30.0,
        min_rate: float = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        base = server_url.rstrip("/") + "/updates"
        self.metadata_url = base + "/metadata/"
        self.targets_url = base + "/targets/"
        self.cache_dir = cache_dir
        self.trusted_root = trusted_root
        self.target_path = f"{os_name}/remoteapp{OS_EXTENSIONS[os_name]}"
        self.current_version = current_version
        self.fetcher = _CountingFetcher(
            self.targets_url, timeout_s, base_s=base_s, min_rate=min_rate, clock=clock
        )
        self._lock = threading.Lock()  # ngclient is not thread-safe

    def _updater(self) -> Updater:
        metadata_dir = self.cache_dir / "metadata"
        metadata_dir.mkdir(parents=True, exist_ok=True)
        local_root = metadata_dir / "root.json"
        # the newest root seen is kept by ngclient; the baked one only bootstraps
        bootstrap = local_root.read_bytes() if local_root.is_file() else self.trusted_root
        return Updater(
            str(metadata_dir),
            self.metadata_url,
            str(self.cache_dir / "downloads"),
            self.targets_url,
            fetcher=self.fetcher,
            config=UpdaterConfig(app_user_agent="remoteapp"),
            bootstrap=bootstrap,
        )

    def check(self) -> Available | None:
        """The newer build for this OS, or None (up to date, or nothing published)."""
        with self._lock:
            try:
                updater = self._updater()
                updater.refresh()
                target = updater.get_targetinfo(self.target_path)
            except (RepositoryError, DownloadError, OSError, ValueError) as exc:
                raise UpdateCheckFailed(_reason(exc)) from exc
        if target is None:
            return None
        version = str(target.custom.get("version", ""))
        if version_key(version) <= version_key(self.current_version):
            return None
        return Available(version, target.length, target.path)

    def download(
        self,
        available: Available,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Path:
        """The verified new build, in the cache directory (the older ones removed).
        ``cancel`` set stops it: ``UpdateCancelled``, and no file is left."""
        downloads = self.cache_dir / "downloads"
        destination = downloads / f"remoteapp-{available.version}"
        partial = downloads / f".remoteapp-{available.version}.part-{os.getpid()}"
        with self._lock:
            try:
                updater = self._updater()
                updater.refresh()
                target = updater.get_targetinfo(available.target_path)
                if target is None or target.custom.get("version") != available.version:
                    raise UpdateDownloadFailed(
                        "the offered build is no longer published", why="withdrawn"
                    )
                self.fetcher.progress, self.fetcher.total = progress, target.length
                self.fetcher.cancel = cancel
                updater.download_target(target, str(partial))  # whole, or not at all:
                os.replace(partial, destination)  # ngclient writes verified bytes in place
            except (RepositoryError, DownloadError, OSError, ValueError) as exc:
                raise UpdateDownloadFailed(_reason(exc), why=_download_why(exc)) from exc
            finally:
                self.fetcher.progress, self.fetcher.cancel = None, None
                with contextlib.suppress(OSError):
                    partial.unlink()
            self._prune(downloads, keep=destination)
        return destination

    def discard(self, download: Path) -> None:
        """Remove a download that has been installed (its bytes are in place now)."""
        with self._lock, contextlib.suppress(OSError):
            download.unlink()

    @staticmethod
    def _prune(downloads: Path, keep: Path) -> None:
        """Each update is a whole build (~100 MB): the ones before ``keep`` go, and the
        partial file of a download that died an hour or more ago."""
        stale = time.time() - 3600
        for old in downloads.glob("remoteapp-*"):
            if old != keep:
                with contextlib.suppress(OSError):
                    old.unlink()
        for part in downloads.glob(".remoteapp-*.part-*"):
            with contextlib.suppress(OSError):
                if part.stat().st_mtime < stale:
                    part.unlink()


def _reason(exc: BaseException) -> str:
    """The log line's reason: python-tuf's class name says most (ExpiredMetadataError,
    BadVersionNumberError, UnsignedMetadataError, LengthOrHashMismatchError...)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    cause = exc.__cause__ or exc.__context__
    if not text and cause is not None:
        text = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def _download_why(exc: BaseException) -> str:
    """What a download's failure was, for the user (``DOWNLOAD_WHYS``): the fetcher maps
    every network fault to a ``DownloadError`` (the deadline's to ``SlowRetrievalError``),
    so an ``OSError`` left is the file's, here."""
    if isinstance(exc, DownloadLengthMismatchError):  # longer than signed: tampered
        return "unverified"
    if isinstance(exc, SlowRetrievalError):
        return "too-slow"
    if isinstance(exc, DownloadError):
        return "network"
    if isinstance(exc, OSError):
        return "disk"
    return "unverified"  # RepositoryError (hashes, signatures, expiry), or unreadable


def trusted_root_bytes(update_root: object) -> bytes:
    """The baked root (a JSON object in ``deployment.json``) as ngclient wants it."""
    return json.dumps(update_root).encode()
