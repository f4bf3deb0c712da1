"""The session tests' byte pipes (``pipes``: in memory and over real TCP), and both books
of updates in flight they run over (``remoteapp.net.in_flight``): the C ones where they
are built, and the Python ones a machine without a compiler uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from remoteapp.net import in_flight, session
from tests.native import each_build
from tests.net.session_peers import MemoryPipe, Pipe, TcpPipe


@pytest.fixture(scope="module", params=["c-books", "python-books"])
def each_books(request: pytest.FixtureRequest) -> Iterator[str]:
    """Opt in with ``pytestmark = pytest.mark.usefixtures("each_books")``: every test of
    the module runs with each (module scope: hypothesis's tests may use it)."""
    yield from each_build(
        request, in_flight.native, "_inflight", session, "new_books", in_flight.PyInFlight
    )


@pytest.fixture(params=["memory", "tcp"])
def pipes(request: pytest.FixtureRequest) -> Iterator[tuple[Pipe, Pipe]]:
    """A pipe to the agent and one to the customer, in memory or over loopback TCP."""
    factory: Callable[[], Pipe] = MemoryPipe if request.param == "memory" else TcpPipe
    to_agent, to_customer = factory(), factory()
    yield to_agent, to_customer
    to_agent.close()
    to_customer.close()
