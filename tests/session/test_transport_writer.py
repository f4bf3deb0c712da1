"""The writer thread waits for a notify, never polls: each change it waits for (an event
queued, the channel up, the write turn given back, the end) notifies it, and its wait's
only bound is the idle timeout (a backstop).  Before, it woke every second to look; a
change that forgot its notify would now stall the writer for the whole idle timeout, so
every wake below must be a notify's."""

from __future__ import annotations

import threading

from remoteapp.net.session import Clipboard, Hello, Text
from remoteapp.net.session_state import Role
from tests.session.transport_ends import End, until
from tests.streams import StreamPair


class WaitLog(threading.Condition):
    """A condition that records each wait: the thread, its bound, and whether a notify
    (True) or the bound (False) ended it; and which threads are in a wait now (set under
    the lock, which the wait gives up: a notify after it is seen reaches that wait)."""

    def __init__(self, lock: threading.RLock) -> None:
        super().__init__(lock)
        self.waits: list[tuple[str, float | None, bool]] = []
        self.waiting: set[str] = set()

    def wait(self, timeout: float | None = None) -> bool:
        name = threading.current_thread().name
        self.waiting.add(name)
        try:
            woke = super().wait(timeout)
        finally:
            self.waiting.discard(name)
        self.waits.append((name, timeout, woke))
        return woke


def test_the_writer_wakes_only_when_notified(pair: StreamPair) -> None:
    agent, customer = End(pair.a, Role.AGENT), End(pair.b, Role.CUSTOMER)
    log = WaitLog(agent.transport._room_lock)
    agent.transport._room = log  # (before any send: every wait of the writer's is seen)
    assert agent.transport.send(Hello(Role.AGENT, "Ana"))  # queued: the channel is not up
    assert customer.transport.send(Hello(Role.CUSTOMER, "Maria"))
    agent.start("agent-net")
    customer.start("customer-net")
    customer.wait_for(Hello(Role.AGENT, "Ana"))  # the writer waited for the channel

    pair.a_to_b.stall()  # direct writes until the socket refuses one, then the writer's
    sent: list[Text] = []
    while agent.transport.queued == 0:
        assert len(sent) < 500, "the socket never refused a direct write"
        sent.append(Text(f"{len(sent):04d}" + "t" * 3000))
        assert agent.transport.send(sent[-1])
    pair.a_to_b.resume()
    customer.wait_for(sent[-1])
    assert until(lambda: agent.transport.queued == 0)
    # (the queue empties before the writer is back in its wait: a send in between is
    # found by its loop with no wait at all)
    assert until(lambda: "session-writer" in log.waiting)
    clip = Clipboard("c" * (256 << 10))  # the writer's alone, after it went idle
    assert agent.transport.send(clip)
    customer.wait_for(clip)
    agent.transport.close("test over")  # the Bye: the writer's, its last item
    assert customer.end_reason() == "test over"
    assert agent.end_reason() == "test over"

    writer = [(bound, woke) for name, bound, woke in log.waits if name == "session-writer"]
    assert len(writer) >= 3, log.waits  # the channel, the leftover, the clipboard at least
    assert all(bound == agent.transport.idle_timeout for bound, _ in writer), writer
    assert all(woke for _, woke in writer), writer  # no wake was the bound's
