"""Rate control's books of updates sent (``remoteapp.codec.sent_times``): the C ones
(``_senttimes.SentTimes``) and the Python ones give the same answers to any sequence of
calls; hostile arguments are refused and change nothing.  (Each C call holds the GIL from
start to end, so Python's threads cannot interleave inside one: the C lock is for the
native lane, which will book without the GIL; ``test_sent_times_contention.py`` holds it
as the lane will.)"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec import sent_times
from remoteapp.codec.sent_times import MAX_CAPACITY, PySentTimes, SentTimesBooks, new_sent_times
from tests.native import built


def native() -> Any:
    """The C class (the test fails in CI, or is skipped, without it)."""
    return built(sent_times.native, "_senttimes").SentTimes  # type: ignore[attr-defined]


def both() -> list[Callable[[int], SentTimesBooks]]:
    return [PySentTimes, native()]


@pytest.mark.parametrize("kind", ["python", "c"])
def test_books_lags_and_cumulative_acks(kind: str) -> None:
    """An ack pops every update up to its seq, its own last; a lag is known once the
    writer said it; a full book drops its oldest."""
    times: SentTimesBooks = (PySentTimes if kind == "python" else native())(3)
    assert not times.reporting
    assert times.oldest() is None
    times.sent(10, 100, 1.0)
    times.sent(11, 200, 2.0)
    assert times.oldest() == (1.0, None)
    times.local(11, 0.25)
    times.local(99, 1.0)  # not booked: nothing changes but ``reporting``
    assert times.reporting
    times.local(10, -0.5)  # (a clock's jitter: never below 0)
    assert times.oldest() == (1.0, 0.0)
    assert times.entries() == [(10, 100, 1.0, 0.0), (11, 200, 2.0, 0.25)]
    times.sent(12, 300, 3.0)
    times.sent(13, 400, 4.0)  # full: 10 goes
    assert [seq for seq, *_ in times.entries()] == [11, 12, 13]
    times.sent(12, 333, 3.5)  # booked again: where it was, lag kept as it was
    assert times.entries() == [(11, 200, 2.0, 0.25), (12, 333, 3.5, None), (13, 400, 4.0, None)]
    assert times.ack(10) is None  # dropped: nothing popped
    assert times.ack(12) == [(200, 2.0, 0.25), (333, 3.5, None)]
    assert len(times) == 1
    assert times.ack(12) is None
    assert times.ack(13) == [(400, 4.0, None)]
    assert len(times) == 0
    assert times.oldest() is None


@pytest.mark.parametrize("kind", ["python", "c"])
def test_a_lag_that_is_not_a_number_counts_as_none_waited(kind: str) -> None:
    times: SentTimesBooks = (PySentTimes if kind == "python" else native())(2)
    times.sent(1, 5, 0.5)
    times.local(1, math.nan)
    assert times.oldest() == (0.5, 0.0)
    times.local(1, math.inf)
    assert times.oldest() == (0.5, math.inf)


#: small seqs and the largest a u32 holds (few of each: repeats and acks still hit); a
#: C seq cut to fewer bits, or read signed, gives those back wrong
_seqs = st.one_of(st.integers(0, 30), st.integers((1 << 32) - 8, (1 << 32) - 1))

_calls = st.one_of(
    st.tuples(
        st.just("sent"),
        _seqs,
        st.integers(0, 1 << 40),
        st.floats(-1e9, 1e9, allow_nan=False),
    ),
    st.tuples(st.just("local"), _seqs, st.floats(allow_nan=False)),
    st.tuples(st.just("ack"), _seqs),
    st.tuples(st.just("oldest")),
)


@settings(max_examples=300, deadline=None)
@given(capacity=st.integers(1, 8), calls=st.lists(_calls, max_size=150))
def test_the_c_books_answer_as_the_python_ones(capacity: int, calls: list[tuple[Any, ...]]) -> None:
    """Any sequence of calls (seqs repeat, acks miss, the books overflow): the same
    answers, the same books after each call.  The ring wraps many times over."""
    py, c = PySentTimes(capacity), native()(capacity)
    for name, *args in calls:
        assert getattr(py, name)(*args) == getattr(c, name)(*args)
        assert py.entries() == c.entries()
        assert py.reporting == c.reporting
        assert len(py) == len(c)


@pytest.mark.parametrize(
    ("call", "args", "error"),
    [
        ("sent", (-1, 1, 0.0), ValueError),
        ("sent", (1 << 32, 1, 0.0), ValueError),
        ("sent", (1 << 70, 1, 0.0), ValueError),
        ("sent", ("7", 1, 0.0), TypeError),
        ("sent", (8, -1, 0.0), ValueError),
        ("sent", (8, 1 << 70, 0.0), OverflowError),
        ("sent", (8, -(1 << 70), 0.0), OverflowError),  # (too large before negative)
        ("sent", (8, 1.5, 0.0), TypeError),
        ("sent", (8, 1, "0"), TypeError),
        ("sent", (8, -1, "0"), TypeError),  # (every argument parsed before the sign)
        ("sent", (8, 1, memoryview(b"0")), TypeError),
        ("sent", (8, 1, 10**400), OverflowError),
        ("local", (1 << 32, 0.1), ValueError),
        ("local", (7, "0.1"), TypeError),
        ("local", (7, bytearray(b"0.1")), TypeError),
        ("ack", (-1,), ValueError),
        ("ack", (7.0,), TypeError),
    ],
)
def test_hostile_arguments_are_refused_and_change_nothing(
    call: str, args: tuple[Any, ...], error: type[Exception]
) -> None:
    for make in both():
        times = make(4)
        times.sent(7, 70, 1.0)
        with pytest.raises(error):
            getattr(times, call)(*args)
        assert times.entries() == [(7, 70, 1.0, None)]
        assert not times.reporting
    native()(1).sent(0xFFFFFFFF, (1 << 63) - 1, 0.0)


@pytest.mark.parametrize(
    ("capacity", "error"),
    [
        (0, ValueError),
        (-1, ValueError),
        (MAX_CAPACITY + 1, ValueError),
        (1 << 40, ValueError),
        (1 << 70, OverflowError),
        (-(1 << 70), OverflowError),
        (2.5, TypeError),
        ("8", TypeError),
    ],
)
def test_a_capacity_out_of_bounds_is_refused(capacity: Any, error: type[Exception]) -> None:
    for make in both():
        with pytest.raises(error):
            make(capacity)


def test_the_largest_capacity_is_taken_and_holds() -> None:
    for make in both():
        times = make(MAX_CAPACITY)
        for seq in range(MAX_CAPACITY + 5):
            times.sent(seq, 1, float(seq))
        assert len(times) == MAX_CAPACITY
        assert times.oldest() == (5.0, None)


def test_a_second_init_is_refused_by_both() -> None:
    for make in both():
        times = make(2)
        times.sent(1, 1, 0.0)
        with pytest.raises(RuntimeError, match="called already"):
            times.__init__(3)  # type: ignore[misc]
        assert times.entries() == [(1, 1, 0.0, None)]


class _OddInt(int):
    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return 7


class _OddFloat(float):
    def __float__(self) -> float:
        return 9.0


def test_odd_argument_types_are_read_as_their_values_by_both() -> None:
    """A bool or an int subclass is its value as a seq (its own equality does not decide
    which entry it is); a float subclass is its stored value, not its ``__float__``; the
    largest seqs come back whole; a second init's argument is parsed first."""
    answers = []
    for make in both():
        times = make(8)
        times.sent(True, 1, _OddFloat(1.5))
        times.sent(_OddInt(5), 2, 2.0)
        times.sent(0xFFFFFFFE, 3, 3.0)
        times.sent(0xFFFFFFFF, 4, 4.0)
        times.local(_OddInt(5), _OddFloat(0.25))
        entries = times.entries()
        assert [type(seq) for seq, *_ in entries] == [int] * 4
        assert [type(at) for _, _, at, _ in entries] == [float] * 4
        popped = times.ack(5)
        with pytest.raises(TypeError):
            times.__init__(1.5)  # type: ignore[misc]
        answers.append((entries, popped, times.entries()))
    assert answers[0] == answers[1]
    entries, popped, left = answers[0]
    assert entries == [
        (1, 1, 1.5, None), (5, 2, 2.0, 0.25), (0xFFFFFFFE, 3, 3.0, None), (0xFFFFFFFF, 4, 4.0, None)
    ]  # fmt: skip
    assert popped == [(1, 1.5, None), (2, 2.0, 0.25)]
    assert left == entries[2:]


def _uses(books: Any) -> list[Callable[[], object]]:
    """Every call the books answer (a bad seq too: being ready is checked first)."""
    return [
        lambda: books.sent(1, 1, 0.0),
        lambda: books.sent("7", 1, 0.0),
        lambda: books.local(1, 0.1),
        lambda: books.ack(1),
        lambda: books.ack(-1),
        books.oldest,
        books.entries,
        lambda: books.reporting,
        lambda: len(books),
        lambda: bool(books),
    ]


@pytest.mark.parametrize("kind", ["python", "c"])
def test_books_refuse_use_before_init_and_a_second_init(kind: str) -> None:
    """Made without ``__init__`` (or after one that failed), both refuse every call with
    the same RuntimeError; a second ``__init__`` is refused and changes nothing."""
    cls: Any = PySentTimes if kind == "python" else native()
    bare = cls.__new__(cls)
    for use in _uses(bare):
        with pytest.raises(RuntimeError, match=r"^SentTimes\.__init__ was not called$"):
            use()
    with pytest.raises(ValueError):
        bare.__init__(0)
    for use in _uses(bare):
        with pytest.raises(RuntimeError, match="__init__ was not called"):
            use()
    bare.__init__(1)  # (a bare one can still be made ready)
    bare.sent(5, 1, 0.0)
    assert bare.entries() == [(5, 1, 0.0, None)]
    times = cls(2)
    with pytest.raises(RuntimeError, match="called already"):
        times.__init__(3)
    times.sent(1, 1, 0.0)
    times.sent(2, 1, 0.0)
    times.sent(3, 1, 0.0)
    assert len(times) == 2  # (still the first capacity)


#: calls with a wrong count of arguments, or a keyword (every method is positional-only)
_MISCALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("sent", (), {}),
    ("sent", (1,), {}),
    ("sent", (1, 1), {}),
    ("sent", (1, 1, 0.0, 9), {}),
    ("sent", (1, 1), {"at": 0.0}),
    ("local", (), {}),
    ("local", (1,), {}),
    ("local", (1, 0.1, 2), {}),
    ("local", (1,), {"lag": 0.1}),
    ("ack", (), {}),
    ("ack", (1, 2), {}),
    ("ack", (), {"seq": 1}),
    ("oldest", (1,), {}),
    ("entries", (1,), {}),
]


@pytest.mark.parametrize("made", ["bare", "ready"])
@pytest.mark.parametrize("kind", ["python", "c"])
def test_a_wrong_count_of_arguments_is_a_type_error_even_before_init(kind: str, made: str) -> None:
    """Python's convention in both: a call's arguments are counted before its body runs,
    so a wrong count is a TypeError whatever the books' state.  (The C ones said
    RuntimeError, not ready, for ``sent`` and ``local`` on books made without
    ``__init__``: they looked at their state before counting; ``ack``, ``oldest`` and
    ``entries``, counted by CPython itself, were TypeErrors already.)"""
    cls: Any = PySentTimes if kind == "python" else native()
    times = cls.__new__(cls)
    if made == "ready":
        times.__init__(4)
        times.sent(7, 70, 1.0)
    for name, args, kwargs in _MISCALLS:
        with pytest.raises(TypeError):
            getattr(times, name)(*args, **kwargs)
    if made == "bare":
        with pytest.raises(RuntimeError, match="__init__ was not called"):
            times.sent(1, 1, 0.0)  # (still refused: counted, then not ready)
    else:
        assert times.entries() == [(7, 70, 1.0, None)]
        assert not times.reporting


def test_new_sent_times_are_the_c_ones_when_built() -> None:
    assert type(new_sent_times(64)) is native()
