"""``remoteapp-release``: the update repository's keys and releases (docs/distribution.md).

remoteapp-release init --data-dir D --keys K [--root-key R]
    new keys (root -> R, default K/root.pem: move it offline; targets and snapshot
    -> K; timestamp -> D/keys, online) and version 1 of the repository
remoteapp-release publish --data-dir D --keys K --os linux --version 0.2.0 FILE
    add FILE as that OS's build; sign targets, snapshot and timestamp
remoteapp-release rotate --data-dir D --keys K --role ROLE [--root-key R]
    a new key for ROLE, a new root naming it (signed by the root key; for the root
    role by the old and the new one), then the role's metadata signed again
remoteapp-release deployment --data-dir D --server-url URL [--tls-ca PEM] [--insecure]
        [-o FILE]
    the deployment settings a build bakes in (server URL, profile key, update root, the
    CA the app pins besides the system store, whether plain http:// to other hosts is
    allowed; docs/distribution.md)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from helpdesk.services.profiles import load_or_create_key, public_key_b64
from helpdesk.services.updates import (
    ONLINE_KEY_FILE,
    RepositoryError,
    UpdateRepository,
    generate_key,
    load_signer,
)
from remotewire.address import is_loopback


def deployment(
    data_dir: Path, server_url: str, tls_ca: Path | None = None, insecure: bool = False
) -> dict[str, object]:
    """What ``./dev package --deployment FILE`` bakes into a build: nothing app-specific."""
    repo = UpdateRepository(data_dir)
    baked: dict[str, object] = {
        "server_url": server_url.rstrip("/"),
        "profile_key": public_key_b64(load_or_create_key(data_dir)),
        "update_root": json.loads(repo.root_bytes(1)),
        "insecure": insecure,
    }
    if tls_ca is not None:
        pem = tls_ca.read_text(encoding="ascii")
        if "-----BEGIN CERTIFICATE-----" not in pem:
            raise OSError(f"{tls_ca} holds no PEM certificate")
        baked["tls_ca"] = pem
    return baked


def _rotate(repo: UpdateRepository, args: argparse.Namespace) -> int:
    keys: Path = args.keys
    root_key: Path = args.root_key or keys / "root.pem"
    role: str = args.role
    old_path = {"root": root_key, "timestamp": repo.data_dir / ONLINE_KEY_FILE}.get(
        role, keys / f"{role}.pem"
    )
    new_path = old_path.with_name(old_path.name + ".new")
    new_path.unlink(missing_ok=True)
    new_key = generate_key(new_path)
    signers = [load_signer(root_key)]
    if role == "root":
        signers.append(load_signer(new_path))
    version = repo.rotate(role, new_key, signers)
    old_path.replace(old_path.with_name(old_path.name + f".retired-{version}"))
    new_path.replace(old_path)
    if role != "root":
        repo.resign_after_rotation(
            role,
            load_signer(old_path),
            load_signer(keys / "snapshot.pem"),
            load_signer(repo.data_dir / ONLINE_KEY_FILE),
        )
    print(f"release event=rotated role={role} root_version={version} key={old_path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="remoteapp-release",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("init", "publish", "rotate", "deployment"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--data-dir", type=Path, required=True, help="the server's data dir")
        if name != "deployment":
            cmd.add_argument("--keys", type=Path, required=True, help="targets/snapshot keys")
        if name in ("init", "rotate"):
            cmd.add_argument("--root-key", type=Path, help="default: KEYS/root.pem")
    sub.choices["publish"].add_argument(
        "--os", required=True, choices=["linux", "windows", "macos"]
    )
    sub.choices["publish"].add_argument("--version", required=True)
    sub.choices["publish"].add_argument("artifact", type=Path)
    sub.choices["rotate"].add_argument(
        "--role", required=True, choices=["root", "targets", "snapshot", "timestamp"]
    )
    sub.choices["deployment"].add_argument("--server-url", required=True)
    sub.choices["deployment"].add_argument(
        "--tls-ca", type=Path, help="PEM of a CA the apps trust besides the system store"
    )
    sub.choices["deployment"].add_argument(
        "--insecure",
        action="store_true",
        help="let the apps use http:// and plain relays to other hosts (they show a warning)",
    )
    sub.choices["deployment"].add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    repo = UpdateRepository(args.data_dir)
    try:
        if args.command == "init":
            keys: Path = args.keys
            root_key: Path = args.root_key or keys / "root.pem"
            generate_key(root_key)
            public = {
                "targets": generate_key(keys / "targets.pem"),
                "snapshot": generate_key(keys / "snapshot.pem"),
                "timestamp": generate_key(args.data_dir / ONLINE_KEY_FILE),
            }
            repo.init(load_signer(root_key), public)
            load_or_create_key(args.data_dir)
            print(f"release event=initialised root_key={root_key} (keep it offline)")
        elif args.command == "publish":
            target = repo.publish(
                args.artifact,
                args.os,
                args.version,
                load_signer(args.keys / "targets.pem"),
                load_signer(args.keys / "snapshot.pem"),
                load_signer(args.data_dir / ONLINE_KEY_FILE),
            )
            print(
                f"release event=published os={args.os} version={args.version} "
                f"sha256={target.hashes['sha256']} length={target.length}"
            )
        elif args.command == "rotate":
            return _rotate(repo, args)
        else:
            url = urlsplit(args.server_url)
            if url.scheme != "https" and not (args.insecure or is_loopback(url.hostname or "")):
                print(
                    f"remoteapp-release: {args.server_url} is not https://: the apps would "
                    "refuse it (give --insecure to allow plain HTTP, and a warning in them)",
                    file=sys.stderr,
                )
                return 2
            baked = deployment(args.data_dir, args.server_url, args.tls_ca, args.insecure)
            text = json.dumps(baked, indent=2) + "\n"
            if args.output:
                args.output.write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
    except (RepositoryError, FileExistsError, OSError) as exc:
        print(f"remoteapp-release: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
