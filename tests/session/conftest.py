"""Fixtures of the session tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.streams import StreamPair, stream_pair


@pytest.fixture
def pair() -> Iterator[StreamPair]:
    """A TCP connection through two taps (tests/streams.py): ``a`` and ``b`` its ends."""
    with stream_pair() as pair:
        yield pair
