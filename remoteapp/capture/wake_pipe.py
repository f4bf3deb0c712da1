"""A pipe that ends a capture thread's ``select`` from any other thread.

The damage source sleeps in one ``select`` (or one C call) on the X connection and this
pipe's read end: a wake is a byte written here (input, a credit, the session's end), and
the sleeper drains it.  A full pipe means a wake is pending already, so ``wake`` never
blocks; the lock keeps a wake from writing to a pipe that ``close`` has closed.
"""

from __future__ import annotations

import contextlib
import os
import threading


class WakePipe:
    """The read end (``fd``) for the sleeper, ``wake`` for everyone else."""

    def __init__(self) -> None:
        self.fd, self._w = os.pipe()
        os.set_blocking(self.fd, False)
        os.set_blocking(self._w, False)
        self._lock = threading.Lock()
        self.closed = False

    def wake(self) -> None:
        """Any thread: the sleeper's ``select`` returns (now, or at its next one)."""
        with self._lock:
            if not self.closed:
                with contextlib.suppress(BlockingIOError):  # full: a wake is pending
                    os.write(self._w, b"w")

    def drain(self) -> None:
        """The sleeper, after its ``select`` saw ``fd`` readable: the wakes are taken."""
        with contextlib.suppress(BlockingIOError):
            os.read(self.fd, 1 << 16)  # (a full pipe at once: each wake is one byte)

    def close(self) -> bool:
        """Close both ends; later wakes do nothing.  Whether it was open."""
        with self._lock:
            if self.closed:
                return False
            self.closed = True
            os.close(self.fd)
            os.close(self._w)
        return True
