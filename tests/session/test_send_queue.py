"""The send queue's policy as a plain class (the transport's tests drive it over real
sockets): moves coalesce and go first when full, nothing else is dropped, a forced push
overshoots the byte bound by its one event."""

from __future__ import annotations

from remoteapp.session.send_queue import SMALL_EVENT, Queued, SendQueue


def move() -> Queued:
    return Queued(b"m" * 10, move=True)


def test_a_move_replaces_the_move_at_the_tail_only() -> None:
    q = SendQueue()
    assert q.push(move()) and q.push(move())
    assert len(q) == 1 and q.coalesced == 1
    assert q.push(Queued(b"key")) and q.push(move())
    assert len(q) == 3 and [item.move for item in (q.pop(), q.pop(), q.pop())] == [1, 0, 1]


def test_a_full_queue_drops_its_moves_and_then_refuses_the_undroppable() -> None:
    q = SendQueue(max_events=3)
    for item in (Queued(b"a"), move(), Queued(b"b")):
        assert q.push(item)
    assert q.push(Queued(b"c")) and len(q) == 3 and q.coalesced == 1  # the move made room
    assert not q.push(Queued(b"d")) and len(q) == 3  # keys are never dropped: refused
    assert q.push(move()) and len(q) == 4  # a move is always taken, one past the bound


def test_large_events_are_bounded_by_bytes_and_a_forced_one_overshoots() -> None:
    big = b"x" * (SMALL_EVENT + 1)
    q = SendQueue(max_bytes=2 * len(big))
    assert q.push(Queued(big)) and q.push(Queued(big))
    assert not q.room() and not q.push(Queued(big))
    assert q.push(Queued(b"key"))  # small events are counted by number only
    assert q.push(Queued(big), force=True) and len(q) == 4
    q.pop()
    q.clear()
    assert len(q) == 0 and q.room()
