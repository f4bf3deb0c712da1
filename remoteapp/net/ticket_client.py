"""Typed client of a Movidesk-shaped ticket API (``TicketClient``): this server's, or a
real Movidesk account's. Errors are those of ``remoteapp.net.helpdesk_http``.

Every answer must be the API's: a ticket a JSON object with its id, a list a JSON list,
a new ticket's answer its id; anything else (a captive portal's page, a proxy's) raises
``NotTheApi``, a ``HelpdeskUnavailable``, so what was to be written is kept and retried.
Writes never follow a redirect (requests would turn a PATCH or POST into a GET)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from remoteapp.net.helpdesk_http import DEFAULT_TIMEOUT_S, HttpCalls, InvalidInput, NotTheApi
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
        body = self._http.call(
            "GET", "/public/v1/tickets", params={"token": self.token, "id": ticket_id}
        )
        if not isinstance(body, dict) or _ticket_id(body) != ticket_id:
            raise NotTheApi(f"GET ticket {ticket_id}: the answer is not that ticket")
        if not isinstance(body.get("actions") or [], list):
            raise NotTheApi(f"GET ticket {ticket_id}: its actions are not a list")
        return body

    def list_tickets(
        self,
        *,
        select: str | None = None,
        filter: str | None = None,
        orderby: str | None = None,
        top: int | None = None,
        skip: int | None = None,
        expand: str | None = None,
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"token": self.token}
        for key, value in (
            ("$select", select),
            ("$filter", filter),
            ("$expand", expand),
            ("$orderby", orderby),
            ("$top", top),
            ("$skip", skip),
        ):
            if value is not None:
                params[key] = value
        body = self._http.call("GET", "/public/v1/tickets", params=params)
        if not isinstance(body, list) or not all(isinstance(t, dict) for t in body):
            raise NotTheApi("GET tickets: the answer is not a list of tickets")
        return cast(list[dict[str, Any]], body)

    def create_ticket(self, ticket: dict[str, Any]) -> int:
        body = self._http.call(
            "POST",
            "/public/v1/tickets",
            params={"token": self.token},
            json=ticket,
            allow_redirects=False,
        )
        ticket_id = _ticket_id(body) if isinstance(body, dict) else None
        if ticket_id is None:
            raise NotTheApi("POST ticket: the answer carries no ticket id")
        return ticket_id

    def add_actions(self, ticket_id: int, actions: list[dict[str, Any]]) -> bool:
        """Append ``actions``; True if the answer confirms it (our server's, naming the
        ticket), False if the answer says nothing either way (a real Movidesk's may be
        empty): the caller reads the ticket to know."""
        body = self._http.call(
            "PATCH",
            "/public/v1/tickets",
            params={"token": self.token, "id": ticket_id},
            json={"actions": actions},
            allow_redirects=False,
        )
        return isinstance(body, dict) and _ticket_id(body) == ticket_id

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
        has no idempotency of its own (our server also dedupes by the marker). An answer
        that does not confirm the write (not the API's JSON) is checked by reading the
        ticket again: ``NotTheApi`` unless the action is there.
        """
        marker = SESSION_MARKER.format(session_id)

        def recorded() -> bool:
            actions = self.get_ticket(ticket_id).get("actions") or []
            return any(marker in (a.get("description") or "") for a in actions)

        if recorded():
            return False
        action = session_action(
            session_id, created_by=created_by, start=start, end=end, description=description
        )
        try:
            confirmed = self.add_actions(ticket_id, [action])
        except InvalidInput:  # e.g. a real Movidesk without the "Remote access" activity
            confirmed = self.add_actions(ticket_id, [without_appointments(action)])
        if not confirmed and not recorded():
            raise NotTheApi(f"PATCH ticket {ticket_id}: not confirmed, the action is not there")
        return True


def _ticket_id(body: dict[str, Any]) -> int | None:
    """The ``id`` of an answer, a number (as JSON number or digits); None otherwise."""
    value = body.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def without_appointments(action: dict[str, Any]) -> dict[str, Any]:
    """``action`` with no time appointment: a real Movidesk refuses (400) an appointment
    whose activity the account has not registered ("Remote access"); the action's text
    still says the start and end, so the session is recorded all the same."""
    return {key: value for key, value in action.items() if key != "timeAppointments"}


def session_action(
    session_id: str, *, created_by: str, start: datetime, end: datetime, description: str
) -> dict[str, Any]:
    """The Movidesk action recording one remote session (origin 17, a time appointment),
    marked with the session id so that it is recognised and never added twice. The
    appointment's day and times are this machine's local ones, as the action's text says
    them (``remoteapp.tickets.record.stamp``); ``createdDate`` keeps its UTC offset."""
    marker = SESSION_MARKER.format(session_id)
    local_start, local_end = start.astimezone(), end.astimezone()
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
                "date": local_start.date().isoformat(),
                "periodStart": local_start.strftime("%H:%M:%S"),
                "periodEnd": local_end.strftime("%H:%M:%S"),
                "workTime": work,
                "activity": "Remote access",
                "workTypeName": "Normal",
            }
        ],
    }
