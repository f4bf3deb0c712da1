"""``$filter`` hardening (issue 10, red-team defect 7): a pathological filter is refused
by its length before any parsing, the grammar is exact, and the parser reads each
character a bounded number of times (the old regex backtracked quadratically).  Moved
out of ``test_bad_input.py`` unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.errors import BadQuery
from helpdesk.inputs import INT_MAX, parse_id
from helpdesk.services.ticket_filter import MAX_FILTER, filter_clauses
from tests.helpdesk.server_process import Server
from tests.helpdesk.test_bad_input import call, refused

FIELDS = ("id", "lastUpdate", "createdDate", "status", "subject")


def test_a_pathological_filter_is_refused_at_once(server: Server) -> None:
    """``id eq 1``, 15,500 spaces and a word took 5-7 s (the server stalled) on the old
    regex, then failed anyway; now the length alone refuses it, before any parsing."""
    token = server.credentials["token"]
    response = call(
        server,
        "GET",
        "/public/v1/tickets",
        params={"token": token, "$filter": "id eq 1" + " " * 15_500 + "x"},
    )
    refused(response, 400, "bad-query")
    assert "longer than 2000" in response.json()["detail"]
    within = call(
        server,
        "GET",
        "/public/v1/tickets",
        params={"token": token, "$filter": "id eq 1" + " " * (MAX_FILTER - 20) + "x"},
    )
    refused(within, 400, "bad-query")
    fine = call(server, "GET", "/public/v1/tickets", params={"token": token, "$filter": "id ge 1"})
    assert fine.status_code == 200, fine.text
    with pytest.raises(BadQuery, match="longer than"):
        filter_clauses("id eq 1" + " " * (64 * 1024), FIELDS)


def test_filter_grammar() -> None:
    clauses = filter_clauses(
        "id gt 3 AND subject eq 'Tom and Jerry''s' and lastUpdate ge 2026-01-02 03:04:05",
        FIELDS,
    )
    assert clauses == [
        ("id", "gt", "3"),
        ("subject", "eq", "'Tom and Jerry''s'"),
        ("lastUpdate", "ge", "2026-01-02 03:04:05"),
    ]
    for bad in (
        "",
        "id",
        "id eq",
        "nope eq 1",
        "id like 1",
        "id eq 1 and",
        "subject eq 'x'y",
        "subject eq 'open",
        "id eq 1 or id eq 2 and",
    ):
        with pytest.raises(BadQuery):
            filter_clauses(bad, FIELDS)


class Counting(str):
    """A string that counts every character read by index or slice."""

    reads = 0

    def __getitem__(self, key: Any) -> str:
        part = super().__getitem__(key)
        Counting.reads += max(1, len(part))
        return part


def reads_to_parse(text: str) -> int:
    Counting.reads = 0
    filter_clauses(Counting(text), FIELDS)
    return Counting.reads


def test_the_filter_parser_reads_each_character_a_bounded_number_of_times() -> None:
    """Linear, not a timing: the characters read grow like the text (the old regex
    backtracked quadratically on runs of spaces)."""
    small = reads_to_parse("id eq 1" + " " * 400 + "x")
    large = reads_to_parse("id eq 1" + " " * 1600 + "x")
    assert large < 4.5 * small, (small, large)
    assert large < 6 * 1600


def test_parse_id() -> None:
    assert parse_id("42") == 42 and parse_id(str(INT_MAX)) == INT_MAX
    for bad in ("", "²", "١٢", "-1", " 1", "1_0", str(INT_MAX + 1), "9" * 20):
        assert parse_id(bad) is None, bad
