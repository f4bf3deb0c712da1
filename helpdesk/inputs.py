"""What a request value must be before a service sees it.

Text: UTF-8 can carry it (no lone surrogate: JSON lets a body say ``"\\ud800"``, Python
stores it, and every later answer that includes it fails to encode, a 500 for every agent
reading the queue) and it has no NUL (PostgreSQL refuses it; C-string consumers cut at
it). Integers: inside what the columns hold (PostgreSQL ``integer`` is 32-bit; a 20-digit
id or ``type`` = 2^70 overflowed the driver) and, where they arrive as text, ASCII digits
only (``"²".isdigit()`` is True and ``int("²")`` raises). Numbers: finite (JSON ``NaN`` is
accepted by Python's parser, refused by every JSON answer).

Three ways in, one rule (``check_text``/``check_int``):

* ``Input``, the base of every JSON request model: a ``before`` validator walks the whole
  raw value (declared fields, dict keys, the extras of ``extra="allow"`` models) so no
  string field can be forgotten; ``Text``/``Int``/``Id`` also document the bounds in the
  OpenAPI schema;
* ``Text``/``Int``/``Id`` on query, path and form parameters;
* ``parse_id`` for ids that arrive inside text (``q12``, a form's ``profile_id``).

Refusals are ordinary validation errors: 422 with code ``invalid-input`` and the field in
``errors``; the URL itself is checked in ``helpdesk.middleware`` (``%00``).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from remotewire.constants import MAX_ID

INT_MAX: Final = MAX_ID
"""The largest value of the integer columns (PostgreSQL ``integer``), ids included."""
INT_MIN: Final = -(2**31)
ID_DIGITS: Final = len(str(INT_MAX))


def check_text(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("text_nul", "text must not contain NUL (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError(
            "text_not_unicode", "text must be valid Unicode (a lone surrogate is not)"
        ) from None
    return value


def check_int(value: int) -> int:
    if not INT_MIN <= value <= INT_MAX:
        raise PydanticCustomError(
            "int_out_of_range",
            "integer out of range ({min}..{max})",
            {"min": INT_MIN, "max": INT_MAX},
        )
    return value


def is_clean(value: str) -> bool:
    """``check_text`` as a test, for values that arrive outside a model (a raw form)."""
    try:
        check_text(value)
    except PydanticCustomError:
        return False
    return True


Text = Annotated[str, AfterValidator(check_text)]
Int = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]
Id = Annotated[int, Field(ge=0, le=INT_MAX)]


def parse_id(text: str) -> int | None:
    """An id written in ASCII digits, in range; None for anything else."""
    if not (text.isascii() and text.isdigit()) or len(text) > ID_DIGITS:
        return None
    value = int(text)
    return value if value <= INT_MAX else None


def check_tree(value: Any) -> None:
    """Every string (keys too), integer and number anywhere in a decoded JSON value.

    Iterative: a deeply nested body must not exhaust the interpreter's recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            check_int(item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise PydanticCustomError("number_not_finite", "numbers must be finite")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)


class Input(BaseModel):
    """Base of every JSON request model: nothing unsafe anywhere in the body."""

    @model_validator(mode="before")
    @classmethod
    def _safe_values(cls, data: Any) -> Any:
        check_tree(data)
        return data
