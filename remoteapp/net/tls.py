"""TLS for everything the desktop app dials: the one place that makes the client context.

Certificates are verified against the operating system's trust store (``truststore``:
the Keychain on macOS, CryptoAPI on Windows, the system CA bundle on Linux), plus an
optional CA that the app's profile pins (a company's private CA), with host names
checked. Plain connections are refused to anything but this machine (loopback) unless
the profile says ``insecure: true``; the windows then show a warning
(``remoteapp.ui.widgets.InsecureNotice``).

The policy is the profile's, installed once at start (``install``) before anything is
dialled, so the many ``HelpdeskClient(url)`` and ``relay_link.join`` call sites stay as
they are; a caller may pass its own ``TrustPolicy`` instead (tests, the signed-profile
fetch that runs before any profile is known).

Cost: on Linux ``truststore`` loads the system CA bundle again at every handshake: one
handshake took 33 ms against 0.9 ms with a standard-library context in the same run of
``bench/tls_relay.py`` (loaded machine). That is once per relay join and once per new
HTTP connection (``requests`` keeps them alive), never per request or per frame; in
exchange the system store is found wherever the distribution keeps it, also from a
frozen build whose bundled OpenSSL has other default paths.

Errors (``TlsError`` is an ``OSError`` too, so code that handles a failed connection
handles these, and shows their message)::

    RemoteappError
     └── TlsError                   a connection could not be made safely
          ├── NotTrusted            the peer's certificate does not verify (unknown CA,
          │                         expired, another host's name)
          ├── InsecureRefused       a plain (unencrypted) address to another host
          └── PinnedCaUnusable      the profile's pinned CA is not a PEM certificate
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

import truststore

from remotewire.address import is_loopback
from remotewire.errors import RemoteappError


class TlsError(RemoteappError, OSError):
    """A connection could not be made safely; the message says why, for people."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "TLS failed"


class NotTrusted(TlsError):
    """The peer's certificate did not verify."""


class InsecureRefused(TlsError):
    """A plain connection to another host, and the profile does not allow it."""


class PinnedCaUnusable(TlsError):
    """The pinned CA in the profile cannot be loaded."""


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """What the profile says about TLS: an extra CA to trust, and whether plain
    connections to other hosts are allowed."""

    ca_pem: str | None = None
    """PEM text of a CA (or several) trusted besides the system store."""
    insecure: bool = False
    """Allow ``http://`` and plain relays to hosts other than this machine."""


_installed: list[TrustPolicy] = [TrustPolicy()]


def install(policy: TrustPolicy) -> None:
    """Make ``policy`` the app's (at start, from the profile, before anything dials)."""
    client_context(policy)  # a bad pinned CA fails now, not at the first connection
    _installed[0] = policy


def current() -> TrustPolicy:
    """The installed policy (the default one: system store, no plain connections)."""
    return _installed[0]


def client_context(policy: TrustPolicy | None = None) -> ssl.SSLContext:
    """A new verifying client context of ``policy`` (the installed one by default).

    Not shared between unrelated connections: ``truststore`` holds a lock per context
    around ``wrap_socket``, handshake included, so one server that is slow to answer
    would hold up every other connection of the app (the relay join behind a stuck
    HTTPS handshake). Making one costs well under a millisecond (truststore loads the
    system store at each handshake anyway)."""
    policy = policy or current()
    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, host names
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if policy.ca_pem:
        try:
            context.load_verify_locations(cadata=policy.ca_pem)
        except (ssl.SSLError, ValueError) as exc:
            raise PinnedCaUnusable(f"the pinned CA in the app profile is unusable: {exc}") from exc
    return context


def refuse_plain(host: str, what: str, policy: TrustPolicy | None = None) -> None:
    """``InsecureRefused`` unless a plain connection to ``host`` is allowed: it is this
    machine, or the profile says ``insecure: true``."""
    if not (is_loopback(host) or (policy or current()).insecure):
        raise InsecureRefused(
            f"{what} at {host} is not encrypted (plain TCP or http://), and the app profile "
            "does not allow that (insecure: true)"
        )


def wrap(
    sock: socket.socket, host: str, what: str, policy: TrustPolicy | None = None
) -> ssl.SSLSocket:
    """Run the TLS handshake on a connected socket (its timeout bounds it) and verify the
    certificate for ``host``; ``what`` names the peer in the error ("the relay")."""
    context = client_context(policy)
    # the handshake outside truststore's lock (it verifies in do_handshake then)
    tls_sock = context.wrap_socket(
        sock, server_hostname=host.strip("[]"), do_handshake_on_connect=False
    )
    try:
        tls_sock.do_handshake()
    except ssl.SSLCertVerificationError as exc:
        tls_sock.close()
        raise not_trusted(what, exc) from exc
    except ssl.SSLError as exc:
        tls_sock.close()
        raise TlsError(f"TLS with {what} failed: {exc.reason or exc}") from exc
    except BaseException:
        tls_sock.close()
        raise
    return tls_sock


def not_trusted(what: str, exc: BaseException) -> NotTrusted:
    """The clear error for a failed verification found anywhere in ``exc``'s causes."""
    found = verification_error(exc)
    reason = (found.verify_message if found is not None else None) or str(exc)
    return NotTrusted(f"{what}'s certificate is not trusted ({reason})")


def verification_error(exc: BaseException | None) -> ssl.SSLCertVerificationError | None:
    """The certificate failure behind a library's wrapped exception, if there is one."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLCertVerificationError):
            return item
        reason = getattr(item, "reason", None)  # urllib3's MaxRetryError
        todo += [item.__cause__, item.__context__, *item.args, reason]
    return None
