"""The HTTP calls of both clients (``HelpdeskClient``, ``TicketClient``) and their errors.

Every call has a timeout. Failures are mapped to this branch of the error tree, so the UI
can tell "try later" from "you typed it wrong"::

    HelpdeskError                       (remoteapp.net.errors, under RemoteappError)
     ├── HelpdeskUnavailable            no answer: connection refused, timeout, 5xx
     │    ├── ServerNotTrusted          its TLS certificate does not verify
     │    └── NotTheApi                 a redirect, or a page that is not the API's answer
     ├── InsecureServer                 an http:// URL to another host, not allowed
     └── HelpdeskRejected               the server said no (4xx); .status, .message, .code
          ├── InvalidInput              400 / 422: a field is missing or malformed
          ├── NotAuthenticated          401: wrong credentials or expired token
          ├── NotAllowed                403: wrong password, or not your role
          ├── NotFound                  404
          ├── Conflict                  409: customer offline or already in a session
          └── RateLimited               429: too many failures; .retry_after seconds

``code`` is the server's stable machine-readable reason (``ErrorCode``, e.g.
``wrong-partner-password``): the app branches on it, never on the message, which is for
people. It is ``None`` when the answer had none (a real Movidesk, a proxy).

HTTPS is verified with ``remoteapp.net.tls`` (the system store plus the profile's pinned
CA, never ``certifi``'s bundle or ``REQUESTS_CA_BUNDLE``); ``http://`` is allowed to this
machine only, unless the profile says ``insecure: true``.
"""

from __future__ import annotations

import ssl
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from remoteapp.net import tls
from remoteapp.net.errors import HelpdeskError

DEFAULT_TIMEOUT_S: Final = 10.0
"""Seconds any call may take, unless it says otherwise (a long poll does)."""


class HelpdeskUnavailable(HelpdeskError):
    """The server could not be reached or failed (5xx); retrying later may work."""


class ServerNotTrusted(HelpdeskUnavailable):
    """The server's TLS certificate does not verify (unknown CA, expired, another name)."""


class NotTheApi(HelpdeskUnavailable):
    """Something answered that is not the API: a redirect (a write is never followed, it
    would turn into a GET) or a 2xx whose body is not the JSON the call expects, as a
    captive portal, proxy or firewall answers. Whether the request reached the API is
    unknown; retrying later may work."""


class InsecureServer(HelpdeskError):
    """An ``http://`` URL to another host, and the profile does not allow it."""


class HelpdeskRejected(HelpdeskError):
    """The server refused the request; retrying the same request will not help."""

    def __init__(
        self, status: int, message: str, code: str | None = None, *, answered: bool = True
    ) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.code = code
        """The server's ``ErrorCode`` value, or None if the answer carried none."""
        self.answered = answered
        """The refusal came as a JSON object, as an API answers: not a proxy's or a
        portal's page (which a retry, elsewhere or later, may well get past)."""


class InvalidInput(HelpdeskRejected):
    """400/422."""


class NotAuthenticated(HelpdeskRejected):
    """401."""


class NotAllowed(HelpdeskRejected):
    """403."""


class NotFound(HelpdeskRejected):
    """404."""


class Conflict(HelpdeskRejected):
    """409."""


class RateLimited(HelpdeskRejected):
    """429; ``retry_after`` says when to try again."""

    def __init__(
        self, status: int, message: str, retry_after: int, code: str | None = None
    ) -> None:
        super().__init__(status, message, code)
        self.retry_after = retry_after


_BY_STATUS: dict[int, type[HelpdeskRejected]] = {
    400: InvalidInput,
    422: InvalidInput,
    401: NotAuthenticated,
    403: NotAllowed,
    404: NotFound,
    409: Conflict,
}


class HttpCalls:
    """One server's base URL and connection pool; ``call`` maps every failure to the
    tree above."""

    def __init__(
        self, base_url: str, timeout_s: float, policy: tls.TrustPolicy | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.policy = policy
        """None: the installed policy (the profile's), looked up at each call."""
        self.http = verified_session(policy)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, *, timeout_s: float | None = None, **kwargs: Any) -> Any:
        try:
            response = self.http.request(
                method, self.base_url + path, timeout=timeout_s or self.timeout_s, **kwargs
            )
        except requests.exceptions.SSLError as exc:
            if tls.verification_error(exc) is not None:
                raise ServerNotTrusted(str(tls.not_trusted("the server", exc))) from exc
            raise HelpdeskUnavailable(f"{method} {path}: TLS failed: {exc}") from exc
        except requests.RequestException as exc:
            raise HelpdeskUnavailable(f"{method} {path}: {exc}") from exc
        if response.status_code >= 500:
            raise HelpdeskUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if 300 <= response.status_code < 400:  # not followed (``allow_redirects=False``)
            where = response.headers.get("Location", "nowhere")
            raise NotTheApi(f"{method} {path}: HTTP {response.status_code} to {where}")
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        if response.status_code >= 400:
            message = body.get("detail") if isinstance(body, dict) else None
            message = str(message or response.reason or "request refused")
            code = body.get("code") if isinstance(body, dict) else None
            code = str(code) if code else None
            if response.status_code == 429:
                raise RateLimited(429, message, _retry_after(response), code)
            cls = _BY_STATUS.get(response.status_code, HelpdeskRejected)
            raise cls(response.status_code, message, code, answered=isinstance(body, dict))
        return body


def check_url(url: str, policy: tls.TrustPolicy | None = None) -> None:
    """``InsecureServer`` for an ``http://`` URL to another host unless ``policy`` (the
    installed one by default) allows it; https and loopback pass."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "https":
        return
    try:
        tls.refuse_plain(parts.hostname or "", "the server", policy)
    except tls.InsecureRefused as exc:
        raise InsecureServer(str(exc)) from exc


class VerifiedAdapter(HTTPAdapter):
    """Every HTTPS connection verified with ``tls.client_context``, whatever ``verify``
    a caller or the environment passes (requests would load certifi's bundle into it)."""

    def __init__(self, policy: tls.TrustPolicy | None = None) -> None:
        self.policy = policy
        self._built: tuple[tls.TrustPolicy, ssl.SSLContext] | None = None
        super().__init__()

    def context(self) -> ssl.SSLContext:
        """This adapter's own context (``tls.client_context`` says why not a shared one),
        the same object while the policy stays: urllib3 keys its pools by it."""
        policy = self.policy or tls.current()
        if self._built is None or self._built[0] != policy:
            self._built = (policy, tls.client_context(policy))
        return self._built[1]

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self.context()
        super().init_poolmanager(*args, **kwargs)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host, pool = super().build_connection_pool_key_attributes(request, True, cert)
        pool.pop("ca_certs", None)
        pool.pop("ca_cert_dir", None)
        pool["cert_reqs"] = "CERT_REQUIRED"
        pool["ssl_context"] = self.context()
        return host, pool

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, False, cert)  # no CA file loaded into our context
        conn.cert_reqs = "CERT_REQUIRED"


class PlainAdapter(HTTPAdapter):
    """``http://`` only where ``check_url`` allows it: checked at every request, so a
    redirect from an https server to a plain URL elsewhere is refused too."""

    def __init__(self, policy: tls.TrustPolicy | None = None) -> None:
        self.policy = policy
        super().__init__()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        check_url(request.url or "", self.policy)
        return super().send(request, *args, **kwargs)


def verified_session(policy: tls.TrustPolicy | None = None) -> requests.Session:
    """A ``requests.Session`` whose HTTPS goes through ``VerifiedAdapter`` and whose
    plain HTTP through ``PlainAdapter``."""
    session = requests.Session()
    session.mount("https://", VerifiedAdapter(policy))
    session.mount("http://", PlainAdapter(policy))
    return session


def _retry_after(response: requests.Response) -> int:
    """Seconds from ``Retry-After`` (1 if missing or not a number of seconds)."""
    try:
        return max(1, int(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1
