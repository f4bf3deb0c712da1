"""The update repository the desktop apps trust: a TUF repository (python-tuf's Metadata
API) under ``DATA_DIR/updates/``, served at ``/updates/``.

Roles and where their keys live (docs/distribution.md):

- **root** (offline, e.g. on a USB stick): signs ``N.root.json``, which names the other
  roles' keys.  Every build carries a root (``deployment.json``); newer roots chain
  from it, so rotating a key never needs a rebuild.
- **targets** and **snapshot** (the release machine): ``remoteapp-release publish``
  adds a build as the target ``<os>/remoteapp[.exe|.zip]`` with ``custom.version`` and
  signs targets, snapshot and timestamp.
- **timestamp** (online, ``DATA_DIR/keys/timestamp-ed25519.pem``): short-lived; the
  server re-signs it when it is asked for it within the second half of its life.

Consistent snapshots: ``metadata/N.root.json``, ``N.targets.json``, ``N.snapshot.json``,
``timestamp.json``, ``targets/<os>/<sha256>.<name>``; each file is written whole
(temp file, then rename), so a client never reads a half-written one.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# securesystemslib.signer has no __all__ either
from securesystemslib.signer import (  # type: ignore[attr-defined]
    CryptoSigner,
    Key,
    Signer,
    SSlibKey,
)

# tuf.api.metadata re-exports these from a private module without __all__ (mypy strict)
from tuf.api.metadata import (  # type: ignore[attr-defined]
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from remotewire.distribution import OS_EXTENSIONS

ROLES = ("root", "targets", "snapshot", "timestamp")
ONLINE_KEY_FILE = "keys/timestamp-ed25519.pem"
EXPIRY = {
    "root": timedelta(days=365),
    "targets": timedelta(days=365),
    "snapshot": timedelta(days=365),
}


def timestamp_ttl() -> timedelta:
    """How long a timestamp is valid (``REMOTEAPP_TIMESTAMP_TTL_S``, default one day)."""
    return timedelta(seconds=float(os.environ.get("REMOTEAPP_TIMESTAMP_TTL_S") or 86400))


class RepositoryError(Exception):
    """The repository on disk is missing, inconsistent, or a key does not fit."""


# -- keys


def generate_key(path: Path) -> SSlibKey:
    """A new Ed25519 key at ``path`` (mode 600, never overwritten); its public half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return SSlibKey.from_crypto(key.public_key())


def load_signer(path: Path) -> CryptoSigner:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise RepositoryError(f"cannot load key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise RepositoryError(f"{path} is not an Ed25519 key")
    return CryptoSigner(key)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# -- the repository


@dataclass(frozen=True, slots=True)
class Build:
    os_name: str
    version: str
    path: Path
    length: int


class UpdateRepository:
    """The files under ``DATA_DIR/updates``; every method reads them afresh (several
    processes may write: the server re-signing, ``remoteapp-release`` publishing)."""

    _lock = threading.Lock()  # one re-sign at a time within a server process

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.metadata_dir = data_dir / "updates" / "metadata"
        self.targets_dir = data_dir / "updates" / "targets"

    @property
    def exists(self) -> bool:
        return (self.metadata_dir / "timestamp.json").is_file()

    # reading

    def _load(self, role: str) -> Metadata[Any]:
        if role == "timestamp":
            name = "timestamp.json"
        else:
            name = f"{self._latest_version(role)}.{role}.json"
        try:
            return Metadata.from_file(str(self.metadata_dir / name))
        except Exception as exc:  # python-tuf raises several kinds: one answer
            raise RepositoryError(f"cannot read {name}: {exc}") from exc

    def _latest_version(self, role: str) -> int:
        versions = [
            int(p.name.split(".", 1)[0])
            for p in self.metadata_dir.glob(f"*.{role}.json")
            if p.name.split(".", 1)[0].isdigit()
        ]
        if not versions:
            raise RepositoryError(f"no {role} metadata in {self.metadata_dir}")
        return max(versions)

    def root(self) -> Metadata[Root]:
        return self._load("root")

    def root_bytes(self, version: int | None = None) -> bytes:
        number = version or self._latest_version("root")
        return (self.metadata_dir / f"{number}.root.json").read_bytes()

    def targets(self) -> Metadata[Targets]:
        return self._load("targets")

    def timestamp(self) -> Metadata[Timestamp]:
        return self._load("timestamp")

    def current_build(self, os_name: str) -> Build | None:
        """The newest published build for ``os_name`` (what the download link serves)."""
        if not self.exists:
            return None
        target = self.targets().signed.targets.get(target_name(os_name))
        if target is None:
            return None
        digest = target.hashes["sha256"]
        folder, _, base = target.path.rpartition("/")
        path = self.targets_dir / folder / f"{digest}.{base}"
        version = str(target.custom.get("version", ""))
        return Build(os_name, version, path, target.length) if path.is_file() else None

    # writing

    def _write(self, md: Metadata[Any], name: str) -> None:
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        data = md.to_bytes(JSONSerializer(compact=False))
        _atomic_write(self.metadata_dir / name, data)

    def _sign_write(self, md: Metadata[Any], signers: Sequence[Signer], name: str) -> None:
        md.signatures.clear()
        for signer in signers:
            md.sign(signer, append=True)
        self._write(md, name)

    def init(self, root_signer: Signer, keys: Mapping[str, Key]) -> None:
        """Version 1 of every role: ``keys`` names the targets, snapshot and timestamp keys
        (each role one key, threshold 1)."""
        if (self.metadata_dir / "1.root.json").exists():
            raise RepositoryError(f"{self.metadata_dir} already holds a repository")
        now = _now()
        root = Metadata(Root(expires=now + EXPIRY["root"], consistent_snapshot=True))
        root.signed.add_key(root_signer.public_key, "root")
        for role in ("targets", "snapshot", "timestamp"):
            root.signed.add_key(keys[role], role)
        self._sign_write(root, [root_signer], "1.root.json")
        targets = Metadata(Targets(expires=now + EXPIRY["targets"]))
        self._write(targets, "1.targets.json")  # unsigned until the first publish

    def publish(
        self,
        artifact: Path,
        os_name: str,
        version: str,
        targets_signer: Signer,
        snapshot_signer: Signer,
        timestamp_signer: Signer,
    ) -> TargetFile:
        """Add ``artifact`` as the build of ``os_name`` and sign targets, snapshot and
        timestamp, in that order (each names the version of the one before)."""
        name = target_name(os_name)
        target = TargetFile.from_file(name, str(artifact), ["sha256"])
        target.unrecognized_fields["custom"] = {"version": version, "os": os_name}
        folder, _, base = name.rpartition("/")
        stored = self.targets_dir / folder / f"{target.hashes['sha256']}.{base}"
        stored.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(stored, artifact.read_bytes(), mode=0o755)
        now = _now()
        targets = self.targets()
        targets.signed.targets[name] = target
        targets.signed.version += 1
        targets.signed.expires = now + EXPIRY["targets"]
        self._sign_write(targets, [targets_signer], f"{targets.signed.version}.targets.json")
        self._sign_snapshot_and_timestamp(targets.signed.version, snapshot_signer, timestamp_signer)
        return target

    def _sign_snapshot_and_timestamp(
        self, targets_version: int, snapshot_signer: Signer, timestamp_signer: Signer
    ) -> None:
        now = _now()
        try:
            version = self._latest_version("snapshot") + 1
        except RepositoryError:
            version = 1
        snapshot = Metadata(Snapshot(version=version, expires=now + EXPIRY["snapshot"]))
        snapshot.signed.meta["targets.json"] = MetaFile(version=targets_version)
        self._sign_write(snapshot, [snapshot_signer], f"{version}.snapshot.json")
        self._sign_timestamp(version, timestamp_signer)

    def _sign_timestamp(self, snapshot_version: int, signer: Signer) -> None:
        try:
            version = self.timestamp().signed.version + 1
        except RepositoryError:
            version = 1
        timestamp = Metadata(Timestamp(version=version, expires=_now() + timestamp_ttl()))
        timestamp.signed.snapshot_meta = MetaFile(version=snapshot_version)
        self._sign_write(timestamp, [signer], "timestamp.json")

    def fresh_timestamp(self, now: datetime | None = None) -> bool:
        """Re-sign the timestamp with the online key when less than half its life is
        left (or it has expired); True when it did.  Without the online key, nothing."""
        key = self.data_dir / ONLINE_KEY_FILE
        if not self.exists or not key.is_file():
            return False
        with self._lock:
            current = self.timestamp().signed
            left = current.expires - (now or _now())
            if left > timestamp_ttl() / 2:
                return False
            self._sign_timestamp(current.snapshot_meta.version, load_signer(key))
            return True

    def rotate(self, role: str, new_key: Key, root_signers: Sequence[Signer]) -> int:
        """A new root version naming ``new_key`` for ``role`` instead of the old one.
        ``root_signers``: the current root key, plus the new one when ``role`` is root (a
        client accepts root N+1 only if both N's and N+1's keys signed it)."""
        if role not in ROLES:
            raise RepositoryError(f"unknown role {role!r}")
        root = self.root()
        for keyid in list(root.signed.roles[role].keyids):
            root.signed.revoke_key(keyid, role)
        root.signed.add_key(new_key, role)
        root.signed.version += 1
        root.signed.expires = _now() + EXPIRY["root"]
        self._sign_write(root, root_signers, f"{root.signed.version}.root.json")
        return root.signed.version

    def resign_after_rotation(
        self, role: str, signer: Signer, snapshot_signer: Signer, timestamp_signer: Signer
    ) -> None:
        """After ``rotate``: sign the rotated role's metadata again with its new key (and
        what depends on it), so that clients following the new root accept it."""
        if role == "targets":
            targets = self.targets()
            targets.signed.version += 1
            self._sign_write(targets, [signer], f"{targets.signed.version}.targets.json")
            self._sign_snapshot_and_timestamp(
                targets.signed.version, snapshot_signer, timestamp_signer
            )
        elif role == "snapshot":
            self._sign_snapshot_and_timestamp(
                self._latest_version("targets"), snapshot_signer, timestamp_signer
            )
        elif role == "timestamp":
            self._sign_timestamp(self._latest_version("snapshot"), timestamp_signer)


def target_name(os_name: str) -> str:
    """One target per OS, replaced by each release: ``linux/remoteapp``,
    ``windows/remoteapp.exe``, ``macos/remoteapp.zip``."""
    if os_name not in OS_EXTENSIONS:
        raise RepositoryError(f"unknown OS {os_name!r}")
    return f"{os_name}/remoteapp{OS_EXTENSIONS[os_name]}"


def _atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
