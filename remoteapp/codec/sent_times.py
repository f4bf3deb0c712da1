"""Rate control's books of screen updates sent and not acked yet: when each went out, its
size, and how long it waited on this side before its bytes did (its lag).

Three threads write them: the capture thread books an update as it sends it, the thread
that writes it reports its lag (``local``), and the reader thread pops them on each ack
(``rate_control.RateController.acked``).  The native lane (docs/capture.md, "Next: the
native lane", step 4) will send a typed key's update from C with the GIL released.  So
the books are ``_senttimes.SentTimes`` (C, an optional extension built by setup.py, with
a lock of its own) when it is built, and ``PySentTimes`` otherwise: the same books, the
same answers (``tests/codec/test_sent_times.py`` runs both).
"""

from __future__ import annotations

import operator
import threading
from dataclasses import dataclass
from typing import Protocol

from remoteapp.seq_books import as_long, check_seq

try:  # the C books (setup.py); without them, PySentTimes below
    from remoteapp.codec import _senttimes as native
except ImportError:  # pragma: no cover - depends on the build
    native = None  # type: ignore[assignment]

__all__ = ["MAX_CAPACITY", "PySentTimes", "SentTimesBooks", "native", "new_sent_times"]

MAX_CAPACITY = 1024  #: a bound on the books (the C ring's)

#: an entry: (seq, nbytes, sent at, lag or None while not known)
Entry = tuple[int, int, float, "float | None"]


class SentTimesBooks(Protocol):
    """What both implementations answer (the C module's docstring says each call's)."""

    @property
    def reporting(self) -> bool: ...

    def sent(self, seq: int, nbytes: int, at: float, /) -> None: ...

    def local(self, seq: int, lag: float, /) -> None: ...

    def ack(self, seq: int, /) -> list[tuple[int, float, float | None]] | None: ...

    def oldest(self) -> tuple[float, float | None] | None: ...

    def entries(self) -> list[Entry]: ...

    def __len__(self) -> int: ...


@dataclass(slots=True)
class _Times:
    nbytes: int
    at: float
    lag: float | None = None


class PySentTimes:
    """The books in Python, with a lock of their own (threads call them directly).

    One made without ``__init__`` (``cls.__new__(cls)``) refuses every call with the C
    books' RuntimeError, before it reads any argument's value: each call's first read of
    what ``__init__`` sets fails, and the ``except`` costs nothing until it does.  A wrong
    count of arguments is a TypeError before that, as for any Python call (the C books
    count them first too: ``_seq_books.h``, ``books_arity``)."""

    def __init__(self, capacity: int) -> None:
        capacity = as_long(capacity)  # (parsed first, as the C books parse)
        if hasattr(self, "_books"):  # (as the C books: a second one would lose them)
            raise RuntimeError("SentTimes.__init__ was called already")
        if not 1 <= capacity <= MAX_CAPACITY:
            raise ValueError(f"capacity in [1, {MAX_CAPACITY}] is needed")
        self._capacity = capacity
        self._books: dict[int, _Times] = {}  # (a dict keeps insertion order: oldest first)
        self._reporting = False
        self._lock = threading.Lock()

    @property
    def reporting(self) -> bool:
        """``local`` was called (ever): the sender reports its waits."""
        try:
            return self._reporting
        except AttributeError:
            raise _unready() from None

    def sent(self, seq: int, nbytes: int, at: float, /) -> None:
        """Book ``seq`` (one already booked keeps its place; full: the oldest goes)."""
        try:
            lock = self._lock  # (read first, as the C books check they are ready first)
        except AttributeError:
            raise _unready() from None
        seq = check_seq(seq)
        nbytes = as_long(nbytes)
        at = _seconds(at)
        if nbytes < 0:
            raise ValueError("nbytes is not negative")
        with lock:
            entry = self._books.get(seq)
            if entry is not None:
                entry.nbytes, entry.at = nbytes, at
                return
            if len(self._books) >= self._capacity:
                del self._books[next(iter(self._books))]
            self._books[seq] = _Times(nbytes, at)

    def local(self, seq: int, lag: float, /) -> None:
        """``seq`` waited ``lag`` s on this side before its bytes went out."""
        try:
            lock = self._lock
        except AttributeError:
            raise _unready() from None
        seq = check_seq(seq)
        lag = _seconds(lag)
        with lock:
            self._reporting = True
            entry = self._books.get(seq)
            if entry is not None:
                entry.lag = max(0.0, lag)

    def ack(self, seq: int, /) -> list[tuple[int, float, float | None]] | None:
        """Pop every entry up to ``seq``, (nbytes, at, lag) each, ``seq``'s last; None,
        nothing popped, if it is not booked."""
        try:
            lock = self._lock
        except AttributeError:
            raise _unready() from None
        seq = check_seq(seq)
        with lock:
            if seq not in self._books:
                return None
            popped = []
            while True:
                booked = next(iter(self._books))
                entry = self._books.pop(booked)
                popped.append((entry.nbytes, entry.at, entry.lag))
                if booked == seq:
                    return popped

    def oldest(self) -> tuple[float, float | None] | None:
        try:
            lock = self._lock
        except AttributeError:
            raise _unready() from None
        with lock:
            for entry in self._books.values():
                return entry.at, entry.lag
            return None

    def entries(self) -> list[Entry]:
        try:
            lock = self._lock
        except AttributeError:
            raise _unready() from None
        with lock:
            return [(seq, e.nbytes, e.at, e.lag) for seq, e in self._books.items()]

    def __len__(self) -> int:
        try:
            return len(self._books)
        except AttributeError:
            raise _unready() from None


def _unready() -> RuntimeError:
    """What a call to books made without ``__init__`` raises (the C books' error)."""
    return RuntimeError("SentTimes.__init__ was not called")


def _seconds(value: float) -> float:
    """A float as the C books take one (``PyFloat_AsDouble``): a float, a ``__float__``
    or an ``__index__``; never a string or a buffer, which ``float()`` would parse."""
    if isinstance(value, float):  # (a subclass: its stored value, not its __float__)
        return float.__float__(value)
    to_float = getattr(type(value), "__float__", None)
    if to_float is not None:
        result = to_float(value)
        if not isinstance(result, float):
            raise TypeError("__float__ returned non-float")
        return float.__float__(result)
    return float(operator.index(value))


def new_sent_times(capacity: int) -> SentTimesBooks:
    """The C books when they are built, else the Python ones."""
    if native is not None:
        books: SentTimesBooks = native.SentTimes(capacity)
        return books
    return PySentTimes(capacity)
