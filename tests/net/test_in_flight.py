"""The books of updates in flight (the credits): the C ones (``_inflight.InFlight``) and
the Python ones give the same answers to any sequence of calls; hostile arguments are
refused.  (Each C call holds the GIL from start to end, so Python's threads cannot
interleave inside one: the C lock is for the native lane, which will book without the
GIL, and is tested with it.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.net import in_flight
from remoteapp.net.in_flight import MAX_WINDOW, InFlightBooks, PyInFlight, new_books
from tests.native import built


def native() -> Any:
    """The C class (the test fails in CI, or is skipped, without it)."""
    return built(in_flight.native, "_inflight").InFlight  # type: ignore[attr-defined]


def both() -> list[Callable[[int, int], InFlightBooks]]:
    return [PyInFlight, native()]


@pytest.mark.parametrize("kind", ["python", "c"])
def test_the_windows_rule(kind: str) -> None:
    """``window`` in flight, or ``small_window`` while none is large; acks are
    cumulative and give the credits back."""
    books: InFlightBooks = (PyInFlight if kind == "python" else native())(2, 5)
    assert books.credits == 5
    for seq in range(5):
        assert books.book(seq, False)
    assert books.credits == 0
    assert not books.book(5, False)
    assert books.entries() == [(0, False), (1, False), (2, False), (3, False), (4, False)]
    assert books.ack(2) == 3  # (0, 1 and 2)
    assert books.credits == 3
    assert books.book(5, True)  # a large one may take a small credit...
    assert books.credits == 0  # ...and then the window of two rules: 3 are out
    assert books.ack(4) == 2
    assert books.credits == 1  # (5, large, is still out)
    assert books.ack(4) == 0  # not in flight any more: nothing changes
    assert books.ack(99) == 0
    assert len(books) == 1
    assert books.ack(5) == 1
    assert books.credits == 5
    assert len(books) == 0


@settings(max_examples=300, deadline=None)
@given(
    window=st.integers(1, 6),
    small_window=st.integers(0, 20),
    calls=st.lists(st.tuples(st.booleans(), st.integers(0, 40), st.booleans()), max_size=120),
)
def test_the_c_books_answer_as_the_python_ones(
    window: int, small_window: int, calls: list[tuple[bool, int, bool]]
) -> None:
    """Any sequence of books and acks (seqs repeat, acks miss): the same answers, the
    same books after each call.  The ring wraps many times over."""
    py, c = PyInFlight(window, small_window), native()(window, small_window)
    for is_book, seq, large in calls:
        if is_book:
            assert py.book(seq, large) == c.book(seq, large)
        else:
            assert py.ack(seq) == c.ack(seq)
        assert py.entries() == c.entries()
        assert py.credits == c.credits
        assert len(py) == len(c)


@pytest.mark.parametrize("bad", [-1, 1 << 32, 1 << 70])
def test_a_seq_outside_u32_is_refused_and_changes_nothing(bad: int) -> None:
    for make in both():
        books = make(2, 4)
        books.book(7, False)
        with pytest.raises(ValueError, match="2\\*\\*32"):
            books.book(bad, False)
        with pytest.raises(ValueError, match="2\\*\\*32"):
            books.ack(bad)
        with pytest.raises(TypeError):
            books.book("7", False)  # type: ignore[arg-type]
        assert books.entries() == [(7, False)]
    assert native()(1, 0).book(0xFFFFFFFF, True)


@pytest.mark.parametrize(("window", "small"), [(0, 4), (MAX_WINDOW + 1, 4), (2, -1), (2, 1 << 40)])
def test_windows_out_of_bounds_are_refused(window: int, small: int) -> None:
    for make in both():
        with pytest.raises((ValueError, OverflowError)):
            make(window, small)


def test_the_c_books_refuse_use_before_init_and_a_second_init() -> None:
    cls = native()
    bare = cls.__new__(cls)
    with pytest.raises(RuntimeError, match="__init__ was not called"):
        bare.book(1, False)
    with pytest.raises(RuntimeError, match="__init__ was not called"):
        len(bare)
    books = cls(2, 4)
    with pytest.raises(RuntimeError, match="called already"):
        books.__init__(3, 5)
    assert books.credits == 4


def test_new_books_are_the_c_ones_when_built() -> None:
    assert type(new_books(2, 16)) is native()
