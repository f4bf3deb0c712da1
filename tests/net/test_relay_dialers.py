"""The relay handshake: its sans-IO core fed whole, byte by byte and with trailing data,
then both dialers (asyncio ``join_streams``, blocking ``join_socket``) against the real
relay through taps that trickle or stall (``tests/streams.py``): the same contract must
hold for both — paired with no session byte lost, refused with the relay's reason, and a
relay that stops answering ends in a bounded ``TimeoutError``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from remoteapp.session.relay_link import join_socket
from remoterelay.server import Relay, RelayConfig
from remotewire.errors import InvalidToken, RelayRefused
from remotewire.framing import FrameType, pack_frame
from remotewire.relay_join import Paired, RelayJoin, join_streams
from remotewire.roles import Role
from remotewire.tokens import issue_token
from tests.streams import StreamPair, stream_pair

SECRET = b"d" * 32
HELLO = b"the customer's first session bytes" * 3


# -- the sans-IO core


def paired_bytes(trailing: bytes = b"") -> bytes:
    return pack_frame(FrameType.PAIRED, b"customer") + trailing


@pytest.mark.parametrize("trailing", [b"", HELLO])
def test_paired_whole_and_byte_by_byte_keeps_the_trailing_bytes(trailing: bytes) -> None:
    whole = RelayJoin("tok")
    whole.receive_data(paired_bytes(trailing))
    assert whole.result() == Paired(trailing)

    split = RelayJoin("tok")
    data = paired_bytes()
    for i in range(len(data)):
        assert split.result() is None
        split.receive_data(data[i : i + 1])
    assert split.result() == Paired(b"")


def test_the_first_bytes_are_the_token_frame() -> None:
    assert RelayJoin("abc").start() == pack_frame(FrameType.TOKEN, b"abc")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (pack_frame(FrameType.REFUSED, b"token-expired"), "token-expired"),
        (pack_frame(FrameType.REFUSED, b""), "refused"),
        (pack_frame(FrameType.REFUSED, b"\xff\xfe"), "\ufffd\ufffd"),
        (pack_frame(FrameType.DATA, b"x"), "unexpected-frame-4"),
        (b"", "connection-closed"),
    ],
)
def test_refusals_carry_the_reason(answer: bytes, reason: str) -> None:
    join = RelayJoin("tok")
    join.receive_data(answer)
    outcome = join.result()
    assert isinstance(outcome, RelayRefused) and outcome.reason == reason


@pytest.mark.parametrize("split", [False, True])
def test_an_oversize_answer_is_a_refusal_not_a_buffer(split: bool) -> None:
    """A broken relay's answer ends the join as the dialers promise (RelayRefused), from
    its header alone; it escaped as OversizeFrame and killed the customer's presence
    thread (helper-76's fuzz find)."""
    join = RelayJoin("tok")
    header = (0xFFFFFFFF).to_bytes(4, "big") + bytes([FrameType.PAIRED])
    for part in [header[i : i + 1] for i in range(len(header))] if split else [header]:
        join.receive_data(part)
    outcome = join.result()
    assert isinstance(outcome, RelayRefused) and outcome.reason == "oversize-answer"


@pytest.mark.parametrize("token", ["v1.\ud800.b", "caf\u00e9", "", "t" * 4097])
def test_a_token_no_frame_could_carry_is_invalid_before_anything_is_sent(token: str) -> None:
    with pytest.raises(InvalidToken):
        RelayJoin(token).start()


def test_data_after_the_outcome_is_ignored() -> None:
    join = RelayJoin("tok")
    join.receive_data(paired_bytes(b"abc"))
    join.receive_data(b"more")
    assert join.result() == Paired(b"abc")


# -- both dialers against the real relay, through taps


class RelayThread:
    """The real relay on its own event loop thread; ``serve(sock)`` hands it the relay's
    end of a stream pair, as its listening socket would."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.relay = Relay(RelayConfig(secret=SECRET, park_timeout_s=10, first_frame_timeout_s=5))
        self.call(self.relay.start())

    def call(self, coro: object) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)  # type: ignore[arg-type]

    def serve(self, sock: socket.socket) -> None:
        async def handle() -> None:
            reader, writer = await asyncio.open_connection(sock=sock)
            await self.relay.handle_connection(reader, writer)

        asyncio.run_coroutine_threadsafe(handle(), self.loop)

    def close(self) -> None:
        self.call(self.relay.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def relay() -> Iterator[RelayThread]:
    running = RelayThread()
    try:
        yield running
    finally:
        running.close()


def blocking_dialer(pair: StreamPair, token: str, timeout_s: float) -> bytes:
    """Join with the app's dialer; what the session then receives, up to len(HELLO)."""
    got = join_socket(pair.a, token, timeout_s)
    pair.a.settimeout(10)
    while len(got) < len(HELLO):
        chunk = pair.a.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


def asyncio_dialer(pair: StreamPair, token: str, timeout_s: float) -> bytes:
    async def run() -> bytes:
        sock = pair.a.dup()  # asyncio closes the socket it owns; the pair closes the original
        reader, writer = await asyncio.open_connection(sock=sock)
        try:
            await join_streams(reader, writer, token, timeout_s)
            return await asyncio.wait_for(reader.readexactly(len(HELLO)), 10)
        finally:
            writer.close()

    return asyncio.run(run())


Dialer = Callable[[StreamPair, str, float], bytes]
DIALERS = {"blocking": blocking_dialer, "asyncio": asyncio_dialer}


@pytest.fixture(params=sorted(DIALERS))
def dialer(request: pytest.FixtureRequest) -> Dialer:
    return DIALERS[str(request.param)]


def customer_says_hello(relay: RelayThread, session: str) -> None:
    """The other side: joins with the blocking dialer on a plain pair, then speaks."""
    with stream_pair() as pair:
        relay.serve(pair.b)
        join_socket(pair.a, issue_token(SECRET, session, Role.CUSTOMER), 10)
        pair.a.sendall(HELLO)
        pair.a.settimeout(10)
        pair.a.recv(1)  # hold the connection until the agent's side has gone


@pytest.mark.parametrize("tap", ["whole", "trickle"])
def test_both_dialers_pair_and_lose_no_session_byte(
    relay: RelayThread, dialer: Dialer, tap: str
) -> None:
    with stream_pair() as pair, concurrent.futures.ThreadPoolExecutor(1) as pool:
        if tap == "trickle":
            pair.b_to_a.trickle()  # the relay's answer and the Hello reach us byte by byte
        relay.serve(pair.b)
        customer = pool.submit(customer_says_hello, relay, "s-pair")
        got = dialer(pair, issue_token(SECRET, "s-pair", Role.AGENT), 10)
        assert got == HELLO
        pair.a.shutdown(socket.SHUT_RDWR)
        customer.result(10)


@pytest.mark.parametrize("tap", ["whole", "trickle"])
def test_both_dialers_report_the_relays_refusal(
    relay: RelayThread, dialer: Dialer, tap: str
) -> None:
    with stream_pair() as pair:
        if tap == "trickle":
            pair.b_to_a.trickle()
        relay.serve(pair.b)
        forged = issue_token(b"not the secret", "s-forged", Role.AGENT)
        with pytest.raises(RelayRefused) as refused:
            dialer(pair, forged, 10)
        assert refused.value.reason == "token-invalid"


def test_both_dialers_give_up_in_bounded_time_when_the_relay_stalls(
    relay: RelayThread, dialer: Dialer
) -> None:
    with stream_pair() as pair:
        pair.b_to_a.stall()  # the relay's answer never reaches us
        relay.serve(pair.b)
        with pytest.raises(TimeoutError):
            dialer(pair, issue_token(SECRET, "s-stall", Role.AGENT), 0.5)
