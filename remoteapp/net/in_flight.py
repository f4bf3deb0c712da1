"""The customer's books of screen updates sent and not acked yet: its credits.

The rule is the session's flow control (``session.SessionConnection``): at most
``window`` updates in flight, or ``small_window`` while none of them is large (over
``SMALL_UPDATE`` bytes: a typed key's update is small).  Acks are cumulative: an ack
pops every update up to its seq.

The books are shared across threads (the sender books, the reader thread pops on each
ack), and the native lane (docs/capture.md, "Next: the native lane", step 4) will book a
typed key's update from C with the GIL released.  So they are ``_inflight.InFlight`` (C,
an optional extension built by setup.py, with a lock of its own) when it is built, and
``PyInFlight`` otherwise: the same books, the same answers (``tests/net/
test_in_flight.py`` runs both).
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

from remoteapp.seq_books import as_long, check_seq

try:  # the C books (setup.py); without them, PyInFlight below
    from remoteapp.net import _inflight as native
except ImportError:  # pragma: no cover - depends on the build
    native = None  # type: ignore[assignment]

__all__ = ["MAX_WINDOW", "InFlightBooks", "PyInFlight", "native", "new_books"]

MAX_WINDOW = 1024  #: a bound on either window (the C ring's)


class InFlightBooks(Protocol):
    """What both implementations answer."""

    @property
    def credits(self) -> int: ...

    def book(self, seq: int, large: bool, /) -> bool: ...

    def ack(self, seq: int, /) -> int: ...

    def entries(self) -> list[tuple[int, bool]]: ...

    def __len__(self) -> int: ...


class PyInFlight:
    """The books in Python.  Not thread-safe: its owner's lock guards it.

    It answers every call as the C books do, errors too (``tests/net/test_in_flight.py``):
    a wrong count of arguments, or a keyword, is a TypeError before anything else; one
    made without ``__init__`` (``cls.__new__(cls)``) refuses every other call with the C
    books' RuntimeError before it reads any argument's value; a second ``__init__`` is
    refused (it would lose the books)."""

    def __init__(self, window: int, small_window: int) -> None:
        window, small_window = as_long(window), as_long(small_window)  # (as the C books parse)
        if hasattr(self, "_books"):
            raise RuntimeError("InFlight.__init__ was called already")
        if not (1 <= window <= MAX_WINDOW and 0 <= small_window <= MAX_WINDOW):
            raise ValueError(
                f"window in [1, {MAX_WINDOW}] and small_window in [0, {MAX_WINDOW}] are needed"
            )
        self._window = window
        self._small_window = small_window
        self._large = 0
        self._books: deque[tuple[int, bool]] = deque()  # (last: it marks the books ready)

    @property
    def credits(self) -> int:
        try:
            out = len(self._books)
        except AttributeError:
            raise _unready() from None
        small = self._small_window - out if not self._large else 0
        return max(0, self._window - out, small)

    def book(self, seq: int, large: bool, /) -> bool:
        """Book ``seq`` if a credit is free; False, nothing booked, otherwise."""
        try:
            books = self._books  # (read first, as the C books check they are ready first)
        except AttributeError:
            raise _unready() from None
        seq = check_seq(seq)
        large = bool(large)  # (read whether or not a credit is free, as the C books read it)
        if self.credits <= 0:
            return False
        books.append((seq, large))
        self._large += large
        return True

    def ack(self, seq: int, /) -> int:
        """Pop every update up to ``seq``: how many, or 0 (nothing popped) if it is not
        in flight."""
        try:
            books = self._books
        except AttributeError:
            raise _unready() from None
        seq = check_seq(seq)
        if all(booked != seq for booked, _ in books):
            return 0
        popped = 0
        while True:
            booked, large = books.popleft()
            self._large -= large
            popped += 1
            if booked == seq:
                return popped

    def entries(self) -> list[tuple[int, bool]]:
        try:
            return list(self._books)
        except AttributeError:
            raise _unready() from None

    def __len__(self) -> int:
        try:
            return len(self._books)
        except AttributeError:
            raise _unready() from None


def _unready() -> RuntimeError:
    """What a call to books made without ``__init__`` raises (the C books' error)."""
    return RuntimeError("InFlight.__init__ was not called")


def new_books(window: int, small_window: int) -> InFlightBooks:
    """The C books when they are built, else the Python ones."""
    if native is not None:
        books: InFlightBooks = native.InFlight(window, small_window)
        return books
    return PyInFlight(window, small_window)
