"""Rate control's tests run over both books of updates sent (``remoteapp.codec.sent_times``):
the C ones where they are built, and the Python ones a machine without a compiler uses.
Tests that compare two encoders' lossy bytes fix VP8's speed (``fixed_vp8_speed``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from remoteapp.codec import rate_control, sent_times, vp8_codec
from tests.native import each_build


@pytest.fixture(scope="module", params=["c-times", "python-times"])
def each_sent_times(request: pytest.FixtureRequest) -> Iterator[str]:
    """Opt in with ``pytestmark = pytest.mark.usefixtures("each_sent_times")``: every
    test of the module runs with each (module scope: hypothesis's tests may use it)."""
    yield from each_build(
        request, sent_times.native, "_senttimes", rate_control, "new_sent_times",
        sent_times.PySentTimes,
    )  # fmt: skip


@pytest.fixture(scope="module")
def fixed_vp8_speed() -> Iterator[None]:
    """VP8 at one speed: with a positive cpu-used, libvpx's realtime encoder picks its
    speed each picture from how long the last ones took (``vp8_auto_select_speed``), so
    two encoders fed the same pictures may send different bytes (on a loaded machine, 1
    run in 8 of the adopt test).  A negative cpu-used is that speed, always.  Opt in as
    ``each_sent_times`` (module scope: hypothesis's tests may use it)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vp8_codec, "CPU_USED", f"-{int(vp8_codec.CPU_USED)}")
        yield
