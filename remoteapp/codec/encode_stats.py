"""What an update held (``ScreenEncoder.last_stats``), for logs and the benchmark."""

from __future__ import annotations

import functools
from typing import Final, NamedTuple


class EncodeStats(NamedTuple):
    """What the last ``encode`` produced, for logs and the benchmark (a named tuple: one
    an update, with no Python ``__init__`` to run)."""

    key: bool
    copies: int
    rects: int
    raw_bytes: int
    body_bytes: int
    update_bytes: int
    lossy: int = 0  #: of ``rects``, how many went through a lossy codec


#: ``EncodeStats`` of a tuple of all its fields, in C (the class's own ``__new__`` is
#: Python, generated: a frame per update)
stats_of: Final = functools.partial(tuple.__new__, EncodeStats)
