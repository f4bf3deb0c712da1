"""``remoteapp-server`` with a clock the test moves: ``python -m tests.helpdesk.clocked_server
<remoteapp-server options>``.

The real server (``helpdesk.cli.main``: uvicorn on a real socket, the relay, the real
database), with one difference: its ``Clock`` runs ``offset`` seconds ahead of the real
one, and each line ``advance <seconds> <seq>`` on stdin moves it further, answered on
stdout by ``clock event=advanced seq=<seq> offset=<total>`` once every rule sees the new
time. So a test waits for no lapse or window: it moves time past it.
"""

from __future__ import annotations

import sys
import threading
import time

from helpdesk.cli import main
from helpdesk.clock import Clock
from remotewire.events import EventLog

events = EventLog("clock")


class SteppedClock(Clock):
    """Real time plus an offset that only grows (so ``monotonic`` stays monotonic)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.offset += seconds


def read_commands(clock: SteppedClock) -> None:
    """Until stdin closes (the test stopped us, or died)."""
    for line in sys.stdin:
        match line.split():
            case ["advance", seconds, seq]:
                clock.advance(float(seconds))
                events.emit("advanced", seq=seq, offset=clock.offset)
            case _:
                events.emit("unknown-command", line=line.strip())


if __name__ == "__main__":
    stepped = SteppedClock()
    threading.Thread(target=read_commands, args=(stepped,), daemon=True).start()
    main(sys.argv[1:], stepped)
