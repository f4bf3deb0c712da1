"""``regions.photo_like`` samples a block as 32-bit words and counts equal neighbours along
the copy as one run: it must decide exactly as the plain per-row count on the byte-wise
sample did, for blocks at any offset and size in a frame, with few or many colours."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec.regions import PHOTO_COLOURS_MIN, PHOTO_EQUAL_MAX, photo_like


def reference(block: np.ndarray) -> bool:
    """The decision as first written: every other pixel of every other row, neighbours
    compared row by row."""
    sample = np.ascontiguousarray(block[::2, ::2])
    words = sample.view(np.uint32).reshape(sample.shape[0], sample.shape[1])
    if words.size < 16:
        return False
    same = np.count_nonzero(words[:, 1:] == words[:, :-1])
    if float(same) / max(1, words[:, 1:].size) > PHOTO_EQUAL_MAX:
        return False
    sample = np.sort(words.reshape(-1)[:4096])
    colours = 1 + int(np.count_nonzero(sample[1:] != sample[:-1]))
    return colours >= min(PHOTO_COLOURS_MIN, sample.size // 4)


@st.composite
def blocks(draw: st.DrawFn) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    height, width = draw(st.integers(1, 70)), draw(st.integers(1, 300))
    colours = draw(st.sampled_from([2, 3, 40, 200, 1 << 24]))
    frame = rng.integers(0, colours, (height + 3, width + 5), dtype=np.uint32)
    if draw(st.booleans()):  # long runs of equal pixels, as text and UI have
        frame = np.repeat(frame[:, : (width + 5) // 4 + 1], 4, axis=1)[:, : width + 5]
        frame = np.ascontiguousarray(frame)
    pixels = frame.view(np.uint8).reshape(height + 3, width + 5, 4)
    y, x = draw(st.integers(0, 3)), draw(st.integers(0, 5))
    return pixels[y : y + height, x : x + width]


@settings(max_examples=400, deadline=None)
@given(blocks())
def test_photo_like_decides_as_the_per_row_count(block: np.ndarray) -> None:
    assert photo_like(block) == reference(block)


def test_a_photo_and_text() -> None:
    rng = np.random.default_rng(7)
    photo = rng.integers(0, 256, (64, 64, 4), dtype=np.uint8)
    text = np.full((64, 64, 4), 255, np.uint8)
    text[10:14, 5:40] = 0
    assert photo_like(photo)
    assert not photo_like(text)


def test_the_last_pixel_of_a_row_is_no_neighbour_of_the_next_rows_first() -> None:
    """Sampled rows [v0, v1], [v1, v2], ...: every row's end equals the next row's start,
    and half the rows hold two equal pixels.  Counted along the copy as one run, those
    row ends would make it two-thirds equal neighbours and no photo."""
    values = []
    for k in range(33):  # a, a, b, c, c, d, ...: every other pair equal
        values += [2 * k, 2 * k] if k % 2 == 0 else [2 * k]
    rows = np.array([[values[i], values[i + 1]] for i in range(48)], np.uint32)
    block = np.zeros((96, 4), np.uint32)
    block[::2, ::2] = rows
    pixels = block.view(np.uint8).reshape(96, 4, 4)
    assert reference(pixels)
    assert photo_like(pixels)
