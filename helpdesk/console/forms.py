"""A console form refused at validation (FastAPI's ``RequestValidationError``: a field
too long, of the wrong type) is shown again, not left for an error page.

Each form route says the label of each of its fields (``field_labels``, ``N_`` messages
as in its template) and how its page is drawn again (``refills``: a function of the
request and a ``Refused``). ``web.ConsoleRoute`` then answers a refusal with that page:
422, what was typed back in its fields (autoescaped, as every value; password fields are
never sent back), each refused field marked (``aria-invalid``), the first focused, its
message beside it (``templates/_forms.html``). A refused field the page does not show (a
hidden ``next``, ``ticket``, ``profile_id``: a stale or crafted form, nothing to correct)
or a refused address still gets the error page, which asks for the form again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import FormData

from helpdesk.console.i18n import N_

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_FIELD_LABELS: dict[Callable[..., Any], Mapping[str, str]] = {}
_REFILLS: dict[Callable[..., Any], Refill] = {}
RESEND: Final = N_("The request could not be read: send the form again.")


@dataclass(frozen=True, slots=True)
class Refused:
    """A refused form post: what was sent, and the message for each refused field (by
    its name, in the page's language, in the form's order)."""

    form: FormData
    fields: Mapping[str, str]

    def text(self, name: str) -> str:
        """The value sent for ``name`` ("" when none, or a file)."""
        value = self.form.get(name)
        return value if isinstance(value, str) else ""

    def texts(self, name: str) -> list[str]:
        return [v for v in self.form.getlist(name) if isinstance(v, str)]


Refill = Callable[[Request, Refused], Response]
"""Draws a form's page again (with its rights checked again: it runs instead of the
route); called on a worker thread, with the request's database session open."""


def field_labels(**labels: str) -> Callable[[Endpoint], Endpoint]:
    """The label each form field of the decorated route shows (``N_`` messages, as in its
    template): a refused field is named by it in the page's language, never by its HTML
    name (``minutes``). A field left out has no label on the page (hidden, a button)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        _FIELD_LABELS[endpoint] = labels
        return endpoint

    return mark


def refills(page: Refill) -> Callable[[Endpoint], Endpoint]:
    """The decorated form route's page, drawn again when a field is refused."""

    def mark(endpoint: Endpoint) -> Endpoint:
        _REFILLS[endpoint] = page
        return endpoint

    return mark


def labels_of(endpoint: Callable[..., Any]) -> Mapping[str, str]:
    return _FIELD_LABELS.get(endpoint, {})


def refill_of(endpoint: Callable[..., Any]) -> Refill | None:
    return _REFILLS.get(endpoint)


def _sentence(
    _: Callable[[str], str], error: Mapping[str, Any], labels: Mapping[str, str]
) -> tuple[str | None, str]:
    """The refused form field's name (None: not a field the page shows) and what to say."""
    where, *name = [str(part) for part in error.get("loc", ())] or [""]
    label = labels.get(name[0]) if name else None
    if where == "path":
        return None, _("This address is not valid.")
    if where == "query" and name:
        return None, _("The address's “{name}” parameter is not valid.").format(name=name[0])
    if where == "body" and name and label:
        return name[0], _("The field “{name}” is not valid.").format(name=_(label))
    if name:
        return None, _(RESEND)
    return None, _("Please check what you typed")


def invalid_message(
    _: Callable[[str], str], exc: RequestValidationError, labels: Mapping[str, str]
) -> str:
    """A refused parameter, said in the page's language (``_``): Pydantic's messages are
    English (the JSON API keeps them in its ``detail``). Names the URL parameter as the
    address shows it, a form field by its label (``labels``: the route's
    ``field_labels``; a field with none is not on the page to correct: send the form
    again), without repeating one."""
    said: list[str] = []
    for error in exc.errors():
        _field, sentence = _sentence(_, error, labels)
        if sentence not in said:
            said.append(sentence)
    return " ".join(said) or _("Please check what you typed")


def refused_fields(
    _: Callable[[str], str], exc: RequestValidationError, labels: Mapping[str, str]
) -> dict[str, str] | None:
    """Each refused field's message, by name; None unless every refusal is of a field
    the page shows (then it is the error page's to say)."""
    fields: dict[str, str] = {}
    for error in exc.errors():
        field, sentence = _sentence(_, error, labels)
        if field is None:
            return None
        fields.setdefault(field, sentence)
    return fields or None
