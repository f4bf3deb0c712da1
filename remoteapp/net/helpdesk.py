"""Typed HTTP client for the helpdesk server (``HelpdeskClient``) and for a Movidesk-shaped
ticket API (``TicketClient``), which may be this server or a real Movidesk account.

Every call has a timeout. Failures are mapped to this branch of the error tree, so the UI
can tell "try later" from "you typed it wrong"::

    HelpdeskError                       (remoteapp.net.errors, under RemoteappError)
     ├── HelpdeskUnavailable            no answer: connection refused, timeout, 5xx
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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

import requests

from remoteapp.net.errors import HelpdeskError
from remotewire.connect_codes import normalize as normalize_code
from remotewire.constants import (
    MAX_PARTY_REASON,
    REMOTE_ACCESS_ORIGIN,
    SESSION_MARKER,
    session_id_in,
)
from remotewire.error_codes import ErrorCode

# re-exported: the UI branches on error codes; the outbox and tests find actions by marker
__all__ = ["ErrorCode", "session_id_in"]

DEFAULT_TIMEOUT_S: Final = 10.0


class HelpdeskUnavailable(HelpdeskError):
    """The server could not be reached or failed (5xx); retrying later may work."""


class HelpdeskRejected(HelpdeskError):
    """The server refused the request; retrying the same request will not help."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.code = code
        """The server's ``ErrorCode`` value, or None if the answer carried none."""


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


@dataclass(frozen=True, slots=True)
class Registration:
    partner_id: str
    password: str
    presence_key: str
    poll_wait_s: float


@dataclass(frozen=True, slots=True)
class SessionOffer:
    session_id: str
    relay: str
    token: str
    agent: str


@dataclass(frozen=True, slots=True)
class PollResult:
    password: str
    """Current password: it rotates after sessions and failures, so the UI re-reads it."""
    offers: tuple[SessionOffer, ...]


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


@dataclass(frozen=True, slots=True)
class SessionInProgress:
    session_id: str
    agent: str
    mine: bool  #: the caller's own session
    customer: str
    organization: str | None
    connected_at: str | None
    duration_s: int


@dataclass(frozen=True, slots=True)
class SessionGrant:
    session_id: str
    relay: str
    token: str
    partner_id: str


@dataclass(frozen=True, slots=True)
class SessionState:
    session_id: str
    state: str
    end_reason: str | None
    connected_at: str | None
    ended_at: str | None
    customer: str = ""  #: the name the customer gave, if any
    partner_id: str = ""


class _Http:
    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, *, timeout_s: float | None = None, **kwargs: Any) -> Any:
        try:
            response = self.http.request(
                method, self.base_url + path, timeout=timeout_s or self.timeout_s, **kwargs
            )
        except requests.RequestException as exc:
            raise HelpdeskUnavailable(f"{method} {path}: {exc}") from exc
        if response.status_code >= 500:
            raise HelpdeskUnavailable(f"{method} {path}: HTTP {response.status_code}")
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
            raise cls(response.status_code, message, code)
        return body


def _retry_after(response: requests.Response) -> int:
    """Seconds from ``Retry-After`` (1 if missing or not a number of seconds)."""
    try:
        return max(1, int(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1


class HelpdeskClient:
    """What the agent and customer apps ask of the helpdesk server."""

    def __init__(self, base_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._http = _Http(base_url, timeout_s)
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
        return SessionGrant(body["session_id"], body["relay"], body["token"], body["partner_id"])

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
        body = self._http.call(
            "POST",
            "/api/presence",
            json={
                "app_id": app_id,
                "device_id": device_id,
                "fields": fields,
                "custom": custom or {},
            },
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
        offers = tuple(
            SessionOffer(e["session_id"], e["relay"], e["token"], e["agent"])
            for e in body["events"]
            if e.get("type") == "session-offer"
        )
        return PollResult(body["password"], offers)


class TicketClient:
    """Movidesk public API v1 subset; ``base_url`` is e.g. ``https://api.movidesk.com``."""

    def __init__(self, base_url: str, token: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._http = _Http(base_url, timeout_s)
        self.token = token

    def close(self) -> None:
        self._http.close()

    def get_ticket(self, ticket_id: int) -> dict[str, Any]:
        return cast(
            dict[str, Any],
            self._http.call(
                "GET", "/public/v1/tickets", params={"token": self.token, "id": ticket_id}
            ),
        )

    def list_tickets(
        self,
        *,
        select: str | None = None,
        filter: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
        skip: int | None = None,
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"token": self.token}
        for key, value in (
            ("$select", select),
            ("$filter", filter),
            ("$orderby", orderby),
            ("$top", top),
            ("$skip", skip),
        ):
            if value is not None:
                params[key] = value
        return cast(
            list[dict[str, Any]], self._http.call("GET", "/public/v1/tickets", params=params)
        )

    def create_ticket(self, ticket: dict[str, Any]) -> int:
        body = self._http.call(
            "POST", "/public/v1/tickets", params={"token": self.token}, json=ticket
        )
        return int(body["id"])

    def add_actions(self, ticket_id: int, actions: list[dict[str, Any]]) -> None:
        self._http.call(
            "PATCH",
            "/public/v1/tickets",
            params={"token": self.token, "id": ticket_id},
            json={"actions": actions},
        )

    def get_person(self, person_id: str) -> dict[str, Any]:
        return cast(
            dict[str, Any],
            self._http.call(
                "GET", "/public/v1/persons", params={"token": self.token, "id": person_id}
            ),
        )

    def add_session_action(
        self,
        ticket_id: int,
        session_id: str,
        *,
        created_by: str,
        start: datetime,
        end: datetime,
        description: str,
    ) -> bool:
        """Record a remote session on a ticket once; returns False if it was already there.

        Checks the ticket first so a retry is harmless even against a real Movidesk, which
        has no idempotency of its own (our server also dedupes by the marker).
        """
        marker = SESSION_MARKER.format(session_id)
        ticket = self.get_ticket(ticket_id)
        if any(marker in (a.get("description") or "") for a in ticket.get("actions") or []):
            return False
        self.add_actions(
            ticket_id,
            [
                session_action(
                    session_id,
                    created_by=created_by,
                    start=start,
                    end=end,
                    description=description,
                )
            ],
        )
        return True


def session_action(
    session_id: str, *, created_by: str, start: datetime, end: datetime, description: str
) -> dict[str, Any]:
    """The Movidesk action recording one remote session (origin 17, a time appointment),
    marked with the session id so that it is recognised and never added twice."""
    marker = SESSION_MARKER.format(session_id)
    seconds = max(0, int((end - start).total_seconds()))
    work = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return {
        "type": 1,
        "origin": REMOTE_ACCESS_ORIGIN,
        "description": f"{description} {marker}",
        "createdBy": {"id": created_by},
        "createdDate": start.isoformat(timespec="seconds"),
        "timeAppointments": [
            {
                "date": start.date().isoformat(),
                "periodStart": start.strftime("%H:%M:%S"),
                "periodEnd": end.strftime("%H:%M:%S"),
                "workTime": work,
                "activity": "Remote access",
                "workTypeName": "Normal",
            }
        ],
    }
