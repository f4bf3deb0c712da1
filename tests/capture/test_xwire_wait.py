"""The damage source's sleep in C (``_xwire.wait_events``), on a socket pair standing in
for the X connection and a real pipe for the wake: what ends it, the wake drained, the
bytes read whole or up to the size asked (the rest left for the next read), the close,
the connection left alone while not watched, and bad arguments refused."""

from __future__ import annotations

import os
import signal
import socket
import struct
import threading
import time
from typing import Any

import pytest

SIZE = 1 << 16
LONG = 30.0  #: a wait that only its event ends (the test would hang, not pass, without it)


def test_nothing_in_time_is_neither_woken_nor_read(native: Any, link: Any) -> None:
    ours, _, wake_r, _ = link
    assert native.wait_events(ours.fileno(), wake_r, 0.0, SIZE) == (False, None)
    assert native.wait_events(ours.fileno(), wake_r, 0.001, SIZE) == (False, None)


def test_a_wake_ends_the_wait_and_is_drained(native: Any, link: Any) -> None:
    ours, _, wake_r, wake_w = link
    os.write(wake_w, b"w" * 200)  # (several wakes, more than one read's worth)
    assert native.wait_events(ours.fileno(), wake_r, LONG, SIZE) == (True, None)
    assert native.wait_events(ours.fileno(), wake_r, 0.0, SIZE) == (False, None)


def test_a_wake_from_another_thread_ends_a_sleeping_wait(native: Any, link: Any) -> None:
    ours, _, wake_r, wake_w = link
    waker = threading.Timer(0.05, os.write, (wake_w, b"w"))  # (the wait is asleep by then)
    started = time.monotonic()
    waker.start()
    assert native.wait_events(ours.fileno(), wake_r, LONG, SIZE) == (True, None)
    assert time.monotonic() - started < LONG / 2
    waker.join()


def test_a_signal_runs_its_handler_during_the_wait(native: Any, link: Any) -> None:
    """Ctrl-C (here a timer's signal whose handler raises) is not held up by the wait."""
    ours, _, wake_r, _ = link

    class Alarm(Exception):
        pass

    def handler(signum: int, frame: object) -> None:
        raise Alarm

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(Alarm):
            native.wait_events(ours.fileno(), wake_r, LONG, SIZE)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_signal_whose_handler_returns_does_not_cut_the_wait_short(native: Any, link: Any) -> None:
    """As select() (PEP 475): the handler runs, then the wait goes on for what is left."""
    ours, _, wake_r, _ = link
    caught: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: caught.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        started = time.monotonic()
        assert native.wait_events(ours.fileno(), wake_r, 0.2, SIZE) == (False, None)
        assert time.monotonic() - started >= 0.19 and caught == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_events_are_read_whole_or_up_to_the_size(native: Any, link: Any) -> None:
    ours, server, wake_r, wake_w = link
    server.sendall(b"e" * 32 + b"f" * 32)
    assert native.wait_events(ours.fileno(), wake_r, LONG, SIZE) == (False, b"e" * 32 + b"f" * 32)
    server.sendall(b"g" * 100)
    os.write(wake_w, b"w")
    assert native.wait_events(ours.fileno(), wake_r, LONG, 64) == (True, b"g" * 64)
    assert native.wait_events(ours.fileno(), wake_r, LONG, SIZE) == (False, b"g" * 36)


def test_a_closed_connection_reads_empty(native: Any, link: Any) -> None:
    ours, server, wake_r, _ = link
    server.close()
    assert native.wait_events(ours.fileno(), wake_r, LONG, SIZE) == (False, b"")


def test_an_unwatched_connection_is_left_alone(native: Any, link: Any) -> None:
    """-1: with damage already pending only a wake (or the time) ends the wait."""
    ours, server, wake_r, wake_w = link
    server.sendall(b"e" * 32)
    assert native.wait_events(-1, wake_r, 0.01, SIZE) == (False, None)
    os.write(wake_w, b"w")
    assert native.wait_events(-1, wake_r, LONG, SIZE) == (True, None)
    assert ours.recv(64) == b"e" * 32  # still there for the next watched wait


@pytest.mark.parametrize(
    ("wake", "timeout", "size"),
    [(-1, 0.0, SIZE), (None, -1.0, SIZE), (None, float("nan"), SIZE), (None, 0.0, 0)],
)
def test_bad_arguments_are_refused(
    native: Any, link: Any, wake: int | None, timeout: float, size: int
) -> None:
    ours, _, wake_r, _ = link
    with pytest.raises(ValueError, match="wait_events"):
        native.wait_events(ours.fileno(), wake_r if wake is None else wake, timeout, size)


def test_a_bad_descriptor_is_an_oserror(native: Any, link: Any) -> None:
    _, _, wake_r, _ = link
    spare = socket.socket()
    fd = spare.fileno()
    spare.close()  # (nothing else opens a descriptor in this thread meanwhile)
    with pytest.raises(OSError):
        native.wait_events(fd, wake_r, 0.0, SIZE)


# -- wait_damage: the same sleep, a typed key's events told rather than returned

DAMAGE, XI, RAW_MOTION = 91, 131, 17  #: a DamageNotify code, XInput's opcode, RawMotion


def damage_notify(*, sent: bool = False) -> bytes:
    return bytes([DAMAGE | (0x80 if sent else 0)]) + bytes(31)


def generic(opcode: int = XI, kind: int = RAW_MOTION, words: int = 2) -> bytes:
    """A GenericEvent of 32 + 4 x ``words`` bytes."""
    head = struct.pack("=BBHIH", 35, opcode, 0, words, kind)
    return head + bytes(32 - len(head) + 4 * words)


def configure_notify() -> bytes:
    return bytes([22]) + bytes(31)


def wait_damage(native: Any, ours: socket.socket, wake_r: int, size: int = SIZE) -> Any:
    return native.wait_damage(ours.fileno(), wake_r, LONG, size, DAMAGE, XI, RAW_MOTION)


@pytest.mark.parametrize(
    ("data", "seen"),
    [
        (damage_notify(), 1),
        (damage_notify() * 3, 1),
        (damage_notify(sent=True), 1),  # (SendEvent's top bit, as the Python reader masks)
        (generic(), 2),
        (generic(words=0) + damage_notify() + generic(words=5), 3),
    ],
)
def test_damage_and_raw_motion_alone_are_told(
    native: Any, link: Any, data: bytes, seen: int
) -> None:
    ours, server, wake_r, _ = link
    server.sendall(data)
    assert wait_damage(native, ours, wake_r) == (False, seen, None)
    assert native.wait_events(ours.fileno(), wake_r, 0.0, SIZE) == (False, None)  # all read


@pytest.mark.parametrize(
    "data",
    [
        damage_notify() + configure_notify(),  # another event: the Python reader's
        generic(kind=RAW_MOTION + 1),  # another XInput event
        generic(opcode=XI + 1),  # another extension's
        damage_notify() + damage_notify()[:20],  # a packet cut short
        generic(words=4)[:40],  # a generic event cut short
        bytes([1]) + bytes(31),  # a reply (a sync's)
        bytes([0]) + bytes(31),  # an error
    ],
)
def test_anything_else_comes_back_as_bytes(native: Any, link: Any, data: bytes) -> None:
    ours, server, wake_r, _ = link
    server.sendall(data)
    assert wait_damage(native, ours, wake_r) == (False, 0, data)


def test_a_full_read_comes_back_as_bytes(native: Any, link: Any) -> None:
    """A read that filled the buffer may have more behind it: the Python reader reads on."""
    ours, server, wake_r, _ = link
    server.sendall(damage_notify() * 4)
    assert wait_damage(native, ours, wake_r, size=64) == (False, 0, damage_notify() * 2)
    assert wait_damage(native, ours, wake_r, size=64) == (False, 0, damage_notify() * 2)


def test_a_huge_generic_length_is_not_trusted(native: Any, link: Any) -> None:
    ours, server, wake_r, _ = link
    data = struct.pack("=BBHIH", 35, XI, 0, 0xFFFFFFFF, RAW_MOTION) + bytes(22)
    server.sendall(data)
    assert wait_damage(native, ours, wake_r) == (False, 0, data)


def test_wait_damage_wakes_times_out_and_reads_a_close_as_wait_events(
    native: Any, link: Any
) -> None:
    ours, server, wake_r, wake_w = link
    args = (SIZE, DAMAGE, XI, RAW_MOTION)
    assert native.wait_damage(ours.fileno(), wake_r, 0.0, *args) == (False, 0, None)
    os.write(wake_w, b"w")
    server.sendall(damage_notify())
    assert native.wait_damage(ours.fileno(), wake_r, LONG, *args) == (True, 1, None)
    os.write(wake_w, b"w")
    assert native.wait_damage(-1, wake_r, LONG, *args) == (True, 0, None)
    server.close()
    assert native.wait_damage(ours.fileno(), wake_r, LONG, *args) == (False, 0, b"")
    with pytest.raises(ValueError, match="wait_damage"):
        native.wait_damage(ours.fileno(), wake_r, -1.0, *args)
