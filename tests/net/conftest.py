"""The session tests run over both books of updates in flight (``remoteapp.net.in_flight``):
the C ones where they are built, and the Python ones a machine without a compiler uses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from remoteapp.net import in_flight, session
from tests.native import each_build


@pytest.fixture(scope="module", params=["c-books", "python-books"])
def each_books(request: pytest.FixtureRequest) -> Iterator[str]:
    """Opt in with ``pytestmark = pytest.mark.usefixtures("each_books")``: every test of
    the module runs with each (module scope: hypothesis's tests may use it)."""
    yield from each_build(
        request, in_flight.native, "_inflight", session, "new_books", in_flight.PyInFlight
    )
