"""The ticket API's answers: tickets, their actions and persons as Movidesk's JSON, cut to
``$select`` and ``$expand``.

``$select`` names a resource's top-level fields (unknown ones: 400 ``bad-query``); without
it every field is there, nested objects whole. ``$expand`` names nested fields to include
even when ``$select`` leaves them out -- a ticket's actions, clients, owner, createdBy; an
action's createdBy, timeAppointments; a person's organization -- each with options of its
own, OData's way (``;`` between options, ``$select`` and ``$expand`` only)::

    $select=id&$expand=actions($select=id,description;$expand=createdBy($select=id)),owner

Nesting is bounded by the shapes below (ticket, action, person, organization), each level
split once, so parsing is linear in the text's length (capped at ``MAX_QUERY``); the
answer is cut field by field, and a ticket computes only the fields it is asked for (no
actions are read for ``$select=id``; ``helpdesk.services.tickets`` loads what is named).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from helpdesk.errors import BadQuery
from helpdesk.models import Person, Ticket, TicketAction
from helpdesk.services.api_tokens import STAFF, Scope
from remotewire.error_codes import ErrorCode

MAX_QUERY: Final = 2000
"""The longest ``$select`` or ``$expand`` read (as ``$filter``'s ``MAX_FILTER``)."""


@dataclass(frozen=True, slots=True)
class Kind:
    """A resource's fields as the API writes them, and which of them nest which kind."""

    name: str
    fields: tuple[str, ...]
    nested: Mapping[str, Kind] = field(default_factory=dict)


ORGANIZATION: Final = Kind("organization", ("businessName",))
PERSON: Final = Kind(
    "person",
    (
        "id",
        "personType",
        "profileType",
        "businessName",
        "email",
        "phone",
        "organization",
        "classification",
    ),
    {"organization": ORGANIZATION},
)
APPOINTMENT: Final = Kind(
    "timeAppointment",
    ("id", "date", "periodStart", "periodEnd", "workTime", "activity", "workTypeName"),
)
ACTION: Final = Kind(
    "action",
    ("id", "type", "origin", "description", "createdBy", "createdDate", "timeAppointments"),
    {"createdBy": PERSON, "timeAppointments": APPOINTMENT},
)
TICKET: Final = Kind(
    "ticket",
    (
        "id",
        "type",
        "subject",
        "status",
        "baseStatus",
        "origin",
        "createdDate",
        "lastUpdate",
        "lastActionDate",
        "owner",
        "createdBy",
        "clients",
        "actions",
    ),
    {"owner": PERSON, "createdBy": PERSON, "clients": PERSON, "actions": ACTION},
)


@dataclass(frozen=True, slots=True)
class Shape:
    """What of an object to write: ``select`` (None: every field) and the expanded nested
    fields, each with its own shape."""

    select: tuple[str, ...] | None = None
    expand: Mapping[str, Shape] = field(default_factory=dict)

    def names(self, kind: Kind) -> tuple[str, ...]:
        base = kind.fields if self.select is None else self.select
        return base + tuple(name for name in self.expand if name not in base)


WHOLE: Final = Shape()


def _bad(message: str) -> BadQuery:
    return BadQuery(ErrorCode.BAD_QUERY, message)


def parse_shape(kind: Kind, select: str | None, expand: str | None) -> Shape:
    """``$select`` and ``$expand`` of ``kind``; BadQuery for anything not understood."""
    for option, text in (("$select", select), ("$expand", expand)):
        if text is not None and len(text) > MAX_QUERY:
            raise _bad(f"{option}: longer than {MAX_QUERY} characters")
    return Shape(_select(kind, select, "$select"), _expand(kind, expand or "", "$expand"))


def _select(kind: Kind, text: str | None, where: str) -> tuple[str, ...] | None:
    if text is None:
        return None
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    if not wanted or wanted == ["*"]:
        return None
    unknown = [name for name in wanted if name not in kind.fields]
    if unknown:
        raise _bad(
            f"{where}: unknown field(s) {', '.join(unknown)} of a {kind.name} "
            f"(known: {', '.join(kind.fields)})"
        )
    return tuple(dict.fromkeys(wanted))


def _split(text: str, separator: str, where: str) -> list[str]:
    """``text`` split at ``separator`` outside parentheses."""
    parts: list[str] = []
    depth, start = 0, 0
    for at, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise _bad(f"{where}: unbalanced parentheses")
        elif char == separator and depth == 0:
            parts.append(text[start:at])
            start = at + 1
    if depth:
        raise _bad(f"{where}: unbalanced parentheses")
    parts.append(text[start:])
    return parts


def _expand(kind: Kind, text: str, where: str) -> dict[str, Shape]:
    expanded: dict[str, Shape] = {}
    for item in _split(text, ",", where):
        name, paren, rest = item.strip().partition("(")
        name = name.strip()
        if not name and not paren:
            continue
        if name not in kind.nested:
            known = ", ".join(kind.nested) or "none"
            raise _bad(f"{where}: {name!r} is not a nested field of a {kind.name} ({known})")
        if name in expanded:
            raise _bad(f"{where}: {name} named twice")
        options: dict[str, str] = {}
        if paren:
            if not rest.endswith(")"):
                raise _bad(f"{where}: {name}(...) must end its options with ')'")
            for option in _split(rest[:-1], ";", where):
                key, equals, value = option.partition("=")
                key = key.strip()
                if not equals or key not in ("$select", "$expand") or key in options:
                    raise _bad(
                        f"{where}: {name}: unsupported option {option.strip()!r} "
                        "(only $select and $expand, each once)"
                    )
                options[key] = value
        inner = kind.nested[name]
        expanded[name] = Shape(
            _select(inner, options.get("$select"), f"{where} {name} $select"),
            _expand(inner, options.get("$expand", ""), f"{where} {name} $expand"),
        )
    return expanded


def cut(value: Any, shape: Shape, kind: Kind) -> Any:
    """``value`` (an object, a list of them, or None) cut to ``shape``."""
    if value is None or (shape.select is None and not shape.expand):
        return value  # whole: as stored (a time appointment's extra keys too)
    if isinstance(value, list):
        return [cut(item, shape, kind) for item in value]
    if not isinstance(value, dict):
        return value
    return _object(value.get, shape, kind)


def _object(get: Callable[[str], Any], shape: Shape, kind: Kind) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for name in shape.names(kind):
        inner = kind.nested.get(name)
        value = get(name)
        answer[name] = cut(value, shape.expand.get(name, WHOLE), inner) if inner else value
    return answer


def fmt(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def person_json(person: Person | None, scope: Scope, shape: Shape = WHOLE) -> Any:
    if person is None:
        return None
    hidden = scope.hides_staff_email and person.profile_type == STAFF
    whole = {
        "id": str(person.id),
        "personType": 1,
        "profileType": person.profile_type,
        "businessName": person.business_name,
        "email": None if hidden else person.email,
        "phone": person.phone,
        "organization": {"businessName": person.organization} if person.organization else None,
        "classification": person.classification,
    }
    return cut(whole, shape, PERSON)


def action_json(action: TicketAction, scope: Scope) -> dict[str, Any]:
    return {
        "id": action.number,
        "type": action.type,
        "origin": action.origin,
        "description": action.description,
        "createdBy": person_json(action.created_by, scope),
        "createdDate": fmt(action.created_date),
        "timeAppointments": action.time_appointments,
    }


def ticket_json(ticket: Ticket, scope: Scope, shape: Shape = WHOLE) -> dict[str, Any]:
    """The ticket; only the fields ``shape`` names are computed (and their rows read)."""
    fields: dict[str, Callable[[], Any]] = {
        "id": lambda: ticket.id,
        "type": lambda: ticket.type,
        "subject": lambda: ticket.subject,
        "status": lambda: ticket.status,
        "baseStatus": lambda: ticket.base_status,
        "origin": lambda: ticket.origin,
        "createdDate": lambda: fmt(ticket.created_date),
        "lastUpdate": lambda: fmt(ticket.last_update),
        "lastActionDate": lambda: fmt(ticket.actions[-1].created_date if ticket.actions else None),
        "owner": lambda: person_json(ticket.owner, scope),
        "createdBy": lambda: person_json(ticket.created_by, scope),
        "clients": lambda: [person_json(c, scope) for c in ticket.clients],
        "actions": lambda: [action_json(a, scope) for a in ticket.actions],
    }
    return _object(lambda name: fields[name](), shape, TICKET)


def check_params(given: Iterable[str], allowed: Iterable[str]) -> None:
    """A query parameter the route does not take is refused, never silently ignored (a
    script's ``protocol=`` or ``$count`` would otherwise get an answer to another question)."""
    known = tuple(allowed)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise _bad(
            f"unsupported query parameter(s) {', '.join(unknown)} "
            f"(this route takes {', '.join(known)})"
        )
