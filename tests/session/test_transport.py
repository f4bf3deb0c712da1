"""Transport's contract, agent and customer ends over real TCP through taps (tests/streams.py):
events arrive in order whether the bytes come whole or one at a time; a peer that stops
reading never blocks ``send``, moves coalesce, nothing else is dropped; a queue full of
undroppable events, a peer that takes nothing and a stalled Bye all end the session with
a reason, within their bounds; bulk senders wait for room (back-pressure).  How a
session ends on bad bytes, keys and failures: ``test_transport_failures.py``."""

from __future__ import annotations

import threading

import pytest

from remoteapp.errors import LocalProtocolError
from remoteapp.net.messages import SMALL_WINDOW
from remoteapp.net.session import (
    CHUNK,
    Clipboard,
    Event,
    Hello,
    Key,
    MonitorInfo,
    Ping,
    PointerMove,
    ScreenInfo,
    ScreenUpdate,
    Text,
    UpdateAck,
)
from remoteapp.net.session_state import Role
from remoteapp.session.transport import CLOSE_TIMEOUT_S, POLL_S
from tests.session.transport_ends import (
    WAIT_S,
    End,
    ends,
    input_burst,
    stall_writer,
    turn_free,
    undroppable,
    until,
)
from tests.streams import StreamPair


@pytest.mark.parametrize("delivery", ["whole", "byte by byte"])
def test_events_arrive_in_order_whole_and_byte_by_byte(pair: StreamPair, delivery: str) -> None:
    if delivery == "byte by byte":
        for tap in pair.taps:
            tap.trickle()
    agent, customer = ends(pair)
    monitors = (MonitorInfo(0, 0, 0, 1280, 800), MonitorInfo(1, 0, 0, 1280, 800, True, "A"))
    size = 700 if delivery == "byte by byte" else 2 * CHUNK + 1000  # several frames whole
    update = ScreenUpdate(0, bytes(range(256)) * (size // 256))
    assert customer.transport.send(ScreenInfo(monitors, 1))
    assert customer.transport.send(update, wait=WAIT_S)
    sent = input_burst(120 if delivery == "whole" else 12)
    for event in sent:
        assert agent.transport.send(event)
    agent.wait_for(update)  # (an agent acks only what it has received)
    assert agent.transport.send(UpdateAck(0))

    customer.wait_for(UpdateAck(0))
    assert agent.events[:3] == [Hello(Role.CUSTOMER, "Maria"), ScreenInfo(monitors, 1), update]
    got = customer.events
    assert got[0] == Hello(Role.AGENT, "Ana")
    assert undroppable(got[1:]) == [*undroppable(sent), UpdateAck(0)]
    moves = [e for e in got if isinstance(e, PointerMove)]
    assert moves[-1] == PointerMove(4321, 1234)  # the last position always arrives
    assert all(m in sent for m in moves)
    if delivery == "byte by byte":
        assert pair.a_to_b.deliveries == pair.a_to_b.passed  # one byte per delivery
        assert pair.b_to_a.deliveries == pair.b_to_a.passed

    agent.transport.close("agent ended the session")
    assert customer.end_reason() == "agent ended the session"
    assert agent.end_reason() == "agent ended the session"


def test_a_peer_that_stops_reading_never_blocks_moves_coalesce_nothing_else_drops(
    pair: StreamPair,
) -> None:
    agent, customer = ends(pair)
    customer.wait_for(Hello(Role.AGENT, "Ana"))
    stall_writer(agent, pair)

    sent = input_burst(1000)
    for event in sent:  # returns at once each time (a blocked send would hang the test)
        assert agent.transport.send(event)
    # moves coalesced: what waits is the undroppable events and at most one move next to each
    waiting = agent.transport.queued
    assert waiting <= 2 * len(undroppable(sent)) + 1
    assert agent.transport.coalesced >= 1000 - waiting
    assert not agent.transport.closed

    pair.a_to_b.resume()
    customer.wait_for(PointerMove(4321, 1234))
    got = customer.events
    before = [Hello(Role.AGENT, "Ana"), Clipboard("x" * (1 << 20))]
    assert undroppable(got) == [*before, *undroppable(sent)]
    assert len([e for e in got if isinstance(e, PointerMove)]) < 100
    agent.transport.close("test over")
    assert customer.end_reason() == "test over"


def test_small_events_go_out_from_the_sender_and_the_writer_takes_what_the_socket_refuses(
    pair: StreamPair,
) -> None:
    """With nothing queued a small event is written by its sender, never waiting; once the
    peer stops reading, the socket takes part of one, the writer sends the rest and
    everything after it queues; all of it arrives whole and in order."""
    agent, customer = ends(pair)
    customer.wait_for(Hello(Role.AGENT, "Ana"))
    assert turn_free(agent.transport)
    before = agent.transport.direct_writes
    assert agent.transport.send(Key("a", True))
    customer.wait_for(Key("a", True))
    assert agent.transport.direct_writes == before + 1  # no hand-off to the writer

    pair.a_to_b.stall()
    sent: list[Event] = []
    while agent.transport.queued == 0:  # (the 4 KB buffers fill within a few events)
        assert len(sent) < 500, "the socket never refused a direct write"
        sent.append(Text(f"{len(sent):04d}" + "t" * 3000))
        assert agent.transport.send(sent[-1])  # returns at once: a stall never blocks it
    sent += [Text("queued behind"), Key("a", False)]
    assert all(agent.transport.send(event) for event in sent[-2:])
    pair.a_to_b.resume()
    customer.wait_for(Key("a", False))
    got = [e for e in customer.events if isinstance(e, Text) or e == Key("a", False)]
    assert got == sent
    agent.transport.close("test over")
    assert customer.end_reason() == "test over"


def test_the_customers_updates_small_ones_written_by_their_sender_all_in_order(
    pair: StreamPair,
) -> None:
    """``send_update``: an update queued behind a large one (the writer's) waits its turn;
    a small one with nothing ahead is written by the sender itself; every one reports its
    start (``on_write``); no credit is refused as ``send`` refuses it; closed, False."""
    agent, customer = ends(pair)
    t = customer.transport
    assert until(lambda: t.queued == 0)
    lags: list[float] = []
    before = t.direct_writes
    pair.b_to_a.stall()
    big = bytes(range(256)) * 2048  # 512 KiB, over CHUNK: two frames, by the writer
    assert t.send_update(0, big, lags.append, WAIT_S)
    assert t.send_update(1, b"typed", lags.append, WAIT_S)  # behind it: queued
    assert t.direct_writes == before
    pair.b_to_a.resume()
    agent.wait_for(ScreenUpdate(1, b"typed"))
    assert [e.seq for e in agent.events if isinstance(e, ScreenUpdate)] == [0, 1]
    assert agent.transport.send(UpdateAck(0)) and agent.transport.send(UpdateAck(1))
    assert until(lambda: t.conn.credits == SMALL_WINDOW) and turn_free(t)
    assert t.send_update(2, b"k", lags.append, WAIT_S)
    agent.wait_for(ScreenUpdate(2, b"k"))
    assert t.direct_writes == before + 1
    assert len(lags) == 3 and min(lags) >= 0.0
    for seq in range(3, 2 + SMALL_WINDOW):  # (2 is in flight)
        assert t.send_update(seq, b"k", lags.append, WAIT_S)
    with pytest.raises(LocalProtocolError, match="no credit"):
        t.send_update(99, b"k", lags.append, WAIT_S)
    t.close("test over")
    assert not t.send_update(100, b"k", lags.append, WAIT_S)
    assert agent.end_reason() == "test over"


def test_a_send_update_that_raises_books_nothing_and_gives_the_write_turn_back(
    pair: StreamPair,
) -> None:
    """A caller's mistake (a seq that is no int) raises, and leaves no credit booked and
    no write turn held: the next update goes out, by its sender."""
    agent, customer = ends(pair)
    t = customer.transport
    assert turn_free(t)
    credits, before = t.conn.credits, t.direct_writes
    with pytest.raises(TypeError):
        t.send_update("1", b"k", lambda lag: None, WAIT_S)  # type: ignore[arg-type]
    assert t.conn.credits == credits
    assert t.send_update(1, b"k", lambda lag: None, WAIT_S)
    agent.wait_for(ScreenUpdate(1, b"k"))
    assert t.direct_writes == before + 1
    t.close("test over")
    assert agent.end_reason() == "test over"


def test_a_queue_full_of_undroppable_events_ends_the_session_at_once(pair: StreamPair) -> None:
    agent, customer = ends(pair, max_events=16)
    stall_writer(agent, pair)
    results = [agent.transport.send(Key("a", pressed)) for pressed in [True, False] * 8]
    assert all(results) and agent.transport.queued == 16
    assert agent.transport.send(PointerMove(1, 1))  # a move is always taken (and coalesces)
    assert agent.transport.send(PointerMove(2, 2))
    assert agent.transport.queued == 17 and agent.transport.coalesced == 1

    assert not agent.transport.send(Key("b", True))  # no room: the session is over, no wait
    assert agent.transport.closed
    reason = agent.end_reason()
    assert reason == "the other side stopped reading (16 events waiting to be sent)"
    assert not agent.transport.send(Key("b", False))  # and stays over
    pair.a_to_b.resume()
    # half a record, then the end
    assert customer.end_reason().startswith("connection lost inside an encrypted record")


def test_a_peer_that_takes_no_data_ends_the_session_after_the_idle_timeout(
    pair: StreamPair,
) -> None:
    agent, customer = ends(pair, idle_timeout=2 * POLL_S)
    stall_writer(agent, pair)
    keep_talking = threading.Event()

    def talk() -> None:  # the peer still sends, so only the writer can notice the stall
        nonce = 0
        while not keep_talking.wait(0.1) and customer.transport.send(Ping(nonce)):
            nonce += 1

    talker = threading.Thread(target=talk)
    talker.start()
    try:
        assert agent.end_reason() == "the other side took no data for 2 s"
    finally:
        keep_talking.set()
        talker.join(WAIT_S)


def test_close_never_waits_on_a_stalled_peer_and_gives_up_on_the_bye_in_bounds(
    pair: StreamPair,
) -> None:
    agent, customer = ends(pair)
    stall_writer(agent, pair)
    agent.transport.close("agent closed the viewer")
    assert agent.transport.closed and not agent.ended.is_set()  # returned before the Bye went
    assert not agent.transport.send(PointerMove(5, 5))
    assert agent.ended.wait(CLOSE_TIMEOUT_S + 2 * POLL_S + WAIT_S)
    assert agent.end_reason() == "agent closed the viewer"
    pair.a_to_b.resume()
    # the Bye never got through
    assert customer.end_reason().startswith("connection lost inside an encrypted record")


def test_a_bulk_sender_waits_for_room_then_sends(pair: StreamPair) -> None:
    customer = End(pair.b, Role.CUSTOMER, max_bytes=64 * 1024)
    agent = End(pair.a, Role.AGENT)
    assert customer.transport.send(Hello(Role.CUSTOMER, "Maria"))
    customer.start("customer-net")
    agent.start("agent-net")
    customer.wait_secured()
    agent.wait_for(Hello(Role.CUSTOMER, "Maria"))
    pair.b_to_a.stall()
    assert customer.transport.send(Clipboard("y" * (1 << 20)))
    assert until(lambda: customer.transport.queued == 0)  # the writer is stuck in it
    assert customer.transport.send(Clipboard("z" * (100 * 1024)))  # over max_bytes now
    assert customer.transport.send(Ping(7))  # a small event is never refused for bytes
    update = ScreenUpdate(0, b"frame" * 100)
    results: list[bool] = []
    sender = threading.Thread(
        target=lambda: results.append(customer.transport.send(update, wait=WAIT_S))
    )
    sender.start()
    sender.join(0.3)
    assert sender.is_alive() and customer.transport.queued == 2  # waiting, not queued

    pair.b_to_a.resume()
    sender.join(WAIT_S)
    assert results == [True]
    agent.wait_for(update)
    assert customer.transport.conn.credits == SMALL_WINDOW - 1  # (a small one) took its credit
    customer.transport.close("customer ended the session")
    assert agent.end_reason() == "customer ended the session"


def test_a_bulk_sender_that_finds_no_room_in_time_ends_the_session(pair: StreamPair) -> None:
    customer = End(pair.b, Role.CUSTOMER, max_events=1)
    agent = End(pair.a, Role.AGENT)
    assert customer.transport.send(Hello(Role.CUSTOMER, "Maria"))
    customer.start("customer-net")
    agent.start("agent-net")
    customer.wait_secured()
    agent.wait_for(Hello(Role.CUSTOMER, "Maria"))
    pair.b_to_a.stall()
    assert customer.transport.send(Clipboard("y" * (1 << 20)))
    assert until(lambda: customer.transport.queued == 0)
    assert customer.transport.send(Ping(1))
    assert not customer.transport.send(ScreenUpdate(0, b"frame"), wait=0.2)
    assert customer.end_reason() == "the other side took no data for 0.2 s"
