"""The C direction (``_records.Direction``) against the Python one: the same records,
byte for byte, across rekeys and record sizes; each opens the other's; its counter has
one owner under threads; hostile arguments are refused."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.secure import channel
from remoteapp.secure.channel import HEADER, TAG, _Direction
from tests.native import built

KEY = os.urandom(32)


def native() -> Any:
    """The C ``Direction`` class (the test fails in CI, or is skipped, without it)."""
    return built(channel.native, "_records").Direction  # type: ignore[attr-defined]


def split(records: bytes | bytearray) -> list[tuple[bytes, bytes]]:
    """(header, sealed) of each record."""
    out, pos = [], 0
    while pos < len(records):
        (length,) = HEADER.unpack_from(records, pos)
        start = pos + HEADER.size
        out.append((bytes(records[pos:start]), bytes(records[start : start + length])))
        pos = start + length
    return out


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.binary(max_size=700), min_size=1, max_size=12),
    st.integers(min_value=1, max_value=300),
    st.integers(min_value=1, max_value=5),
)
def test_the_same_records_as_python_across_rekeys(
    payloads: list[bytes], max_plaintext: int, rekey_every: int
) -> None:
    c, py = native()(KEY, rekey_every), _Direction(KEY, rekey_every)
    for payload in payloads:
        assert c.seal(payload, max_plaintext) == py.seal(payload, max_plaintext)
        assert (c.counter, c.epoch) == (py.counter, py.epoch)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=2000), min_size=1, max_size=10))
def test_each_opens_the_others_records(payloads: list[bytes]) -> None:
    c_send, py_receive = native()(KEY, 3), _Direction(KEY, 3)
    py_send, c_receive = _Direction(KEY, 3), native()(KEY, 3)
    for payload in payloads:
        for header, sealed in split(c_send.seal(payload, 512)):
            assert py_receive.open(header, sealed) is not None
        opened = [c_receive.open(h, s) for h, s in split(py_send.seal(payload, 512))]
        assert b"".join(o for o in opened if o is not None) == payload
        assert None not in opened
    assert c_receive.counter == py_receive.counter and c_receive.epoch == py_receive.epoch


def test_a_large_record_with_the_gil_released_round_trips() -> None:
    big = os.urandom(200_000)
    send, receive = native()(KEY, 1 << 20), native()(KEY, 1 << 20)
    ((header, sealed),) = split(send.seal(big, 256 << 10))
    assert len(sealed) == len(big) + TAG and receive.open(header, sealed) == big


def test_a_failed_record_does_not_advance_and_is_diagnosed() -> None:
    send, receive = native()(KEY, 100), native()(KEY, 100)
    records = [split(send.seal(b"key %d" % i, 100))[0] for i in range(3)]
    header, sealed = records[2]
    assert receive.open(header, sealed) is None  # record 2 where 0 is expected
    assert receive.counter == 0
    assert receive.opens_at(2, header, sealed) and not receive.opens_at(1, header, sealed)
    altered = bytes([sealed[0] ^ 1]) + sealed[1:]
    assert receive.open(*records[0]) == b"key 0"
    assert receive.open(records[1][0], altered) is None and receive.counter == 1


def test_one_counter_under_threads() -> None:
    """Two threads sealing at once (the GIL released: large records) never share a
    record number: every record opens at its own."""
    send, receive = native()(KEY, 1 << 20), _Direction(KEY, 1 << 20)
    out: list[bytes] = []
    lock = threading.Lock()

    def seal() -> None:
        for _ in range(20):
            sealed = bytes(send.seal(os.urandom(40_000), 64 << 10))
            with lock:
                out.append(sealed)

    threads = [threading.Thread(target=seal) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = set()
    for record in out:
        ((header, sealed),) = split(record)
        found = [n for n in range(60) if receive.opens_at(n, header, sealed)]
        assert len(found) == 1
        numbers.add(found[0])
    assert numbers == set(range(60)) and send.counter == 60


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((b"short", 4), ValueError),
        ((KEY, 0), ValueError),
        ((KEY, (1 << 62) + 1), ValueError),
        ((KEY, -1), ValueError),
        ((KEY, (1 << 64) + 4), ValueError),
        (("not bytes", 4), TypeError),
    ],
)
def test_bad_keys_and_counts_are_refused(args: tuple[object, int], error: type) -> None:
    with pytest.raises(error):
        native()(*args)


def test_hostile_calls_are_refused() -> None:
    direction = native()(KEY, 4)
    for bad_step in (0, -5, (1 << 30) + 1):
        with pytest.raises(ValueError, match="max_plaintext"):
            direction.seal(b"x", bad_step)
    with pytest.raises(ValueError, match="4 bytes"):
        direction.open(b"abc", bytes(20))
    with pytest.raises(ValueError, match="16-byte tag"):
        direction.open(b"abcd", bytes(15))
    with pytest.raises(RuntimeError, match="once"):
        direction.__init__(KEY, 4)
    bare = native().__new__(native())
    with pytest.raises(RuntimeError, match="__init__"):
        bare.seal(b"x", 10)
    for counter in (-1, 1 << 64):
        with pytest.raises(ValueError, match="2\\*\\*64"):
            direction.opens_at(counter, b"abcd", bytes(16))
    assert direction.seal(b"", 10) == b"" and direction.counter == 0
