"""The relay's tunables (``RelayConfig``): listening address and TLS, the timeouts of the
pairing protocol, per-session bandwidth and buffers, reporting to the helpdesk and the
region it places sessions from."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from remoterelay.reporting import Reporter


@dataclass
class RelayConfig:
    """Tunables; defaults suit production, tests shrink the timeouts."""

    secret: bytes
    host: str = "127.0.0.1"
    port: int = 0
    ssl_context: ssl.SSLContext | None = None
    park_timeout_s: float = 30.0
    first_frame_timeout_s: float = 5.0
    idle_timeout_s: float = 300.0
    bandwidth_bps: int | None = None
    """Per-session cap in bytes/s over both directions; None means unlimited."""
    chunk: int = 64 * 1024
    write_high_water: int = 256 * 1024
    nonce_capacity: int = 100_000
    heartbeat_s: float = 5.0
    reporter: Reporter | None = None
    ended_capacity: int = 100_000
    """Sessions the helpdesk ended, remembered (oldest forgotten first) so their tokens are
    refused; a token outlives its session by at most the token TTL, so this only needs
    to cover that long."""
    refusals_logged_per_source: int = 5
    refusal_summary_s: float = 60.0
    public_address: str | None = None
    """Where apps reach this relay (``host:port`` or ``tls://host:port``), sent with each
    heartbeat so the helpdesk can place sessions here; None: none are placed here."""
    region: str = "default"
    """The region the helpdesk places this relay's sessions from (an app's region)."""
