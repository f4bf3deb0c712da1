"""Rate control's tests run over both books of updates sent (``remoteapp.codec.sent_times``):
the C ones where they are built, and the Python ones a machine without a compiler uses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from remoteapp.codec import rate_control, sent_times
from tests.native import each_build


@pytest.fixture(scope="module", params=["c-times", "python-times"])
def each_sent_times(request: pytest.FixtureRequest) -> Iterator[str]:
    """Opt in with ``pytestmark = pytest.mark.usefixtures("each_sent_times")``: every
    test of the module runs with each (module scope: hypothesis's tests may use it)."""
    yield from each_build(
        request, sent_times.native, "_senttimes", rate_control, "new_sent_times",
        sent_times.PySentTimes,
    )  # fmt: skip
