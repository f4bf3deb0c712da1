"""``ScreenEncoder.encode(copies=...)``: a copy the capture made itself goes out as a copy
with nothing compared inside its destination, and the damage around it is diffed: the
viewer ends exact, adopting or not, lossless or lossy."""

from __future__ import annotations

import numpy as np
import pytest

from remoteapp.codec import ScreenDecoder, ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.lossy import LossyMode
from remoteapp.codec.motion import Motion
from remoteapp.codec.pixels import Pixels

W, H = 320, 240
WINDOW = Rect(16, 8, 288, 208)


def frame(seed: int) -> Pixels:
    return np.random.default_rng(seed).integers(0, 256, (H, W, 4), np.uint8)


def scrolled(before: Pixels, dy: int, seed: int) -> tuple[Pixels, Motion]:
    """``before`` with WINDOW's content up by ``dy`` and a new line at its bottom."""
    after = before.copy()
    w = WINDOW
    after[w.y : w.bottom - dy, w.x : w.right] = before[w.y + dy : w.bottom, w.x : w.right]
    after[w.bottom - dy : w.bottom, w.x : w.right] = frame(seed)[:dy, : w.w]
    return after, Motion(0, -dy, Rect(w.x, w.y, w.w, w.h - dy))


@pytest.mark.parametrize("adopt", [False, True], ids=["own-reference", "adopting"])
@pytest.mark.parametrize("lossy", [False, True], ids=["lossless", "lossy"])
def test_an_exact_copy_is_sent_as_a_copy_and_the_viewer_ends_exact(
    adopt: bool, lossy: bool
) -> None:
    codecs = frozenset({"jpeg", "vp8"}) if lossy else frozenset()
    enc = ScreenEncoder(lossy_codecs=codecs, mode=LossyMode.QUALITY)
    dec = ScreenDecoder()
    now = frame(1)
    dec.decode(enc.encode(now.copy(), adopt=adopt))
    for step in range(6):
        now, copy = scrolled(now, 13, 100 + step)
        update = enc.encode(now.copy(), damage=(WINDOW,), copies=(copy,), adopt=adopt)
        dec.decode(update)
        assert enc.last_stats is not None and enc.last_stats.copies == 1
        assert len(update) < WINDOW.w * 13 * 4 * 2  # (the new line, not the window)
        assert np.array_equal(dec.framebuffer, now)


def test_the_copy_is_trusted_not_compared() -> None:
    """A copy that is not what the frame holds is sent as it is: the capture vouches for
    it (so the encoder never compares inside it)."""
    enc, dec = ScreenEncoder(), ScreenDecoder()
    before = frame(2)
    dec.decode(enc.encode(before.copy()))
    after, copy = scrolled(before, 13, 7)
    after[WINDOW.y + 5, WINDOW.x + 5] ^= 0xFF  # (inside the copy's dst: never looked at)
    dec.decode(enc.encode(after.copy(), damage=(WINDOW,), copies=(copy,)))
    assert dec.framebuffer is not None
    differ = np.argwhere((dec.framebuffer != after).any(axis=2))
    assert differ.tolist() == [[WINDOW.y + 5, WINDOW.x + 5]]


def test_without_damage_the_copies_are_not_used() -> None:
    enc, dec = ScreenEncoder(), ScreenDecoder()
    before = frame(3)
    dec.decode(enc.encode(before.copy()))
    after, copy = scrolled(before, 13, 8)
    dec.decode(enc.encode(after.copy(), copies=(copy,)))  # (a full diff: exact)
    assert np.array_equal(dec.framebuffer, after)
