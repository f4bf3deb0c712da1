"""Typed client of a Movidesk-shaped ticket API (``TicketClient``): this server's, or a
real Movidesk account's. Errors are those of ``remoteapp.net.helpdesk_http``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from remoteapp.net.helpdesk_http import DEFAULT_TIMEOUT_S, HttpCalls
from remotewire.constants import REMOTE_ACCESS_ORIGIN, SESSION_MARKER


class TicketClient:
    """Movidesk public API v1 subset; ``base_url`` is e.g. ``https://api.movidesk.com``."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        http: HttpCalls | None = None,
    ) -> None:
        """``http``: the calls to make instead of plain ones (a login's, which carry its
        bearer and no ``token``)."""
        self._http = http or HttpCalls(base_url, timeout_s)
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
