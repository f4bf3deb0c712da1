"""The key lane's wait and grab in one C call (``_xwire.take_key``), on a socket pair
standing in for the X connection and a real pipe for the wake: damage alone goes on to
the take, anything else is the wait's answer; the pacing gap waited out by its rule, and
ended by a wake; the safety check due or no take hands back; the take's failure returned,
not raised; bad arguments and a wait's failure raised.  With a real X server and a real
take: tests/capture/test_key_grabs.py."""

from __future__ import annotations

import math
import os
import socket
import time
from typing import Any

import pytest

from remoteapp.capture.key_grabs import GAP_WOKEN, HAND_BACK, TAKE_FAILED, WAITED
from remoteapp.session.key_lane import Pace
from tests.capture.key_grabs_rig import NEVER_OPEN
from tests.capture.test_xwire_wait import (
    DAMAGE,
    LONG,
    RAW_MOTION,
    SIZE,
    XI,
    configure_notify,
    damage_notify,
    generic,
)

#: (started, last_input, active_gap, calm_gap, active_for): no gap to wait
NO_GAP = (0.0, -math.inf, 0.0, 0.0, 0.0)


def take_key(
    native: Any, ours: socket.socket | int, wake_r: int, *, pending: bool = False,
    timeout: float = LONG, due_at: float = math.inf,
    pace: tuple[float, float, float, float, float] = NO_GAP, take: object = None,
) -> Any:  # fmt: skip
    fd = ours if isinstance(ours, int) else ours.fileno()
    waits = (fd, wake_r, DAMAGE, XI, RAW_MOTION)
    return native.take_key(waits, SIZE, pending, timeout, due_at, pace, take)


def test_nothing_in_time_is_the_waits_answer(native: Any, link: Any) -> None:
    ours, _, wake_r, _ = link
    assert take_key(native, ours, wake_r, timeout=0.0) == (WAITED, False, 0, None)


def test_damage_alone_goes_on_to_the_take(native: Any, link: Any) -> None:
    """No take: handed back once the damage is read; a take that raises (``()`` is no
    take_boxes call) comes back as its exception, so the caller maps it."""
    ours, server, wake_r, _ = link
    server.sendall(damage_notify() * 2)
    before = time.monotonic()
    kind, now = take_key(native, ours, wake_r)
    assert kind == HAND_BACK and before <= now <= time.monotonic()
    server.sendall(damage_notify())
    kind, _, exc = take_key(native, ours, wake_r, take=())
    assert kind == TAKE_FAILED and isinstance(exc, TypeError)
    assert native.wait_events(ours.fileno(), wake_r, 0.0, SIZE) == (False, None)  # all read


@pytest.mark.parametrize(
    ("data", "woken", "answer"),
    [
        (damage_notify() + configure_notify(), False, (0, damage_notify() + configure_notify())),
        (generic(), False, (2, None)),  # the pointer moved
        (generic() + damage_notify(), False, (3, None)),
        (damage_notify(), True, (1, None)),  # a wake with damage: the caller's to keep on
        (b"", True, (0, None)),
    ],
)
def test_anything_but_damage_alone_is_the_waits_answer(
    native: Any, link: Any, data: bytes, woken: bool, answer: tuple[int, bytes | None]
) -> None:
    ours, server, wake_r, wake_w = link
    server.sendall(data)
    if woken:
        os.write(wake_w, b"w")
    assert take_key(native, ours, wake_r, take=()) == (WAITED, woken, *answer)


def test_a_closed_connection_is_the_waits_answer(native: Any, link: Any) -> None:
    ours, server, wake_r, _ = link
    server.close()
    assert take_key(native, ours, wake_r, take=()) == (WAITED, False, 0, b"")


@pytest.mark.parametrize("active", [False, True], ids=["calm", "active"])
def test_the_gap_is_waited_out_by_pace_gaps_rule(native: Any, link: Any, active: bool) -> None:
    """The C works ``Pace.gap``'s rule out from the pace's fields, as ``KeyGrabs.take``
    passes them: calm (the last input long ago), the calm gap; active, the active one (the
    other gap, 30 s, would hang the test)."""
    ours, _, wake_r, _ = link
    started = time.monotonic()
    pace = (
        Pace(active_gap=0.02, calm_gap=LONG, active_for=10.0, last_input=started)
        if active
        else Pace(active_gap=LONG, calm_gap=0.05, active_for=10.0, last_input=-math.inf)
    )
    gap = pace.gap(started)
    assert gap == (0.02 if active else 0.05)
    fields = (started, pace.last_input, pace.active_gap, pace.calm_gap, pace.active_for)
    kind, now = take_key(native, ours, wake_r, pending=True, pace=fields)
    assert kind == HAND_BACK
    assert started + gap <= now < started + LONG / 2


def test_a_wake_ends_the_gap_and_is_drained(native: Any, link: Any) -> None:
    ours, _, wake_r, wake_w = link
    os.write(wake_w, b"w" * 100)
    started = time.monotonic()
    kind, now = take_key(native, ours, wake_r, pending=True, pace=(started, -math.inf, 0, LONG, 0))
    assert kind == GAP_WOKEN and now < started + LONG / 2
    assert native.wait_events(-1, wake_r, 0.0, SIZE) == (False, None)


def test_the_safety_check_due_hands_back_before_the_take(native: Any, link: Any) -> None:
    ours, server, wake_r, _ = link
    assert take_key(native, ours, wake_r, pending=True, due_at=0.0, take=())[0] == HAND_BACK
    server.sendall(damage_notify())
    assert take_key(native, ours, wake_r, due_at=time.monotonic(), take=())[0] == HAND_BACK


def test_bad_arguments_and_a_waits_failure_raise(native: Any, link: Any) -> None:
    ours, _, wake_r, _ = link
    with pytest.raises(ValueError, match="take_key"):
        take_key(native, ours, -1)
    with pytest.raises(ValueError, match="take_key"):
        take_key(native, ours, wake_r, timeout=-1.0)
    with pytest.raises(TypeError, match="take_key"):
        take_key(native, ours, wake_r, take=[])
    with pytest.raises(OSError):  # (the wait's: nothing was read)
        take_key(native, ours, NEVER_OPEN, timeout=0.0)
    with pytest.raises(OSError):  # (the gap's)
        take_key(native, -1, NEVER_OPEN, pending=True, pace=(time.monotonic(), 0, 0, LONG, 0))
