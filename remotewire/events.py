"""One event channel: ``<source> event=<name> key=value ...`` lines.

People, scripts and tests grep these lines (``helpdesk event=ready`` says the server
listens; ``./dev run`` and the test fixtures wait for it), so they go through one stdlib
``logging`` logger, ``events``, instead of scattered prints. ``to_stdout`` gives that logger
a handler that writes each line as it is (no timestamp, no level) to the current
``sys.stdout``. Standard library only: the desktop app can use the same channel.
"""

from __future__ import annotations

import logging
import sys
from typing import Final, TextIO

LOGGER: Final = "events"


class EventLog:
    """Emits the events of one source (``helpdesk``, ``relay``, ``agent`` ...)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.logger = logging.getLogger(f"{LOGGER}.{source}")

    def emit(self, event: str, level: int = logging.INFO, **fields: object) -> None:
        """One line: ``<source> event=<event> k=v ...``, fields in the order given."""
        parts = "".join(f" {key}={value}" for key, value in fields.items())
        self.logger.log(level, "%s event=%s%s", self.source, event, parts)


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Looks ``sys.stdout`` up at each line, so a replaced stdout (pytest) gets them."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def to_stdout(level: int = logging.INFO) -> None:
    """Write event lines to stdout, unadorned; idempotent. Called by entry points."""
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(h, _StdoutHandler) for h in logger.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False  # not again, timestamped, through the root logger
