"""Relay addresses as the server hands them out, parsed in one place.

``host:port`` (``[v6]:port`` too) is a plain TCP relay; ``tls://host:port`` is a relay
that speaks TLS (``remoteapp-relay --cert``), whose certificate the app verifies for
``host``. The server hands out the ``tls://`` form when its relay has a certificate.
"""

from __future__ import annotations

import ipaddress
from typing import Final, NamedTuple

TLS_SCHEME: Final = "tls://"
LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain"})


class RelayAddress(NamedTuple):
    host: str
    port: int
    tls: bool


def parse_address(address: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` too) -> (host, port); ValueError when it is not one
    (a ``tls://`` address too: its caller must speak TLS, see ``parse_relay_address``)."""
    host, sep, port = address.strip().rpartition(":")
    if "/" in host or not sep or not host or not _is_port(port):
        raise ValueError(f"address {address!r} is not host:port")
    return host.strip("[]"), int(port)


def parse_relay_address(address: str) -> RelayAddress:
    """``host:port`` or ``tls://host:port``; ValueError when it is neither."""
    text = address.strip()
    tls = text[: len(TLS_SCHEME)].lower() == TLS_SCHEME
    host, port = parse_address(text[len(TLS_SCHEME) :] if tls else text)
    return RelayAddress(host, port, tls)


def relay_address(host: str, port: int, *, tls: bool) -> str:
    """The address the server hands out for a relay at ``host:port``."""
    shown = f"[{host}]" if ":" in host else host
    return f"{TLS_SCHEME if tls else ''}{shown}:{port}"


def is_loopback(host: str) -> bool:
    """This machine: ``localhost`` or a loopback address (127/8, ``::1``). Names are not
    resolved: only what is loopback by its spelling counts (DNS could say anything)."""
    name = host.strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and 0 < int(text) < 65536
