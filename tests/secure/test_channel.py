"""The record layer, sans-IO: round trips whole, byte by byte and in any split; every
alteration, replay, reorder and cut ends with ChannelBroken and a reason that says which;
keys roll over at the rekey count.  Each test runs with the C direction
(``_records``) and with the Python one."""

from __future__ import annotations

import os

import pytest
from cryptography.exceptions import InternalError
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.secure import Channel, ChannelBroken, channel
from remoteapp.secure.channel import HEADER, MAX_PLAINTEXT, NEED_DATA, TAG
from tests.native import built

A_TO_C, C_TO_A = os.urandom(32), os.urandom(32)


@pytest.fixture(autouse=True, params=["c", "python"])
def lane(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every channel of the test seals and opens with the C or the Python direction."""
    if request.param == "python":
        monkeypatch.setattr(channel, "native", None)
    else:
        built(channel.native, "_records")
    return str(request.param)


def pair(**options: int) -> tuple[Channel, Channel]:
    return Channel(A_TO_C, C_TO_A, **options), Channel(C_TO_A, A_TO_C, **options)


def drain(channel: Channel) -> bytes:
    out = bytearray()
    while (record := channel.next_record()) is not NEED_DATA:
        out += record
    return bytes(out)


def test_sealed_bytes_come_out_whole_and_never_in_the_clear() -> None:
    agent, customer = pair()
    secret = b"clipboard: my bank password is hunter2"
    sealed = agent.seal(secret)
    assert secret not in sealed and b"hunter2" not in sealed
    assert len(sealed) == HEADER.size + len(secret) + TAG
    customer.receive_data(sealed)
    assert drain(customer) == secret
    back = customer.seal(b"pong")
    agent.receive_data(back)
    assert drain(agent) == b"pong"


def test_byte_by_byte_and_with_trailing_partial_record() -> None:
    agent, customer = pair()
    data = agent.seal(b"one") + agent.seal(b"two" * 1000) + agent.seal(b"three")
    got = bytearray()
    for i in range(len(data) - 3):
        customer.receive_data(data[i : i + 1])
        got += drain(customer)
    assert bytes(got) == b"one" + b"two" * 1000  # the last record is still incomplete
    customer.receive_data(data[-3:])
    assert drain(customer) == b"three"


def test_large_input_is_split_into_bounded_records() -> None:
    agent, customer = pair()
    big = os.urandom(4 * MAX_PLAINTEXT + 10)
    sealed = agent.seal(big)
    assert agent.records_sent == 5
    customer.receive_data(sealed)
    assert drain(customer) == big and customer.records_received == 5
    assert agent.seal(b"") == b""


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.binary(min_size=1, max_size=3000), min_size=1, max_size=8),
    st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=20),
)
def test_any_records_any_split_round_trip(payloads: list[bytes], cuts: list[int]) -> None:
    agent, customer = pair(max_plaintext=1024, rekey_every=3)
    wire = b"".join(agent.seal(p) for p in payloads)
    got, start = bytearray(), 0
    for cut in [*cuts, len(wire)]:
        customer.receive_data(wire[start : start + cut])
        start += cut
        got += drain(customer)
    customer.receive_data(wire[start:])
    got += drain(customer)
    assert bytes(got) == b"".join(payloads)


@pytest.mark.parametrize("where", ["header", "ciphertext", "tag"])
def test_a_flipped_bit_breaks_the_channel(where: str) -> None:
    agent, customer = pair()
    customer.receive_data(agent.seal(b"first"))
    assert drain(customer) == b"first"
    record = bytearray(agent.seal(b"key press: a"))
    index = {"header": 3, "ciphertext": HEADER.size + 2, "tag": len(record) - 1}[where]
    record[index] ^= 0x10
    customer.receive_data(bytes(record))
    with pytest.raises(ChannelBroken, match="encrypted stream broke") as error:
        drain(customer)
    if where != "header":
        assert "record 1 failed authentication (altered in transit)" in str(error.value)
    with pytest.raises(ChannelBroken):  # and it stays broken
        customer.next_record()


def test_an_oversize_header_is_refused_before_buffering() -> None:
    _, customer = pair()
    customer.receive_data(HEADER.pack(MAX_PLAINTEXT + TAG + 1))
    with pytest.raises(ChannelBroken, match="announces"):
        customer.next_record()
    assert customer.buffered == 0


def test_a_replayed_record_is_named() -> None:
    agent, customer = pair()
    first, second = agent.seal(b"type: hello"), agent.seal(b"type: world")
    customer.receive_data(first + second + first)
    with pytest.raises(ChannelBroken, match=r"record 0 was replayed \(expected record 2\)"):
        drain(customer)


def test_reordered_or_dropped_records_are_named() -> None:
    agent, customer = pair()
    first, second = agent.seal(b"1"), agent.seal(b"2")
    customer.receive_data(second + first)
    with pytest.raises(ChannelBroken, match="dropped or reordered"):
        drain(customer)


def test_a_record_from_the_other_direction_is_refused() -> None:
    _, customer = pair()
    customer.receive_data(customer.seal(b"reflected"))  # the relay bounces our own record
    with pytest.raises(ChannelBroken, match="failed authentication"):
        drain(customer)


def test_the_end_of_the_stream_inside_a_record_is_a_truncation() -> None:
    agent, customer = pair()
    record = agent.seal(b"screen update")
    customer.receive_data(record[:-5])
    assert customer.next_record() is NEED_DATA
    customer.receive_data(b"")
    with pytest.raises(ChannelBroken, match="connection lost inside an encrypted record"):
        customer.next_record()


def test_a_clean_end_is_reported_once() -> None:
    agent, customer = pair()
    customer.receive_data(agent.seal(b"bye"))
    customer.receive_data(b"")
    assert customer.next_record() == b"bye"
    assert customer.next_record() == b""
    assert customer.next_record() is NEED_DATA


def test_keys_roll_over_at_the_rekey_count() -> None:
    agent, customer = pair(rekey_every=4)
    sealed = [bytes(agent.seal(b"same")) for _ in range(9)]
    assert len(set(sealed)) == 9  # counter 0 of each epoch still gives fresh bytes
    customer.receive_data(b"".join(sealed))
    assert drain(customer) == b"same" * 9
    assert agent._send.epoch == 2 and customer._receive.epoch == 2


def test_sides_that_rekey_at_other_counts_cannot_talk() -> None:
    agent = Channel(A_TO_C, C_TO_A, rekey_every=4)
    customer = Channel(C_TO_A, A_TO_C, rekey_every=5)
    customer.receive_data(b"".join(agent.seal(b"x") for _ in range(5)))
    with pytest.raises(ChannelBroken):
        drain(customer)


@pytest.mark.parametrize("max_plaintext", [0, -1, (1 << 30) + 1])
def test_a_record_size_out_of_range_is_refused_by_both_lanes(max_plaintext: int) -> None:
    with pytest.raises(ValueError, match="max_plaintext"):
        Channel(A_TO_C, C_TO_A, max_plaintext=max_plaintext)


class _FailingAead:
    """``cryptography``'s AEAD failing inside OpenSSL (a boundary we do not own)."""

    def encrypt_into(self, *args: object) -> None:
        raise InternalError("OpenSSL failed", [])

    def decrypt(self, *args: object) -> bytes:
        raise InternalError("OpenSSL failed", [])


def failing_direction(lane: str) -> channel.Direction:
    """A direction whose crypto library fails: the C one uninitialised (its RuntimeError
    path), the Python one over a failing AEAD."""
    if lane == "c":
        assert channel.native is not None
        return channel.native.Direction.__new__(channel.native.Direction)
    direction = channel._Direction(A_TO_C, 1 << 20)
    direction.aead = _FailingAead()  # type: ignore[assignment]
    return direction


def test_a_crypto_library_failure_on_sealing_breaks_the_sending_side_for_good(
    lane: str,
) -> None:
    agent, customer = pair()
    customer.receive_data(agent.seal(b"before"))
    agent._send = failing_direction(lane)
    for _ in range(2):  # and every later call, whatever the direction would do then
        with pytest.raises(ChannelBroken, match="the crypto library failed to seal") as info:
            agent.seal(b"after")
        assert isinstance(info.value.__cause__, RuntimeError | InternalError)
    agent.receive_data(customer.seal(b"the other way still opens"))
    assert drain(agent) == b"the other way still opens"
    assert drain(customer) == b"before"


def test_a_crypto_library_failure_on_opening_breaks_the_channel(lane: str) -> None:
    agent, customer = pair()
    customer._receive = failing_direction(lane)
    customer.receive_data(agent.seal(b"hello") + agent.seal(b"more"))
    for _ in range(2):
        with pytest.raises(ChannelBroken, match="the crypto library failed to open") as info:
            customer.next_record()
    assert customer.buffered == 0  # nothing kept that can no longer be read
    assert isinstance(info.value.__cause__, RuntimeError | InternalError)
