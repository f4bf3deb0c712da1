"""The ticket API's ``$filter`` and ``$orderby`` (tickets and persons alike), the filter
read in one left-to-right pass (linear in its length).

Grammar (the OData subset Movidesk clients send; keywords in any case)::

    filter  := clause ( "and" clause )*
    clause  := field op value
    field   := a word: one of the resource's ``Field`` s (tickets: id | lastUpdate |
               createdDate | status | subject; persons: id | businessName | email | ...)
    op      := eq | ne | gt | ge | lt | le
    value   := quoted | bare
    quoted  := "'" ( any character but "'" | "''" )* "'"     ('' is a quote inside)
    bare    := words up to the next "and" or the end (e.g. 42, 2026-01-02T03:04:05Z)

Words are separated by whitespace. It replaced a backtracking regular expression on which
``id eq 1`` and 15,500 spaces took 4.9 s of one CPU, with the whole server waiting; the
text is also capped at ``MAX_FILTER`` characters. Unlike the old ``split(" and ")`` a
quoted value may contain `` and `` (``subject eq 'Tom and Jerry'``).

Dates (``parse_datetime``) may carry a zone (``Z``, ``-03:00``): they are converted to UTC,
which the database keeps naive; a date without one is UTC already.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Literal, NamedTuple

from sqlalchemy import ColumnElement, SQLColumnExpression, or_

from helpdesk.errors import BadQuery
from helpdesk.inputs import parse_id
from remotewire.error_codes import ErrorCode

MAX_FILTER: Final = 2000
OPERATORS: Final = ("eq", "ne", "gt", "ge", "lt", "le")
MAX_DATETIME: Final = 40  #: 2026-01-02T03:04:05.1234567+03:00 is 33


class Clause(NamedTuple):
    field: str
    op: str  # lower case
    raw: str  # a quoted value keeps its quotes; the caller converts it per field


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def _skip_space(self) -> None:
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1

    def done(self) -> bool:
        self._skip_space()
        return self.at >= len(self.text)

    def word(self) -> str:
        self._skip_space()
        start = self.at
        while self.at < len(self.text) and not self.text[self.at].isspace():
            self.at += 1
        return self.text[start : self.at]

    def peek_word(self) -> str:
        start = self.at
        found = self.word()
        self.at = start
        return found

    def value(self) -> str:
        self._skip_space()
        if self.at < len(self.text) and self.text[self.at] == "'":
            return self._quoted()
        words: list[str] = []
        while not self.done() and self.peek_word().lower() != "and":
            words.append(self.word())
        return " ".join(words)

    def _quoted(self) -> str:
        start = self.at
        self.at += 1
        while self.at < len(self.text):
            if self.text[self.at] == "'":
                if self.text[self.at + 1 : self.at + 2] == "'":
                    self.at += 2
                    continue
                self.at += 1
                if self.at < len(self.text) and not self.text[self.at].isspace():
                    raise _unsupported(self.text[start:])
                return self.text[start : self.at]
            self.at += 1
        raise BadQuery(ErrorCode.BAD_QUERY, "$filter: a quoted value is not closed")


def _unsupported(clause: str, fields: tuple[str, ...] = ()) -> BadQuery:
    shown = clause if len(clause) <= 80 else clause[:80] + "…"
    hint = f"; use <{'|'.join(fields)}> <{'|'.join(OPERATORS)}> <value>" if fields else ""
    return BadQuery(ErrorCode.BAD_QUERY, f"$filter: unsupported clause {shown!r}{hint}")


def filter_clauses(text: str, fields: tuple[str, ...]) -> list[Clause]:
    """The clauses of ``text`` on ``fields``; BadQuery for anything else."""
    if len(text) > MAX_FILTER:
        raise BadQuery(ErrorCode.BAD_QUERY, f"$filter: longer than {MAX_FILTER} characters")
    scanner = _Scanner(text)
    clauses: list[Clause] = []
    while True:
        start = scanner.at
        field, op = scanner.word(), scanner.word()
        value = scanner.value()
        if field not in fields or op.lower() not in OPERATORS or not value:
            raise _unsupported(text[start : scanner.at].strip(), fields)
        clauses.append(Clause(field, op.lower(), value))
        if scanner.done():
            return clauses
        if scanner.word().lower() != "and":  # after a quoted value: something else
            raise _unsupported(text[scanner.at :], fields)
        if scanner.done():
            raise _unsupported("and", fields)


class QueryField(NamedTuple):
    """A field ``$filter`` and ``$orderby`` may name: its column and how to read a value."""

    column: SQLColumnExpression[Any]
    kind: Literal["number", "text", "datetime"]
    nullable: bool = False  #: ``ne`` matches null too (OData: null ne 'x' is true)


# "+" in a URL query is a space: "07:00:00+03:00" sent unencoded arrives "07:00:00 03:00"
_PLUS_AS_SPACE = re.compile(r"(.*\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d(?::?\d\d)?)")


def parse_datetime(text: str) -> datetime:
    """Movidesk's forms, ``2026-01-02T03:04:05[.fffffff][Z|±hh:mm]``, as naive UTC: an
    offset is converted (``05:00-03:00`` is 08:00), a date without one is UTC already."""
    value = text.strip().strip("'\"")
    if len(value) > MAX_DATETIME:
        raise BadQuery(ErrorCode.BAD_QUERY, f"not a datetime: {text[:MAX_DATETIME]!r}…")
    if value[-1:] in ("z", "Z"):
        value = value[:-1] + "+00:00"
    if found := _PLUS_AS_SPACE.fullmatch(value):
        value = f"{found[1]}+{found[2]}"
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError) as exc:  # OverflowError: 0001-01-01T00:00+01:00
        raise BadQuery(ErrorCode.BAD_QUERY, f"not a datetime: {text!r}") from exc
    return parsed


def _value(name: str, field: QueryField, raw: str) -> Any:
    if field.kind == "datetime":
        return parse_datetime(raw)
    quoted = len(raw) >= 2 and raw[0] == "'" and raw[-1] == "'"
    if field.kind == "number":  # Movidesk's ids are strings: id eq '42' too
        number = parse_id(raw[1:-1] if quoted else raw)
        if number is None:
            raise BadQuery(ErrorCode.BAD_QUERY, f"$filter: {name} needs a number, got {raw!r}")
        return number
    if not quoted:
        raise BadQuery(ErrorCode.BAD_QUERY, f"$filter: {name} needs a quoted string, got {raw}")
    return raw[1:-1].replace("''", "'")


def where(text: str, fields: Mapping[str, QueryField]) -> list[ColumnElement[bool]]:
    """``$filter`` as WHERE conditions on ``fields``; BadQuery for anything else."""
    conditions: list[ColumnElement[bool]] = []
    for name, op, raw in filter_clauses(text, tuple(fields)):
        field = fields[name]
        column, value = field.column, _value(name, field, raw)
        if op == "ne":
            differs = column != value
            conditions.append(or_(differs, column.is_(None)) if field.nullable else differs)
            continue
        conditions.append(
            {
                "eq": column == value,
                "gt": column > value,
                "ge": column >= value,
                "lt": column < value,
                "le": column <= value,
            }[op]
        )
    return conditions


def order_by(text: str, fields: Mapping[str, QueryField]) -> list[Any]:
    """``$orderby``: ``field [asc|desc]`` separated by commas."""
    if len(text) > MAX_FILTER:
        raise BadQuery(ErrorCode.BAD_QUERY, f"$orderby: longer than {MAX_FILTER} characters")
    order: list[Any] = []
    for part in text.split(","):
        words = part.split()
        if (
            not words
            or words[0] not in fields
            or len(words) > 2
            or (len(words) == 2 and words[1].lower() not in ("asc", "desc"))
        ):
            raise BadQuery(ErrorCode.BAD_QUERY, f"$orderby: unsupported {part.strip()!r}")
        column = fields[words[0]].column
        order.append(
            column.desc() if len(words) == 2 and words[1].lower() == "desc" else column.asc()
        )
    return order
