"""How the C books (``remoteapp/_seq_books.h``: ``codec._senttimes``, ``net._inflight``)
read their arguments, for their Python twins (``PySentTimes``, ``PyInFlight``), which
answer every call as the C books do, errors too."""

from __future__ import annotations

import operator
from typing import Final

SEQ_LIMIT: Final = 1 << 32  #: a seq is a u32
LONG_LIMIT: Final = 1 << 63  #: the C books' long and long long


def check_seq(seq: int) -> int:
    """``seq`` as a plain int, as the C books read it (a bool or an int subclass is its
    value: its own ``__eq__`` or ``__hash__`` must not decide which entry it is)."""
    if not isinstance(seq, int):
        raise TypeError("a seq is an int")
    seq = operator.index(seq)
    if not 0 <= seq < SEQ_LIMIT:
        raise ValueError("a seq is an int in [0, 2**32)")
    return seq


def as_long(value: int) -> int:
    """An int as the C books parse one (a C long): any ``__index__``, never a float; out
    of range is OverflowError, before any check of its bounds."""
    value = operator.index(value)
    if not -LONG_LIMIT <= value < LONG_LIMIT:
        raise OverflowError("Python int too large to convert to C long")
    return value
