"""Every way the key lane's take (``capture.key_grabs.KeyGrabs.take``) hands the connection
back, on a real Xvfb, each answer of ``_xwire.take_key`` reached for real: the safety
check come due while the gap was waited out, a wake in the gap the caller does not keep
on through, a take refused before the fetch and a fetch that fails in it, a wait that
fails, no box read to take into; and damage with nothing new on the monitor, which waits
on.  Whatever the way, the general loop's next grab sends the change, bit-exact.
(helper-64's review of take_key found these branches untested.)"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from remoteapp.capture import DamageGrabber, key_grabs, x11_link
from remoteapp.capture.grabber import Monitor
from tests.capture import key_grabs_rig as rig
from tests.capture.damage_rig import Clock, FbdirXvfb, Painter
from tests.capture.key_grabs_rig import NEVER_OPEN, STALL_PROOF_GAP_S

pytestmark = [
    pytest.mark.skipif(x11_link.native is None, reason="the C extension is not built"),
    pytest.mark.display,
]

Answer = tuple[Any, ...]
#: a change to ``take_key``'s arguments (given them and the answers so far)
Change = Callable[[tuple[Any, ...], list[Answer]], tuple[Any, ...]]


@pytest.fixture
def grabber(fbdir_xvfb: FbdirXvfb) -> Iterator[DamageGrabber]:
    """A hand-over damage grabber on an injected clock: its safety check never comes due."""
    with rig.new_grabber(fbdir_xvfb, Clock()) as g:
        yield g


def _answers(monkeypatch: pytest.MonkeyPatch, change: Change | None = None) -> list[Answer]:
    """``take_key``'s answers, as they come; ``change(args, answers)``, if given, gives
    the arguments each call is made with."""
    assert x11_link.native is not None
    real = x11_link.native.take_key
    answers: list[Answer] = []

    def recorded(*args: Any) -> Answer:
        got = real(*(args if change is None else change(args, answers)))
        answers.append(got)
        return got

    monkeypatch.setattr(x11_link.native, "take_key", recorded)
    return answers


def test_the_safety_check_come_due_in_the_gap_hands_back(
    fbdir_xvfb: FbdirXvfb, painter: Painter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Due 50 ms into a 2 s gap: the gap is waited out, then the general loop takes the
    damage (with the safety check it owes)."""
    with rig.new_grabber(fbdir_xvfb, Clock(), safety_period=0.05) as grabber:
        monitor = grabber.monitors()[1]
        pipe, grabs = rig.started(grabber, monitor)
        answers = _answers(monkeypatch)
        rig.fill(painter, 0x314159)
        rig.damage_there(grabs)
        begun = time.monotonic()
        assert grabs.take(begun, rig.pace(STALL_PROOF_GAP_S), lambda: True) is None
        assert [a[0] for a in answers] == [key_grabs.HAND_BACK]
        assert answers[0][1] >= begun + STALL_PROOF_GAP_S
        rig.reaches_the_viewer(fbdir_xvfb, grabber, pipe, monitor, 0x314159)


def test_a_wake_in_the_gap_not_kept_on_through_hands_back(
    fbdir_xvfb: FbdirXvfb, grabber: DamageGrabber, painter: Painter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The first wake is the agent's input (kept on through); the one in the gap is another
    change of the session's state, which the general loop must see."""
    monitor = grabber.monitors()[1]
    pipe, grabs = rig.started(grabber, monitor)
    kinds = rig.woken_in_the_gap(grabber, painter, grabs, monkeypatch, 0x271828)
    asked: list[int] = []

    def keep_on() -> bool:
        asked.append(kinds[-1])
        return kinds[-1] == key_grabs.WAITED

    assert grabs.take(time.monotonic(), rig.pace(10.0), keep_on) is None
    assert kinds == asked == [key_grabs.WAITED, key_grabs.GAP_WOKEN]
    rig.reaches_the_viewer(fbdir_xvfb, grabber, pipe, monitor, 0x271828)


def test_a_take_refused_before_the_fetch_leaves_the_damage_to_the_server(
    fbdir_xvfb: FbdirXvfb, grabber: DamageGrabber, painter: Painter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """``take_boxes`` refuses its arguments (``()``: a TypeError): the link stays up and
    the general loop's grab fetches the damage."""
    monitor = grabber.monitors()[1]
    pipe, grabs = rig.started(grabber, monitor)
    answers = _answers(monkeypatch, lambda args, _: (*args[:6], ()))
    rig.fill(painter, 0x161803)
    assert grabs.take(0.0, rig.pace(), lambda: False) is None
    [(kind, _, exc)] = answers
    assert kind == key_grabs.TAKE_FAILED and isinstance(exc, TypeError)
    assert grabs._link._broken is None
    rig.reaches_the_viewer(fbdir_xvfb, grabber, pipe, monitor, 0x161803)


#: ``take_key``'s arguments with a descriptor that is not open: the fetch's, the wait's
_BROKEN: dict[str, Callable[[tuple[Any, ...]], tuple[Any, ...]]] = {
    "fetch": lambda args: (*args[:6], (NEVER_OPEN, *args[6][1:])),
    "wait": lambda args: ((args[0][0], NEVER_OPEN, *args[0][2:]), *args[1:]),
}


@pytest.mark.parametrize("broken", sorted(_BROKEN))
def test_a_fetch_or_a_wait_that_fails_loses_nothing(
    fbdir_xvfb: FbdirXvfb, grabber: DamageGrabber, painter: Painter,
    monkeypatch: pytest.MonkeyPatch, broken: str,
) -> None:  # fmt: skip
    """The fetch's connection fails in the take (returned: the link is broken) or the
    wait itself does (raised): damage reporting stops, and the whole screen is owed to
    the viewer."""
    monitor = grabber.monitors()[1]
    pipe, grabs = rig.started(grabber, monitor)
    answers = _answers(monkeypatch, lambda args, _: _BROKEN[broken](args))
    rig.fill(painter, 0x141421)
    assert grabs.take(0.0, rig.pace(), lambda: False) is None
    if broken == "fetch":
        [(kind, _, exc)] = answers
        assert kind == key_grabs.TAKE_FAILED and isinstance(exc, OSError)
        assert grabs._link._broken is not None
    else:
        assert answers == []  # (raised: no answer)
    assert not grabber._source.reporting
    rig.reaches_the_viewer(fbdir_xvfb, grabber, pipe, monitor, 0x141421)


def test_no_box_read_to_take_into_hands_back(
    fbdir_xvfb: FbdirXvfb, grabber: DamageGrabber, painter: Painter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The last frame taken is not adopted yet (``KeptFrames.box_read`` is None): the
    damage seen is handed back, not fetched."""
    monitor = grabber.monitors()[1]
    pipe, grabs = rig.started(grabber, monitor)
    rig.fill(painter, 0x112358)
    got = grabs.take(0.0, rig.pace(), lambda: False)
    assert got is not None
    answers = _answers(monkeypatch)
    rig.fill(painter, 0x132134, x=rig.FILL_X + 8)
    assert grabs.take(0.0, rig.pace(), lambda: False) is None
    assert [a[0] for a in answers] == [key_grabs.HAND_BACK]
    pipe.send(got[0], got[1])  # (adopted now)
    rig.reaches_the_viewer(fbdir_xvfb, grabber, pipe, monitor, 0x112358)
    fb = pipe.dec.framebuffer
    assert fb is not None and (fb[rig.FILL_Y, rig.FILL_X + 8, :3] == (0x34, 0x21, 0x13)).all()


def test_damage_with_nothing_new_on_the_monitor_waits_on(
    fbdir_xvfb: FbdirXvfb, grabber: DamageGrabber, painter: Painter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A change off the monitor: taken with no box (nothing to send), and the take waits
    for the next damage, which it returns."""
    monitor = Monitor(2, 200, 100, 320, 240)
    _, grabs = rig.started(grabber, monitor)

    def then_on_the_monitor(args: tuple[Any, ...], answers: list[Answer]) -> tuple[Any, ...]:
        if answers and answers[-1][0] == key_grabs.TOOK:  # the box off the monitor taken
            rig.fill(painter, 0x0F1E2D)
        return args

    answers = _answers(monkeypatch, then_on_the_monitor)
    rig.fill(painter, 0x3C4B5A, x=60, y=40)  # (inside the window, off the monitor)
    got = grabs.take(0.0, rig.pace(), lambda: False)
    assert got is not None
    frame, boxes, _ = got
    assert [(a[0], a[2][1]) for a in answers[:1]] == [(key_grabs.TOOK, ())]
    assert boxes and (frame[rig.FILL_Y - 100, rig.FILL_X - 200, :3] == (0x2D, 0x1E, 0x0F)).all()
