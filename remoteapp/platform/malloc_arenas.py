"""Fewer glibc malloc arenas for the desktop app, which is left open for days.

Each session reads on a new thread, and glibc gives a new thread its own arena when
another is busy (up to 8 per core). Each session's zstd stream allocates its 16 MiB
window on that thread; freed, the window stays in its arena as free memory glibc keeps
(above the dynamic mmap threshold it is no longer unmapped). Over 60 agent sessions
RSS went from 115 to 206 MB with 17 MB in use; with two arenas, to 157.5 MB, flat after
the second session (``bench.agent_memory``, same run). The app's threads allocate mostly
under the GIL: the customer's capture CPU (``bench.capture_cpu``, typing and drag) did
not move. A fixed mmap threshold, the other fix, made every allocation above it fault
its pages in again (a 4K frame: 22 ms instead of 1.4): not taken.

glibc only (``mallopt``); elsewhere, or when the user set ``MALLOC_ARENA_MAX`` (glibc
reads it itself), nothing changes.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Mapping
from typing import Final

ARENAS: Final = 2
M_ARENA_MAX: Final = -8  # glibc's malloc.h


def limit(
    arenas: int = ARENAS, environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> bool:
    """Cap the number of malloc arenas, before the program starts its threads; whether
    the cap was set."""
    if not platform.startswith("linux") or "MALLOC_ARENA_MAX" in environ:
        return False
    try:
        libc = ctypes.CDLL(None)
        version = libc.gnu_get_libc_version  # glibc's own; absent from musl
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    version.restype = ctypes.c_char_p
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(version()) and mallopt(M_ARENA_MAX, arenas) == 1
