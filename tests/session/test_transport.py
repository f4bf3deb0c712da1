"""Transport's contract, agent and customer ends over real TCP through taps (tests/streams.py):
events arrive in order whether the bytes come whole or one at a time; a peer that stops
reading never blocks ``send``, moves coalesce, nothing else is dropped; a queue full of
undroppable events, a peer that takes nothing and a stalled Bye all end the session with
a reason, within their bounds; bulk senders wait for room (back-pressure)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from remoteapp.errors import LocalProtocolError, RemoteProtocolError
from remoteapp.net.messages import SMALL_WINDOW
from remoteapp.net.session import (
    CHUNK,
    Clipboard,
    Event,
    Hello,
    Key,
    MonitorInfo,
    Ping,
    PointerButton,
    PointerMove,
    Pong,
    ScreenInfo,
    ScreenUpdate,
    SessionConnection,
    Text,
    UpdateAck,
    Wheel,
)
from remoteapp.net.session_state import Role
from remoteapp.secure import ChannelBroken, HandshakeFailed, PasswordMismatch, SecureParams
from remoteapp.secure import channel as channel_module
from remoteapp.secure.handshake import AGENT_MISMATCH, CLEAR_PEER, CUSTOMER_MISMATCH
from remoteapp.session.transport import CLOSE_TIMEOUT_S, POLL_S, Transport
from tests.native import built
from tests.secure.peer import HandPeer
from tests.streams import StreamPair, stream_pair

WAIT_S = 10.0  #: bound of every wait for something that should happen


KEY = bytes(range(32))  #: both ends' direct session key


class End:
    """A Transport with what its reader delivered and how it ended."""

    def __init__(self, sock: socket.socket, role: Role, **options: Any) -> None:
        options.setdefault("secure", SecureParams.for_direct(role, KEY))
        self.transport = Transport(sock, SessionConnection(role), **options)
        self.events: list[Event] = []
        self.arrived = threading.Condition()
        self.ended = threading.Event()
        self.secured = threading.Event()
        self.reasons: list[str] = []

    def start(self, name: str) -> None:
        self.transport.start(
            self._on_event, self._on_end, name=name, on_secured=lambda code: self.secured.set()
        )

    def wait_secured(self) -> None:
        assert self.secured.wait(WAIT_S), self.reasons

    def _on_event(self, event: Event) -> None:
        with self.arrived:
            self.events.append(event)
            self.arrived.notify_all()

    def _on_end(self, reason: str) -> None:
        self.reasons.append(reason)
        self.ended.set()

    def wait_for(self, event: Event) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: event in self.events, WAIT_S), self.events[-5:]

    def end_reason(self) -> str:
        assert self.ended.wait(WAIT_S), "the session did not end"
        assert len(self.reasons) == 1, self.reasons  # on_end exactly once
        return self.reasons[0]


@pytest.fixture
def pair() -> Iterator[StreamPair]:
    with stream_pair() as pair:
        yield pair


def ends(pair: StreamPair, **agent_options: Any) -> tuple[End, End]:
    """The agent on ``a``, the customer on ``b``, both said Hello, secured the stream and
    are reading (the Hellos were queued before the handshake: they go out after it)."""
    agent = End(pair.a, Role.AGENT, **agent_options)
    customer = End(pair.b, Role.CUSTOMER)
    assert agent.transport.send(Hello(Role.AGENT, "Ana"))
    assert customer.transport.send(Hello(Role.CUSTOMER, "Maria"))
    agent.start("agent-net")
    customer.start("customer-net")
    agent.wait_secured()
    customer.wait_secured()
    assert agent.transport.verification_code == customer.transport.verification_code
    # each has read the other's Hello: nothing unread, so a close is a FIN after the bytes
    # in flight, never a reset that drops them (which the end reasons below depend on)
    agent.wait_for(Hello(Role.CUSTOMER, "Maria"))
    customer.wait_for(Hello(Role.AGENT, "Ana"))
    return agent, customer


def undroppable(events: list[Event]) -> list[Event]:
    return [e for e in events if not isinstance(e, PointerMove | Ping | Pong)]


def input_burst(count: int) -> list[Event]:
    """Moves with a button, a wheel step, a key and text among them every 100."""
    events: list[Event] = []
    for i in range(count):
        events.append(PointerMove(i, i // 2))
        if i % 100 == 50:
            events += [
                PointerButton(i, i // 2, "left", True),
                PointerButton(i, i // 2, "left", False),
                Wheel(i, 0, 0, -1),
                Key("a", True, frozenset({"shift"})),
                Key("a", False),
                Text(f"typed {i}"),
            ]
    return [*events, PointerMove(4321, 1234)]


#: bytes held at a stalled tap that only a large record's writing leaves there (a Ping,
#: an Ack or a Pong is a few dozen): a rule of thumb, well under the socket buffers
INSIDE_A_RECORD = 1024


def stall_writer(agent: End, pair: StreamPair) -> None:
    """The customer's side stops reading; a 1 MiB clipboard text fills every buffer on
    the way, so the agent's writer is stuck in the middle of it.  Stuck, not just about
    to start: taken off the queue, the text is still to be encoded and sealed, and an
    end that came first would find the writer between records (no half record then)."""
    pair.a_to_b.stall()
    assert agent.transport.send(Clipboard("x" * (1 << 20)))
    assert _until(lambda: agent.transport.queued == 0)  # taken by the writer
    assert _until(lambda: pair.a_to_b.held() > INSIDE_A_RECORD)


def _until(done: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    """Poll (bounded) for a state another thread reaches and does not signal."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        threading.Event().wait(0.002)
    return True


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
    # (the writer gives its turn back after its write: until then a send queues for it)
    assert _until(lambda: agent.transport.queued == 0 and not agent.transport._busy)
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
    assert _until(lambda: t.queued == 0)
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
    assert _until(lambda: t.conn.credits == SMALL_WINDOW and t.queued == 0)
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
    assert _until(lambda: t.queued == 0)
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
    assert _until(lambda: customer.transport.queued == 0)  # the writer is stuck in it
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
    assert _until(lambda: customer.transport.queued == 0)
    assert customer.transport.send(Ping(1))
    assert not customer.transport.send(ScreenUpdate(0, b"frame"), wait=0.2)
    assert customer.end_reason() == "the other side took no data for 0.2 s"


def test_bytes_that_break_the_protocol_end_the_session_with_the_reason(pair: StreamPair) -> None:
    agent = End(pair.a, Role.AGENT)
    agent.start("agent-net")
    peer = HandPeer(pair.b, SecureParams.for_direct(Role.CUSTOMER, KEY))
    peer.send(b"\x00\x00\x00\x05\x63hello")  # sealed, but a frame of an unknown type
    assert agent.end_reason().startswith("protocol error:")
    assert isinstance(agent.transport.failure, RemoteProtocolError)


def test_a_peer_speaking_in_the_clear_fails_the_handshake(pair: StreamPair) -> None:
    agent = End(pair.a, Role.AGENT)
    assert agent.transport.send(Hello(Role.AGENT, "Ana"))
    agent.start("agent-net")
    pair.b.sendall(b"\x00\x00\x00\x05\x10hello")  # a plaintext session frame
    assert agent.end_reason() == CLEAR_PEER  # (an app from before encryption, or a probe)
    assert "update remoteapp on both computers" in CLEAR_PEER
    assert isinstance(agent.transport.failure, HandshakeFailed)
    assert not agent.secured.is_set()
    pair.b.settimeout(WAIT_S)
    seen = b""
    while chunk := pair.b.recv(4096):
        seen += chunk
    assert b"Ana" not in seen  # our Hello never left in the clear: only handshake bytes


def test_a_silent_peer_times_the_handshake_out(pair: StreamPair) -> None:
    agent = End(pair.a, Role.AGENT, handshake_timeout=2 * POLL_S)
    agent.start("agent-net")
    assert agent.end_reason() == "the other side did not complete the secure handshake in 2 s"


def test_other_keys_end_both_sides_with_the_reason(pair: StreamPair) -> None:
    agent = End(pair.a, Role.AGENT)
    customer = End(pair.b, Role.CUSTOMER, secure=SecureParams.for_direct(Role.CUSTOMER, KEY[::-1]))
    agent.start("agent-net")
    customer.start("customer-net")
    for end in (agent, customer):
        assert "different session keys" in end.end_reason()
        assert isinstance(end.transport.failure, HandshakeFailed)


def test_a_wrong_password_ends_both_sides_with_their_messages(pair: StreamPair) -> None:
    def password(role: Role, text: str) -> SecureParams:
        return SecureParams("S-1", role, "123456789", bytes(32), password=text)

    agent = End(pair.a, Role.AGENT, secure=password(Role.AGENT, "K7QM-2XPF9"))
    customer = End(pair.b, Role.CUSTOMER, secure=password(Role.CUSTOMER, "K7QM-2XPF8"))
    assert agent.transport.send(Hello(Role.AGENT, "Ana"))
    agent.start("agent-net")
    customer.start("customer-net")
    assert agent.end_reason() == AGENT_MISMATCH
    assert customer.end_reason() == CUSTOMER_MISMATCH
    assert isinstance(agent.transport.failure, PasswordMismatch)
    assert isinstance(customer.transport.failure, PasswordMismatch)


def test_a_record_tampered_with_on_the_way_ends_the_session(pair: StreamPair) -> None:
    agent = End(pair.a, Role.AGENT)
    agent.start("agent-net")
    peer = HandPeer(pair.b, SecureParams.for_direct(Role.CUSTOMER, KEY))
    hello = bytearray(peer.channel().seal(b"\x00\x00\x00\x02\x1c\x00\x01"))
    hello[7] ^= 0x01
    pair.b.sendall(bytes(hello))
    assert agent.end_reason() == (
        "the encrypted stream broke: record 0 failed authentication (altered in transit)"
    )
    assert isinstance(agent.transport.failure, ChannelBroken)


@pytest.mark.parametrize("path", ["direct", "writer"])
def test_a_crypto_library_failure_on_sealing_ends_the_session_with_the_reason(
    pair: StreamPair, path: str
) -> None:
    """A small event is sealed on the sender's thread, a large one on the writer's: either
    way the session ends at once, with the reason, and on_end runs once."""
    agent, customer = ends(pair)
    channel = agent.transport._channel
    assert channel is not None
    native: Any = built(channel_module.native, "_records")
    channel._send = native.Direction.__new__(native.Direction)  # its RuntimeError path
    event = Text("x") if path == "direct" else Clipboard("x" * (64 << 10))
    agent.transport.send(event)
    reason = agent.end_reason()
    assert reason.startswith("the encrypted stream broke: the crypto library failed to seal")
    assert isinstance(agent.transport.failure, ChannelBroken)
    assert customer.end_reason() == "connection lost"
    assert event not in customer.events


@pytest.mark.parametrize("path", ["direct", "writer"])
def test_a_bug_in_an_on_write_callback_ends_the_session_and_lets_go_of_the_writes(
    pair: StreamPair, path: str
) -> None:
    agent, customer = ends(pair)

    def broken(lag: float) -> None:
        raise ZeroDivisionError("a bug")

    event = Text("x") if path == "direct" else Clipboard("x" * (64 << 10))
    agent.transport.send(event, on_write=broken)
    assert agent.end_reason() == "internal error"
    assert customer.end_reason() == "connection lost"
    assert not agent.transport.send(Text("after"))  # over, not stuck behind a held turn


def test_an_event_sent_with_another_goes_out_in_one_write(pair: StreamPair) -> None:
    """``send(event, also=ping)`` (the agent's ping with an ack): the ping is framed
    first and both are sealed and written together, so the peer's reader wakes once."""
    agent, customer = ends(pair)
    chunks: list[bytes] = []
    pair.a_to_b.hook = chunks.append
    before = agent.transport.direct_writes
    assert agent.transport.send(Text("typed"), also=Ping(7))
    customer.wait_for(Text("typed"))
    assert customer.events[-2:] == [Ping(7), Text("typed")]
    assert agent.transport.direct_writes == before + 1 and len(chunks) == 1


def test_a_bug_on_the_reader_thread_ends_the_session(pair: StreamPair) -> None:
    """An exception on the reader thread outside the event handlers (here the UI's
    ``on_secured`` callback) ends the session: neither side is left waiting on a dead
    reader, and the other side reads why in our Bye."""
    agent = End(pair.a, Role.AGENT)
    customer = End(pair.b, Role.CUSTOMER)

    def broken(code: str) -> None:
        raise ZeroDivisionError("a bug")

    transport = customer.transport
    transport.start(customer._on_event, customer._on_end, "customer-net", on_secured=broken)
    agent.start("agent-net")
    assert customer.end_reason() == "internal error"
    assert customer.transport.closed
    assert agent.end_reason() == "internal error"


def test_a_reason_that_is_not_unicode_still_ends_both_sides(pair: StreamPair) -> None:
    """A close whose reason holds a lone surrogate (an exception's text quoting bad
    input, say): the Bye goes out readable and both sides end.  (Before, encoding the
    Bye raised out of ``close`` after it had marked the session closed: no Bye, no end,
    and no later ``close`` would try again.)"""
    agent, customer = ends(pair)
    customer.transport.close("protocol error: \udc80")
    assert customer.end_reason() == "protocol error: \udc80"  # (ours, as we gave it)
    assert agent.end_reason() == "protocol error: ?"
    assert customer.transport.closed and agent.transport.closed


def test_a_close_with_no_thread_to_spare_still_ends_both_sides(
    pair: StreamPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``close`` starts a short thread that keeps a quitting program alive until the Bye
    is out; when the OS has no thread to give (RuntimeError from ``start``), the close
    still returns, the writer still sends the Bye and ends the session.  (Before, the
    error left ``close``, and a caller on the reader thread ended with its own reason.)"""
    agent, customer = ends(pair)
    assert customer.transport.send(Clipboard("x" * (64 << 10)))  # (the writer's: it runs)
    agent.wait_for(Clipboard("x" * (64 << 10)))
    start = threading.Thread.start

    def no_thread(self: threading.Thread) -> None:
        if self.name == "session-close":
            raise RuntimeError("can't start new thread")
        start(self)

    monkeypatch.setattr(threading.Thread, "start", no_thread)
    customer.transport.close("customer left")
    assert customer.end_reason() == "customer left"
    assert agent.end_reason() == "customer left"


def test_keys_roll_over_mid_session_without_a_hitch(pair: StreamPair) -> None:
    agent = End(pair.a, Role.AGENT, rekey_every=3)
    customer = End(pair.b, Role.CUSTOMER, rekey_every=3)
    assert agent.transport.send(Hello(Role.AGENT, "Ana"))
    agent.start("agent-net")
    customer.start("customer-net")
    sent = [Text(f"line {i}") for i in range(20)]
    for event in sent:
        assert agent.transport.send(event)
    customer.wait_for(sent[-1])
    assert customer.events == [Hello(Role.AGENT, "Ana"), *sent]
    channel = agent.transport._channel
    assert channel is not None and channel._send.epoch == 21 // 3  # 7 keys used
    agent.transport.close("test over")
    assert customer.end_reason() == "test over"


def test_closing_during_the_handshake_ends_at_once_with_our_reason(pair: StreamPair) -> None:
    agent = End(pair.a, Role.AGENT)  # the other side never answers
    assert agent.transport.send(Hello(Role.AGENT, "Ana"))
    agent.start("agent-net")
    started = time.monotonic()
    agent.transport.close("agent closed the viewer")
    assert agent.end_reason() == "agent closed the viewer"
    assert time.monotonic() - started < CLOSE_TIMEOUT_S  # not the 15 s handshake bound
    assert agent.transport.failure is None
