"""Typed HTTP client for the helpdesk server (``HelpdeskClient``), what the agent and the
customer apps ask of it. The HTTP plumbing and the error tree are in
``remoteapp.net.helpdesk_http``; the ticket API's client in ``remoteapp.net.ticket_client``.
Both are re-exported here, where the app looks for them.

A session's grant (agent) and offer (customer) carry its end-to-end secrets
(``remotewire.session_keys``): ``salt`` always, ``psk`` unless ``via`` is ``"password"``.
An answer whose secrets are missing or malformed raises ``UnsafeSessionAnswer`` (a
``HelpdeskRejected``): the session is never started without them, never in plaintext.
In a long poll such an offer comes back apart (``PollResult.unusable``), so the rest of
the poll still counts.

The agent's ticket client, a token's or its login's: ``remoteapp.net.agent_tickets``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, cast

from remoteapp.net.helpdesk_http import (
    DEFAULT_TIMEOUT_S,
    Conflict,
    HelpdeskRejected,
    HelpdeskUnavailable,
    HttpCalls,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    RateLimited,
)
from remoteapp.net.ticket_client import TicketClient, session_action
from remotewire.address import parse_relay_address
from remotewire.connect_codes import normalize as normalize_code
from remotewire.constants import MAX_PARTY_REASON, session_id_in
from remotewire.error_codes import ErrorCode
from remotewire.relay_join import MAX_CONTROL_FRAME
from remotewire.session_keys import PSK_BYTES, SALT_BYTES, VIAS, decode, needs_psk

__all__ = [
    "Conflict",
    "ErrorCode",
    "HelpdeskClient",
    "HelpdeskRejected",
    "HelpdeskUnavailable",
    "InvalidInput",
    "NotAllowed",
    "NotAuthenticated",
    "NotFound",
    "RateLimited",
    "TicketClient",
    "UnsafeSessionAnswer",
    "UnusableOffer",
    "session_action",
    "session_id_in",
]


_SESSION_ID: Final = re.compile(r"[0-9A-Za-z_-]{1,40}")  #: safe in a URL path


@dataclass(frozen=True, slots=True)
class Registration:
    partner_id: str
    password: str
    presence_key: str
    poll_wait_s: float


class UnsafeSessionAnswer(HelpdeskRejected):
    """The server's grant or offer lacks valid end-to-end secrets (``via``, ``salt``,
    ``psk``): an old or broken server. The session must not start."""

    def __init__(self, detail: str) -> None:
        super().__init__(502, f"the server's session answer is unusable: {detail}")


def session_route(body: dict[str, Any]) -> tuple[str, str]:
    """A grant's or offer's relay address and token, checked; else
    ``UnsafeSessionAnswer``: a garbled one (a lone surrogate, a number, an address that
    is no ``host:port``) escaped the relay dialer as a foreign error and stopped the
    customer's presence thread for good."""
    relay, token = body.get("relay"), body.get("token")
    if not isinstance(token, str) or not token.isascii() or not token.isprintable():
        raise UnsafeSessionAnswer("bad 'token'")
    if not 0 < len(token) <= MAX_CONTROL_FRAME:
        raise UnsafeSessionAnswer(f"a 'token' of {len(token)} characters")
    if not isinstance(relay, str) or not relay.isascii() or not relay.isprintable():
        raise UnsafeSessionAnswer("bad 'relay'")
    try:
        parse_relay_address(relay)
    except ValueError as exc:
        raise UnsafeSessionAnswer(f"bad 'relay' {relay[:80]!r}") from exc
    return relay, token


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """A session's end-to-end secrets as the server handed them out."""

    via: str  #: "password", "queue" or "code"
    salt: bytes  #: SALT_BYTES, mixed into the session key
    psk: bytes | None  #: PSK_BYTES on queue/code sessions, None on password sessions


def session_keys(body: dict[str, Any]) -> SessionKeys:
    """The secrets of a grant or offer, checked; else ``UnsafeSessionAnswer``."""
    via = body.get("via")
    if not isinstance(via, str) or via not in VIAS:
        raise UnsafeSessionAnswer(f"unknown 'via' {via!r}")
    try:
        salt = decode(body.get("salt"), SALT_BYTES)
        psk = decode(body.get("psk"), PSK_BYTES) if needs_psk(via) else None
    except ValueError as exc:
        raise UnsafeSessionAnswer(f"bad 'salt' or 'psk': {exc}") from exc
    if psk is None and body.get("psk") is not None:
        raise UnsafeSessionAnswer("a password session must not carry a 'psk'")
    return SessionKeys(via, salt, psk)


@dataclass(frozen=True, slots=True)
class SessionOffer:
    session_id: str
    relay: str
    token: str
    agent: str
    partner_id: str  #: the customer's own ID (bound into the channel's prologue)
    via: str
    salt: bytes
    psk: bytes | None


@dataclass(frozen=True, slots=True)
class UnusableOffer:
    """A session offer whose secrets were missing or malformed: never joined."""

    session_id: str
    reason: str  #: what was wrong (``UnsafeSessionAnswer``'s message)


@dataclass(frozen=True, slots=True)
class PollResult:
    password: str
    """Current password: it rotates after sessions and failures, so the UI re-reads it."""
    offers: tuple[SessionOffer, ...]
    unusable: tuple[UnusableOffer, ...] = ()
    """Offers refused here; the server already counts them delivered, so the customer
    ends them (``end_session``) rather than leave them hanging until they expire."""


@dataclass(frozen=True, slots=True)
class QueueEntry:
    queue_ref: str
    name: str
    organization: str | None
    classification: str | None
    waiting_since: str
    partner_id: str | None
    """Only for app administrators, like ``password``."""
    password: str | None
    waiting_s: int | None = None
    """How long the customer had waited when the server answered, by the server's own
    clock: this machine's may be hours off (None: a server that does not say)."""


@dataclass(frozen=True, slots=True)
class SessionInProgress:
    session_id: str
    agent: str
    mine: bool  #: the caller's own session
    customer: str
    organization: str | None
    connected_at: str | None
    duration_s: int
    connecting: bool = False  #: offered, not yet paired at the relay


@dataclass(frozen=True, slots=True)
class SessionGrant:
    session_id: str
    relay: str
    token: str
    partner_id: str
    via: str  #: "password", "queue" or "code"
    salt: bytes  #: remotewire.session_keys.SALT_BYTES
    psk: bytes | None  #: PSK_BYTES unless via == "password"


@dataclass(frozen=True, slots=True)
class SessionState:
    session_id: str
    state: str
    end_reason: str | None
    connected_at: str | None
    ended_at: str | None
    customer: str = ""  #: the name the customer gave, if any
    partner_id: str = ""


class HelpdeskClient:
    """What the agent and customer apps ask of the helpdesk server."""

    def __init__(self, base_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._http = HttpCalls(base_url, timeout_s)
        self.bearer: str | None = None

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def close(self) -> None:
        self._http.close()

    def _auth(self) -> dict[str, str]:
        if self.bearer is None:
            raise NotAuthenticated(401, "log in first")
        return {"Authorization": f"Bearer {self.bearer}"}

    # agents and administrators
    def login(self, email: str, password: str) -> dict[str, Any]:
        body = self._http.call("POST", "/api/login", json={"email": email, "password": password})
        self.bearer = str(body["token"])
        return cast(dict[str, Any], body["user"])

    def logout(self) -> bool:
        """``POST /api/logout``: the server ends every login of this user (every device).
        Never raises, as logging out must work offline too; False when the server was not
        told. The bearer is forgotten here either way."""
        if self.bearer is None:
            return False
        try:
            self._http.call("POST", "/api/logout", headers=self._auth())
        except (HelpdeskRejected, HelpdeskUnavailable):
            return False
        finally:
            self.bearer = None
        return True

    def me(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._http.call("GET", "/api/me", headers=self._auth()))

    def app_profile(self, app_id: str) -> dict[str, Any]:
        return cast(dict[str, Any], self._http.call("GET", f"/api/apps/{app_id}"))

    def queue(self, app_id: str) -> list[QueueEntry]:
        body = self._http.call("GET", f"/api/apps/{app_id}/queue", headers=self._auth())
        return [
            QueueEntry(
                queue_ref=w["queue_ref"],
                name=w["name"],
                organization=w.get("organization"),
                classification=w.get("classification"),
                waiting_since=w["waiting_since"],
                partner_id=w.get("partner_id"),
                password=w.get("password"),
                waiting_s=n if isinstance(n := w.get("waiting_s"), int) and n >= 0 else None,
            )
            for w in body["waiting"]
        ]

    def sessions_in_progress(self, app_id: str) -> list[SessionInProgress]:
        body = self._http.call("GET", f"/api/apps/{app_id}/sessions", headers=self._auth())
        return [
            SessionInProgress(
                session_id=str(s["session_id"]),
                agent=str(s.get("agent") or ""),
                mine=bool(s.get("mine")),
                customer=str(s.get("customer") or ""),
                organization=s.get("organization"),
                connected_at=s.get("connected_at"),
                duration_s=int(s.get("duration_s") or 0),
                connecting=s.get("connecting") is True,
            )
            for s in body["sessions"]
        ]

    def indicators(self, app_id: str) -> dict[str, Any]:
        return cast(
            dict[str, Any],
            self._http.call("GET", f"/api/apps/{app_id}/indicators", headers=self._auth()),
        )

    def connect(self, partner_id: str, password: str) -> SessionGrant:
        return self._grant({"partner_id": partner_id, "password": password})

    def connect_from_queue(self, queue_ref: str) -> SessionGrant:
        return self._grant({"queue_ref": queue_ref})

    def connect_with_code(self, code: str) -> SessionGrant:
        """A connect code copied from the console (``remotewire.connect_codes``): no
        partner password. Refusals: ``NotAllowed`` with ``connect-code-expired`` or
        ``bad-connect-code``."""
        return self._grant({"code": normalize_code(code)}, "/api/sessions/by-code")

    def _grant(self, payload: dict[str, str], path: str = "/api/sessions") -> SessionGrant:
        body = self._http.call("POST", path, json=payload, headers=self._auth())
        keys = session_keys(body)
        relay, token = session_route(body)
        return SessionGrant(
            body["session_id"],
            relay,
            token,
            body["partner_id"],
            keys.via,
            keys.salt,
            keys.psk,
        )

    def session_state(self, session_id: str, *, presence_key: str | None = None) -> SessionState:
        body = self._http.call(
            "GET", f"/api/sessions/{session_id}", headers=self._party(presence_key)
        )
        return self._state(body)

    def end_session(
        self, session_id: str, reason: str = "ended-by-user", *, presence_key: str | None = None
    ) -> SessionState:
        """End from either side; the agent uses its login, the customer its presence key.
        The reason is cut to what the server keeps (``MAX_PARTY_REASON``)."""
        body = self._http.call(
            "POST",
            f"/api/sessions/{session_id}/end",
            json={"reason": reason[:MAX_PARTY_REASON]},
            headers=self._party(presence_key),
        )
        return self._state(body)

    def _party(self, presence_key: str | None) -> dict[str, str]:
        return {"X-Presence-Key": presence_key} if presence_key else self._auth()

    @staticmethod
    def _state(body: dict[str, Any]) -> SessionState:
        return SessionState(
            body["session_id"],
            body["state"],
            body.get("end_reason"),
            body.get("connected_at"),
            body.get("ended_at"),
            str(body.get("customer") or ""),
            str(body.get("partner_id") or ""),
        )

    # customers
    def register(
        self,
        app_id: str,
        device_id: str,
        fields: dict[str, str],
        custom: dict[str, str] | None = None,
    ) -> Registration:
        """``POST /api/presence``. A client that holds a login registers the agent's own
        presence (the agent app's: colleagues connect to the agent by ID and password),
        which the server keeps out of the customers' queue; a login it refuses raises
        ``NotAuthenticated``, never registers a customer instead."""
        body = self._http.call(
            "POST",
            "/api/presence",
            json={
                "app_id": app_id,
                "device_id": device_id,
                "fields": fields,
                "custom": custom or {},
            },
            headers=self._auth() if self.bearer is not None else None,
        )
        return Registration(
            body["partner_id"], body["password"], body["presence_key"], float(body["poll_wait_s"])
        )

    def leave(self, partner_id: str, presence_key: str) -> None:
        """Leave the queue at once (the app is closing)."""
        self._http.call(
            "DELETE", f"/api/presence/{partner_id}", headers={"X-Presence-Key": presence_key}
        )

    def poll(self, partner_id: str, presence_key: str, wait_s: float = 25.0) -> PollResult:
        """Long poll; the HTTP timeout is the wait plus the normal timeout."""
        body = self._http.call(
            "GET",
            f"/api/presence/{partner_id}/events",
            params={"wait": wait_s},
            headers={"X-Presence-Key": presence_key},
            timeout_s=wait_s + self._http.timeout_s,
        )
        offers: list[SessionOffer] = []
        unusable: list[UnusableOffer] = []
        for event in body["events"]:
            if event.get("type") != "session-offer":
                continue
            try:  # one garbled offer must not cost the others, nor the password
                offers.append(self._offer(event, str(body["partner_id"])))
            except UnsafeSessionAnswer as exc:
                session_id = event.get("session_id")
                if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
                    raise  # nothing to name, so nothing to end: the poll fails
                unusable.append(UnusableOffer(session_id, exc.message))
        return PollResult(body["password"], tuple(offers), tuple(unusable))

    @staticmethod
    def _offer(event: dict[str, Any], partner_id: str) -> SessionOffer:
        keys = session_keys(event)
        relay, token = session_route(event)
        return SessionOffer(
            event["session_id"],
            relay,
            token,
            event["agent"],
            partner_id,
            keys.via,
            keys.salt,
            keys.psk,
        )
