"""The move detector over a photographic wallpaper (issue 11): a dragged window is found
even when the strip it uncovers is the busiest content of every row."""

from __future__ import annotations

import numpy as np

from remoteapp.codec import ScreenDecoder, ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import find_motion
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.tiles import as_words
from tests.codec.frames import texty


def photo(height: int, width: int, seed: int = 0) -> Pixels:
    """Smooth shapes plus sensor grain: nearly every neighbouring pair of pixels differs."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    frame = np.empty((height, width, 4), np.uint8)
    for c in range(3):
        smooth = 110 + 60 * np.sin(x / (90 + 20 * c)) * np.cos(y / (70 + 15 * c))
        frame[..., c] = (smooth + rng.normal(0, 6, smooth.shape)).clip(0, 255).astype(np.uint8)
    frame[..., 3] = 255
    return frame


def terminal(height: int, width: int) -> Pixels:
    """A mostly blank window: a title bar, a frame and four short lines of text."""
    win = np.full((height, width, 4), 250, np.uint8)
    win[:24, :, :3] = (140, 90, 60)
    win[24:, 0], win[24:, -1], win[-1, :] = 90, 90, 90
    win[40:112, 12:200] = texty(72, 188, 3)
    return win


def dragged(steps: int, dx: int = 14, dy: int = 6) -> list[Pixels]:
    desk, win = photo(720, 1100), terminal(300, 420)
    frames = []
    for i in range(steps):
        frame = desk.copy()
        y, x = 60 + i * dy, 50 + i * dx
        frame[y : y + 300, x : x + 420] = win
        frames.append(frame)
    return frames


def test_window_dragged_over_a_photo_is_found_in_every_update() -> None:
    frames = dragged(12)
    enc, dec = ScreenEncoder(), ScreenDecoder()
    copies = []
    for frame in frames:
        dec.decode(enc.encode(frame))
        assert np.array_equal(dec.framebuffer, frame)
        assert enc.last_stats is not None
        copies.append(enc.last_stats.copies)
    assert copies[1:] == [1] * (len(frames) - 1)


def test_the_found_move_is_the_window_not_a_piece_of_it() -> None:
    a, b = dragged(2)
    region = Rect(50, 60, 420 + 14, 300 + 6)
    motion = find_motion(as_words(b), as_words(a), region)
    assert motion is not None and (motion.dx, motion.dy) == (14, 6)
    assert motion.dst.area >= 0.9 * 420 * 300
