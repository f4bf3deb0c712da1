"""The agent's ticket client: with no ticket token configured (a deployed app: its
public profile carries none) and the ticket API being the helpdesk server's own, ticket
calls go as the logged-in agent (``LoginTicketClient``, the login's bearer). The bearer
only ever goes to the server it came from, never to a real Movidesk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from remoteapp.net.helpdesk import HelpdeskClient
from remoteapp.net.helpdesk_http import DEFAULT_TIMEOUT_S, HttpCalls
from remoteapp.net.ticket_client import TicketClient


class LoginCalls(HttpCalls):
    """``HttpCalls`` that authenticate with a login's bearer, read at each call (so a
    logout ends it at once, without sending anything), instead of the ``token`` query
    parameter, which is left out."""

    def __init__(self, base_url: str, timeout_s: float, auth: Callable[[], dict[str, str]]) -> None:
        super().__init__(base_url, timeout_s)
        self.auth = auth

    def call(self, method: str, path: str, *, timeout_s: float | None = None, **kwargs: Any) -> Any:
        params = kwargs.pop("params", None) or {}
        kwargs["params"] = {k: v for k, v in params.items() if k != "token"}
        kwargs["headers"] = {**(kwargs.pop("headers", None) or {}), **self.auth()}
        return super().call(method, path, timeout_s=timeout_s, **kwargs)


class LoginTicketClient(TicketClient):
    """This server's ticket API as the agent logged in with ``client``: what a deployed
    app uses, having no ticket token; the server scopes it to the agent's apps."""

    def __init__(self, client: HelpdeskClient, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        calls = LoginCalls(client.base_url, timeout_s, client._auth)
        super().__init__(client.base_url, "", timeout_s=timeout_s, http=calls)


def server_key(url: str) -> tuple[Any, ...] | None:
    """What names a server in a base URL (scheme, user, host, port, path; case of scheme
    and host and a default port aside); None: unparsable."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    path = parts.path.rstrip("/")
    return (scheme, parts.username, parts.password, host, port, path, parts.query)


def same_server(a: str, b: str) -> bool:
    """Whether two base URLs name the same server (``server_key``). Unsure: False."""
    first = server_key(a)
    return first is not None and bool(first[3]) and first == server_key(b)


def agent_tickets(
    client: HelpdeskClient,
    ticket_api_url: str | None,
    token: str | None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> TicketClient:
    """The ticket client of the agent logged in with ``client``. A configured ``token``
    goes to ``ticket_api_url`` (default: the server), as always. Without one, the server's
    own ticket API is called with the agent's login; a foreign ``ticket_api_url`` (a real
    Movidesk) never gets the login, only the (empty) token it was configured with."""
    url = ticket_api_url or client.base_url
    if token or not same_server(url, client.base_url):
        return TicketClient(url, token or "", timeout_s=timeout_s)
    return LoginTicketClient(client, timeout_s=timeout_s)
