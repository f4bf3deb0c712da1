"""Transport's ends on what goes wrong, over real TCP through taps (tests/streams.py):
bytes that break the protocol, a peer in the clear or silent in the handshake, other
keys, a wrong password, a tampered record, the crypto library or a callback failing on
either send path, a bug on the reader thread, a reason that is not Unicode, a close with
no thread to spare, a close during the handshake; and keys rolling over mid-session."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from remoteapp.errors import RemoteProtocolError
from remoteapp.net.session import (
    Clipboard,
    Hello,
    Ping,
    Text,
)
from remoteapp.net.session_state import Role
from remoteapp.secure import ChannelBroken, HandshakeFailed, PasswordMismatch, SecureParams
from remoteapp.secure import channel as channel_module
from remoteapp.secure.handshake import AGENT_MISMATCH, CLEAR_PEER, CUSTOMER_MISMATCH
from remoteapp.session.transport import CLOSE_TIMEOUT_S, POLL_S
from tests.native import built
from tests.secure.peer import HandPeer
from tests.session.transport_ends import (
    KEY,
    WAIT_S,
    End,
    ends,
    turn_free,
)
from tests.streams import StreamPair


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
    assert turn_free(agent.transport)
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
