"""The books of updates in flight (the credits): the C ones (``_inflight.InFlight``) and
the Python ones give the same answers to any sequence of calls; hostile arguments are
refused.  (Each C call holds the GIL from start to end, so Python's threads cannot
interleave inside one: the C lock is for the native lane, which will book without the
GIL; ``test_in_flight_contention.py`` holds it as the lane will.)"""

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


@pytest.mark.parametrize(
    ("window", "small", "error"),
    [
        (0, 4, ValueError),
        (MAX_WINDOW + 1, 4, ValueError),
        (2, -1, ValueError),
        (2, 1 << 40, ValueError),
        (1 << 70, 4, OverflowError),
        (2, -(1 << 70), OverflowError),
        (2.5, 4, TypeError),
        (2, 4.0, TypeError),
        ("2", 4, TypeError),
    ],
)
def test_windows_out_of_bounds_are_refused(window: Any, small: Any, error: type[Exception]) -> None:
    """Both parse a window as a C long: never a float (the Python books took 2.5 and
    said ValueError for an int too large for a long)."""
    for make in both():
        with pytest.raises(error):
            make(window, small)


class _OddInt(int):
    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 5


def test_odd_seqs_are_read_as_their_values_by_both() -> None:
    """A bool or an int subclass is its value as a seq: its own ``__eq__`` does not decide
    which update an ack pops (the Python books kept the object, never found it, and
    popped the deque empty: IndexError)."""
    answers = []
    for make in both():
        books = make(4, 4)
        assert books.book(True, 0)  # type: ignore[arg-type]
        assert books.book(_OddInt(5), [1])  # type: ignore[arg-type]
        entries = books.entries()
        assert [type(seq) for seq, _ in entries] == [int, int]
        answers.append((entries, books.ack(5), books.entries()))
    assert answers[0] == answers[1] == ([(1, False), (5, True)], 2, [])


#: calls with a wrong count of arguments, or a keyword (every method is positional-only)
_MISCALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("book", (), {}),
    ("book", (1,), {}),
    ("book", (1, False, 2), {}),
    ("book", (1,), {"large": False}),
    ("book", (), {"seq": 1, "large": False}),
    ("ack", (), {}),
    ("ack", (1, 2), {}),
    ("ack", (), {"seq": 1}),
    ("entries", (1,), {}),
]


@pytest.mark.parametrize("made", ["bare", "ready"])
@pytest.mark.parametrize("kind", ["python", "c"])
def test_a_wrong_count_of_arguments_is_a_type_error_even_before_init(kind: str, made: str) -> None:
    """Python's convention in both: a call's arguments are counted before its body runs,
    so a wrong count, or a keyword, is a TypeError whatever the books' state.  (The C
    ones said RuntimeError for ``book`` on books made without ``__init__``; the Python
    ones took keywords.)"""
    cls: Any = PyInFlight if kind == "python" else native()
    books = cls.__new__(cls)
    if made == "ready":
        books.__init__(2, 4)
        books.book(7, False)
    for name, args, kwargs in _MISCALLS:
        with pytest.raises(TypeError):
            getattr(books, name)(*args, **kwargs)
    if made == "bare":
        with pytest.raises(RuntimeError, match="__init__ was not called"):
            books.book(1, False)  # (still refused: counted, then not ready)
    else:
        assert books.entries() == [(7, False)]


def _uses(books: Any) -> list[Callable[[], object]]:
    """Every call the books answer (a bad seq too: being ready is checked first)."""
    return [
        lambda: books.book(1, False),
        lambda: books.book("7", False),
        lambda: books.book(-1, False),
        lambda: books.ack(1),
        lambda: books.ack(-1),
        books.entries,
        lambda: books.credits,
        lambda: len(books),
        lambda: bool(books),
    ]


@pytest.mark.parametrize("kind", ["python", "c"])
def test_books_refuse_use_before_init_and_a_second_init(kind: str) -> None:
    """Made without ``__init__`` (or after one that failed), both refuse every call with
    the same RuntimeError (the Python ones said AttributeError, or judged the seq first);
    a second ``__init__`` is refused and changes nothing (the Python ones started
    afresh)."""
    cls: Any = PyInFlight if kind == "python" else native()
    bare = cls.__new__(cls)
    for use in _uses(bare):
        with pytest.raises(RuntimeError, match=r"^InFlight\.__init__ was not called$"):
            use()
    with pytest.raises(ValueError):
        bare.__init__(0, 4)
    for use in _uses(bare):
        with pytest.raises(RuntimeError, match="__init__ was not called"):
            use()
    bare.__init__(1, 0)  # (a bare one can still be made ready)
    assert bare.book(5, False)
    assert bare.entries() == [(5, False)]
    books = cls(2, 4)
    books.book(1, True)
    with pytest.raises(RuntimeError, match="called already"):
        books.__init__(3, 5)
    with pytest.raises(TypeError):
        books.__init__(3.5, 5)  # (parsed before the state is looked at, as C does)
    assert books.entries() == [(1, True)]
    assert books.credits == 1  # (still the first windows)


def test_new_books_are_the_c_ones_when_built() -> None:
    assert type(new_books(2, 16)) is native()
