"""Is there a newer build, and download it verified: python-tuf's ``ngclient`` against the
server's repository at ``<server>/updates/``, starting from the root baked into the
build (``deployment.json``).  TUF refuses tampered, expired and rolled-back metadata
and a target whose length or hash differ from the signed ones; each becomes an
``UpdateCheckFailed``/``UpdateDownloadFailed`` with the reason, and nothing changes.

The fetcher is the app's own HTTP session (``remoteapp.net.helpdesk_http``), verified
like every other connection (the system store plus the pinned CA, no plain HTTP to
another host unless the profile allows it): signatures guard what arrives, TLS who
learns that this app checks for updates, and a private CA works here too.

Blocking (network, files): the UI calls these off the GUI thread.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from tuf.api.exceptions import (
    DownloadError,
    DownloadHTTPError,
    RepositoryError,
    SlowRetrievalError,
)
from tuf.ngclient.config import UpdaterConfig
from tuf.ngclient.fetcher import FetcherInterface
from tuf.ngclient.updater import Updater

from remoteapp.net import tls
from remoteapp.net.errors import HelpdeskError
from remoteapp.net.helpdesk_http import verified_session
from remoteapp.update.errors import UpdateCheckFailed, UpdateDownloadFailed
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
    much of a target has arrived. ``timeout_s`` bounds the connect and every gap."""

    CHUNK = 256 * 1024

    def __init__(self, targets_url: str, timeout_s: int) -> None:
        self.http = verified_session()
        self.http.headers["User-Agent"] = "remoteapp"
        self.timeout_s = timeout_s
        self.targets_url = targets_url
        self.progress: Progress | None = None
        self.total = 0

    def _fetch(self, url: str) -> Iterator[bytes]:
        try:
            response = self.http.get(url, stream=True, timeout=self.timeout_s)
        except requests.Timeout as exc:
            raise SlowRetrievalError from exc
        except requests.exceptions.SSLError as exc:
            raise DownloadError(str(tls.not_trusted("the update server", exc))) from exc
        except (requests.RequestException, HelpdeskError) as exc:  # plain HTTP refused
            raise DownloadError(str(exc)) from exc
        if response.status_code >= 400:
            response.close()
            raise DownloadHTTPError(f"HTTP {response.status_code}", response.status_code)
        chunks = self._chunks(response)
        if self.progress is None or not url.startswith(self.targets_url):
            return chunks
        return self._counted(chunks, self.progress)

    def _chunks(self, response: requests.Response) -> Iterator[bytes]:
        try:
            yield from response.iter_content(self.CHUNK)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise SlowRetrievalError from exc
        finally:
            response.close()

    def _counted(self, chunks: Iterator[bytes], progress: Progress) -> Iterator[bytes]:
        done = 0
        for chunk in chunks:
            done += len(chunk)
            progress(done, self.total)
            yield chunk


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
        timeout_s: int = 15,
    ) -> None:
        base = server_url.rstrip("/") + "/updates"
        self.metadata_url = base + "/metadata/"
        self.targets_url = base + "/targets/"
        self.cache_dir = cache_dir
        self.trusted_root = trusted_root
        self.target_path = f"{os_name}/remoteapp{OS_EXTENSIONS[os_name]}"
        self.current_version = current_version
        self.fetcher = _CountingFetcher(self.targets_url, timeout_s)
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

    def download(self, available: Available, progress: Progress | None = None) -> Path:
        """The verified new build, in the cache directory."""
        with self._lock:
            try:
                updater = self._updater()
                updater.refresh()
                target = updater.get_targetinfo(available.target_path)
                if target is None or target.custom.get("version") != available.version:
                    raise UpdateDownloadFailed("the offered build is no longer published")
                self.fetcher.progress, self.fetcher.total = progress, target.length
                destination = self.cache_dir / "downloads" / f"remoteapp-{available.version}"
                path = updater.download_target(target, str(destination))
            except (RepositoryError, DownloadError, OSError, ValueError) as exc:
                raise UpdateDownloadFailed(_reason(exc)) from exc
            finally:
                self.fetcher.progress = None
        return Path(path)


def _reason(exc: BaseException) -> str:
    """The log line's reason: python-tuf's class name says most (ExpiredMetadataError,
    BadVersionNumberError, UnsignedMetadataError, LengthOrHashMismatchError...)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    cause = exc.__cause__ or exc.__context__
    if not text and cause is not None:
        text = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def trusted_root_bytes(update_root: object) -> bytes:
    """The baked root (a JSON object in ``deployment.json``) as ngclient wants it."""
    return json.dumps(update_root).encode()
