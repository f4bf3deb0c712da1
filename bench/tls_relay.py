"""The cost of TLS to the relay, on the desktop app's own path (``relay_link.join``: a
blocking socket; with TLS the session's bytes go through ``tls_bridge``'s thread), next
to the same relay without TLS in the same run.

A real ``remoteapp-relay`` subprocess runs twice: plain, then with ``--cert/--key`` (a
throwaway CA and certificate made here with ``cryptography``, pinned for the run). For
each: the time to join (connect, TLS handshake, relay handshake, PAIRED), a 64-byte
ping-pong's round trip through the relay, and a bulk push agent -> customer (MB/s, and
this process's CPU per MiB: both apps' ends, the bridges included). Both ends run in
this process, so the TLS rows pay for two bridges and two TLS endpoints. Last, one
client handshake alone (to a local TLS server), with the app's context
(``tls.client_context``: truststore) and with the standard library's (the CA file
loaded once): on Linux truststore loads the system store again at every handshake.

    python -m bench.tls_relay                 # table
    python -m bench.tls_relay --json          # one JSON object
    python -m bench.tls_relay --mib 64 --rounds 500
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import re
import secrets
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from remoteapp.net import tls
from remoteapp.session import relay_link
from remotewire.roles import Role
from remotewire.tokens import issue_token

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 256 * 1024


@dataclass
class Row:
    relay: str
    join_ms: float  #: median, connect to PAIRED (both sides in parallel)
    rtt_us_median: float
    rtt_us_p95: float
    mb_s: float  #: bulk agent -> customer
    cpu_ms_per_mib: float  #: this process (both ends), during the bulk push


def self_signed(where: Path) -> tuple[Path, Path, str]:
    """A CA-flagged self-signed certificate for 127.0.0.1: (cert, key, PEM to pin)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench relay")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (where / "cert.pem").write_bytes(pem)
    (where / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return where / "cert.pem", where / "key.pem", pem.decode()


@contextmanager
def relay(secret: str, extra: list[str], timeout_s: float) -> Iterator[int]:
    """A ``remoteapp-relay`` subprocess on 127.0.0.1; yields its port."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "remoterelay.cli",
            "--port",
            "0",
            "--relay-host",
            "127.0.0.1",
            *extra,
        ],
        cwd=ROOT,
        env={**os.environ, "REMOTEAPP_RELAY_SECRET": secret, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + timeout_s
        for line in proc.stderr:
            if match := re.search(r"relay event=listening .*port=(\d+)", line):
                threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining
                yield int(match.group(1))
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the relay did not start")
        else:
            raise RuntimeError("the relay exited before listening")
    finally:
        proc.terminate()
        proc.wait(10)


def pair(address: str, secret: bytes) -> tuple[socket.socket, socket.socket]:
    """Both ends of a fresh session, joined in parallel as two apps would."""
    sid = secrets.token_hex(8)
    got: list[socket.socket] = []
    thread = threading.Thread(
        target=lambda: got.append(
            relay_link.join(address, issue_token(secret, sid, Role.CUSTOMER), 10)[0]
        )
    )
    thread.start()
    agent = relay_link.join(address, issue_token(secret, sid, Role.AGENT), 10)[0]
    thread.join(15)
    return agent, got[0]


def recv_exactly(sock: socket.socket, n: int) -> None:
    while n:
        data = sock.recv(min(n, 1 << 20))
        if not data:
            raise ConnectionError("closed early")
        n -= len(data)


def measure(name: str, address: str, secret: bytes, mib: int, rounds: int) -> Row:
    joins = []
    for _ in range(10):
        start = time.perf_counter()
        a, c = pair(address, secret)
        joins.append((time.perf_counter() - start) * 1000)
        a.close()
        c.close()
    agent, customer = pair(address, secret)
    with agent, customer:
        agent.settimeout(30)
        customer.settimeout(30)
        rtts = []
        ping = b"p" * 64
        for _ in range(rounds):
            start = time.perf_counter()
            agent.sendall(ping)
            recv_exactly(customer, 64)
            customer.sendall(ping)
            recv_exactly(agent, 64)
            rtts.append((time.perf_counter() - start) * 1e6)
        total = mib * 1024 * 1024
        block = os.urandom(CHUNK)

        def push() -> None:
            for _ in range(total // CHUNK):
                agent.sendall(block)

        cpu0, start = time.process_time(), time.perf_counter()
        sender = threading.Thread(target=push)
        sender.start()
        recv_exactly(customer, total)
        sender.join(60)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
    rtts.sort()
    return Row(
        name,
        round(statistics.median(joins), 2),
        round(statistics.median(rtts), 1),
        round(rtts[int(len(rtts) * 0.95)], 1),
        round(total / seconds / 1e6, 1),
        round(cpu * 1000 / mib, 2),
    )


def handshakes(cert: Path, key: Path, pem: str, count: int = 20) -> dict[str, float]:
    """Median ms of one client handshake: the app's truststore context, stdlib's."""
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])

    def serve() -> None:
        for _ in range(2 * count):
            conn, _ = listener.accept()
            with contextlib.suppress(OSError), server.wrap_socket(conn, server_side=True) as s:
                s.recv(1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    stdlib = ssl.create_default_context(cadata=pem)
    policy = tls.TrustPolicy(ca_pem=pem)
    ways: dict[str, Callable[[socket.socket], ssl.SSLSocket]] = {
        "truststore": lambda s: tls.wrap(s, "127.0.0.1", "the relay", policy),
        "stdlib": lambda s: stdlib.wrap_socket(s, server_hostname="127.0.0.1"),
    }
    found = {}
    for name, wrap in ways.items():
        times = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            start = time.perf_counter()
            wrapped = wrap(sock)
            times.append((time.perf_counter() - start) * 1000)
            wrapped.close()
        found[name] = round(statistics.median(times), 2)
    thread.join(10)
    listener.close()
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mib", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    secret = secrets.token_hex(32)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cert, key, pem = self_signed(Path(tmp))
        tls.install(tls.TrustPolicy(ca_pem=pem))
        with relay(secret, [], 20) as port:
            rows.append(
                measure("plain", f"127.0.0.1:{port}", secret.encode(), args.mib, args.rounds)
            )
        with relay(secret, ["--cert", str(cert), "--key", str(key)], 20) as port:
            address = f"tls://127.0.0.1:{port}"
            rows.append(measure("tls", address, secret.encode(), args.mib, args.rounds))
        shakes = handshakes(cert, key, pem)
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows], "handshake_ms": shakes}))
        return
    print(
        f"{'relay':<6} {'join ms':>8} {'rtt us med':>11} {'rtt us p95':>11} {'MB/s':>8} "
        f"{'CPU ms/MiB':>11}"
    )
    for r in rows:
        print(
            f"{r.relay:<6} {r.join_ms:>8} {r.rtt_us_median:>11} {r.rtt_us_p95:>11} "
            f"{r.mb_s:>8} {r.cpu_ms_per_mib:>11}"
        )
    print("one client handshake, median ms: " + ", ".join(f"{k} {v}" for k, v in shakes.items()))


if __name__ == "__main__":
    main()
