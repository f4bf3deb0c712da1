"""``ScreenEncoder.encode(adopt=True)``: the frame becomes the reference as it is (a
capture backend with two kept frames).  The updates are byte for byte those of the
encoder copying into a reference of its own, the frames are never written, and
``changed`` covers every pixel in which a frame differs from the one before."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from remoteapp.codec import ScreenEncoder
from remoteapp.codec.lossy import LossyMode
from remoteapp.codec.pixels import Pixels
from tests.codec.test_encoder_exact import SEQUENCES, Step

pytestmark = pytest.mark.usefixtures("fixed_vp8_speed")  # (two encoders' bytes)


class Tick:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 1 / 30
        return self.now


def _encoder(lossy: bool) -> ScreenEncoder:
    if not lossy:
        return ScreenEncoder()
    codecs = frozenset({"jpeg", "vp8"})
    return ScreenEncoder(lossy_codecs=codecs, mode=LossyMode.SPEED, clock=Tick())


def _run(steps: list[Step], *, adopt: bool, lossy: bool) -> list[bytes]:
    enc = _encoder(lossy)
    return [
        enc.encode(frame.copy(), (i, i), damage=damage, moves=moves, adopt=adopt)
        for i, (frame, damage, moves) in enumerate(steps)
    ]


@pytest.mark.parametrize("lossy", [False, True], ids=["lossless", "lossy"])
@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_adopting_sends_the_same_bytes_and_never_writes_a_frame(name: str, lossy: bool) -> None:
    steps = SEQUENCES[name]()
    assert _run(steps, adopt=True, lossy=lossy) == _run(steps, adopt=False, lossy=lossy)
    enc = _encoder(lossy)
    handed: list[tuple[Pixels, Pixels]] = []
    for frame, damage, moves in steps:
        mine = frame.copy()
        enc.encode(mine, damage=damage, moves=moves, adopt=True)
        handed.append((mine, frame))
    assert all(np.array_equal(mine, frame) for mine, frame in handed)


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_changed_covers_every_difference_from_the_frame_before(name: str) -> None:
    enc = ScreenEncoder()
    steps = SEQUENCES[name]()
    enc.encode(steps[0][0].copy(), adopt=True)
    for (before, _, _), (frame, damage, moves) in itertools.pairwise(steps):
        enc.encode(frame.copy(), damage=damage, moves=moves, adopt=True)
        differs = (before != frame).any(axis=2)
        for r in enc.changed:
            differs[r.y : r.bottom, r.x : r.right] = False
        assert not differs.any(), name
