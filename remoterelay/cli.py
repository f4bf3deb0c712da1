"""``remoteapp-relay``: run a relay alone (e.g. on another host with the same secret),
and the relay's command-line options, which ``remoteapp-server`` shares."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import ssl
from collections.abc import Sequence
from pathlib import Path

from remoterelay.reporter import HttpReporter
from remoterelay.reporting import Reporter
from remoterelay.server import Relay, RelayConfig
from remotewire.address import TLS_SCHEME, parse_relay_address
from remotewire.shared_secret import SecretMissing, load_secret


def build_ssl_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    if not cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def own_cert(cert: str | None) -> ssl.SSLContext | None:
    """A client context that trusts exactly our own certificate (None without one): the
    embedded relay reports to its own process over loopback, where the URL's host is not
    the name in the certificate, so the certificate itself is the trust anchor."""
    if not cert:
        return None
    context = ssl.create_default_context(cafile=cert)
    context.check_hostname = False
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # a CA-issued leaf as the anchor
    return context


def add_relay_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--relay-host", default="0.0.0.0")
    parser.add_argument(
        "--cert",
        help="TLS certificate chain (PEM): the relay (and remoteapp-server's HTTP) "
        "speak TLS; plain without it",
    )
    parser.add_argument("--key", help="TLS private key (PEM) of --cert")
    parser.add_argument("--park-timeout", type=float, default=30.0)
    parser.add_argument("--first-frame-timeout", type=float, default=5.0)
    parser.add_argument("--idle-timeout", type=float, default=300.0)
    parser.add_argument("--bandwidth", type=int, default=None, help="per-session cap in bytes/s")
    parser.add_argument("--heartbeat", type=float, default=5.0)


def config_from_args(
    args: argparse.Namespace, secret: bytes, port: int, reporter: Reporter | None
) -> RelayConfig:
    return RelayConfig(
        secret=secret,
        host=args.relay_host,
        port=port,
        ssl_context=build_ssl_context(args.cert, args.key),
        park_timeout_s=args.park_timeout,
        first_frame_timeout_s=args.first_frame_timeout,
        idle_timeout_s=args.idle_timeout,
        bandwidth_bps=args.bandwidth,
        heartbeat_s=args.heartbeat,
        reporter=reporter,
    )


async def run_until_signalled(relay: Relay) -> None:
    """Serve until SIGINT/SIGTERM, then close sessions cleanly (reported as relay-shutdown)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await relay.start()
    await stop.wait()
    await relay.close()


def main(argv: Sequence[str] | None = None) -> None:
    """``remoteapp-relay``: run the relay alone, reporting to a helpdesk if one is given."""
    parser = argparse.ArgumentParser(prog="remoteapp-relay", description=main.__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--secret-file", help="file holding the secret shared with helpdesk")
    parser.add_argument("--helpdesk-url", help="e.g. http://127.0.0.1:8080; no reports without")
    parser.add_argument(
        "--helpdesk-ca", help="CA (PEM) that an https:// helpdesk's certificate chains to"
    )
    parser.add_argument(
        "--public-address",
        help="host:port (tls://host:port) apps reach this relay at, sent with its "
        "heartbeats: the helpdesk places sessions on it (none without)",
    )
    parser.add_argument(
        "--region", default="default", help="sessions of apps of this region come here"
    )
    add_relay_arguments(parser)
    args = parser.parse_args(argv)
    public = fleet_address(args.public_address, tls=bool(args.cert))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        secret = load_secret(Path(args.secret_file) if args.secret_file else None)
    except SecretMissing as exc:
        raise SystemExit(f"remoteapp-relay: {exc}") from exc
    context = ssl.create_default_context(cafile=args.helpdesk_ca) if args.helpdesk_ca else None
    reporter = (
        HttpReporter(args.helpdesk_url, secret, context=context) if args.helpdesk_url else None
    )
    config = config_from_args(args, secret, args.port, reporter)
    config.public_address, config.region = public, args.region
    asyncio.run(run_until_signalled(Relay(config)))


def fleet_address(address: str | None, *, tls: bool) -> str | None:
    """``--public-address`` as handed to apps: ``tls://`` added for a relay with a
    certificate; SystemExit with the reason when it is not an address."""
    if address is None:
        return None
    if tls and not address.lower().startswith(TLS_SCHEME):
        address = TLS_SCHEME + address
    try:
        parse_relay_address(address)
    except ValueError as exc:
        raise SystemExit(f"remoteapp-relay: --public-address: {exc}") from exc
    return address


if __name__ == "__main__":
    main()
