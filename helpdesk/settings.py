"""Server tunables. Environment variables exist so tests can shrink the timeouts."""

from __future__ import annotations

import functools
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk.clock import Clock
from helpdesk.keys import ServerKeys

DEFAULT_TIME_ZONE = "America/Sao_Paulo"


class BadTimeZone(ValueError):
    """``REMOTEAPP_TIME_ZONE`` names no time zone this machine knows."""


def desk_zone(name: str) -> ZoneInfo:
    """The zone ``name`` (an IANA name such as ``America/Sao_Paulo``) or BadTimeZone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # (a path-like name: ValueError)
        raise BadTimeZone(
            f"REMOTEAPP_TIME_ZONE: no time zone {name!r} on this machine (an IANA name, "
            "such as America/Sao_Paulo; Debian: apt-get install tzdata)"
        ) from exc


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


@dataclass
class Settings:
    """Everything the API needs besides the database; built once by ``helpdesk.cli``."""

    secret: bytes
    """The relay secret, shared with the relays: the keys of session tokens and relay
    reports derive from it (``remotewire.shared_secret``). Nothing else does."""
    server_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    """Never leaves the server: logins, console cookies and connect codes are keyed from it
    (``keys``). ``helpdesk.cli`` passes the persisted one; the random default suits
    throwaway settings only."""
    relay_address: str = "127.0.0.1:8765"
    presence_lapse_s: float = field(
        default_factory=lambda: _env_float("REMOTEAPP_PRESENCE_LAPSE_S", 30.0)
    )
    poll_wait_s: float = field(default_factory=lambda: _env_float("REMOTEAPP_POLL_WAIT_S", 25.0))
    rate_window_s: float = field(
        default_factory=lambda: _env_float("REMOTEAPP_RATE_WINDOW_S", 60.0)
    )
    rate_max_failures: int = 6
    rotate_after_failures: int = 10
    token_ttl_s: int = field(default_factory=lambda: int(_env_float("REMOTEAPP_TOKEN_TTL_S", 120)))
    relay_lapse_s: float = field(
        default_factory=lambda: _env_float("REMOTEAPP_RELAY_LAPSE_S", 20.0)
    )
    sweep_s: float = field(default_factory=lambda: _env_float("REMOTEAPP_SWEEP_S", 2.0))
    body_timeout_s: float = field(
        default_factory=lambda: _env_float("REMOTEAPP_BODY_TIMEOUT_S", 15.0)
    )
    """The longest a request body may take to arrive, all of it (``RequestLimits``): a
    relay's 6 MiB heartbeat needs well under that on any link a relay runs on."""
    register_per_address: int = field(
        default_factory=lambda: int(_env_float("REMOTEAPP_REGISTER_PER_ADDRESS", 30))
    )
    """Registrations one source address (an IPv6 /64) may make per ``register_window_s``."""
    register_per_app: int = field(
        default_factory=lambda: int(_env_float("REMOTEAPP_REGISTER_PER_APP", 600))
    )
    """Registrations into one app's queue, from anywhere, per ``register_window_s``."""
    register_window_s: float = 60.0
    presence_retention_s: float = field(
        default_factory=lambda: _env_float("REMOTEAPP_PRESENCE_RETENTION_S", 30 * 86400.0)
    )
    """A customer device silent this long, and never in a session, is forgotten."""
    login_ttl_s: int = 12 * 3600
    clock: Clock = field(default_factory=Clock)
    """What every time rule reads; tests pass one they move (tests/helpdesk/conftest.py)."""
    data_dir: Path | None = None
    """Where the distribution lives (profile key, update repository); None: no downloads."""
    allowed_hosts: tuple[str, ...] = field(
        default_factory=lambda: tuple(
            name.strip()
            for name in os.environ.get("REMOTEAPP_ALLOWED_HOSTS", "").split(",")
            if name.strip()
        )
    )
    """Host names the HTTP API answers to besides IP addresses, ``localhost`` and the
    relay's public host (``--public-host``); ``*``: any (helpdesk.middleware.HostCheck)."""

    time_zone: str = field(
        default_factory=lambda: os.environ.get("REMOTEAPP_TIME_ZONE") or DEFAULT_TIME_ZONE
    )
    """The desk's time zone: where its days start ("sessions today", the daily chart)
    and the zone the console shows times in. The database keeps UTC."""

    @functools.cached_property
    def zone(self) -> ZoneInfo:
        return desk_zone(self.time_zone)

    @functools.cached_property
    def keys(self) -> ServerKeys:
        """The server's own keys, one per purpose (``helpdesk.keys``)."""
        return ServerKeys.derive(self.server_secret)

    @property
    def poll_max_s(self) -> float:
        """The longest a poll is held: a third of the presence lapse stays as slack for
        the next poll to arrive (late under load) before the customer would lapse."""
        return min(self.poll_wait_s, self.presence_lapse_s * 2 / 3)
