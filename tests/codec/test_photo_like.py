"""``regions.photo_like`` samples a block as 32-bit words and counts equal neighbours along
the copy as one run: it must decide exactly as the plain per-row count on the byte-wise
sample did, for blocks at any offset and size in a frame, with few or many colours.  Its
C twin (``_regions.photo_like``, which ``Stream.encode_small`` measures a typed key's
due tiles with) decides as it does, at the thresholds' very edges too."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec import regions
from remoteapp.codec.regions import PHOTO_COLOURS_MIN, PHOTO_EQUAL_MAX, photo_like
from tests.native import built

#: a frame and a block's x, y, w, h in it
Framed = tuple[np.ndarray, int, int, int, int]


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
def framed(draw: st.DrawFn) -> Framed:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    height, width = draw(st.integers(1, 70)), draw(st.integers(1, 300))
    colours = draw(st.sampled_from([2, 3, 40, 200, 1 << 24]))
    frame = rng.integers(0, colours, (height + 3, width + 5), dtype=np.uint32)
    if draw(st.booleans()):  # long runs of equal pixels, as text and UI have
        frame = np.repeat(frame[:, : (width + 5) // 4 + 1], 4, axis=1)[:, : width + 5]
        frame = np.ascontiguousarray(frame)
    pixels = frame.view(np.uint8).reshape(height + 3, width + 5, 4)
    y, x = draw(st.integers(0, 3)), draw(st.integers(0, 5))
    return pixels, x, y, width, height


def blocks() -> st.SearchStrategy[np.ndarray]:
    return framed().map(lambda f: f[0][f[2] : f[2] + f[4], f[1] : f[1] + f[3]])


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


@pytest.fixture(scope="module")
def native() -> object:
    return built(regions.native, "the region tracker's books in C (_regions)")


def _same_in_c(native: object, f: Framed, equal_max: float, colours_min: int) -> bool:
    """The C decision on the block, asserted equal to photo_like's at these thresholds."""
    pixels, x, y, w, h = f
    got = native.photo_like(pixels, x, y, w, h, equal_max, colours_min)  # type: ignore[attr-defined]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(regions, "PHOTO_EQUAL_MAX", equal_max)
        mp.setattr(regions, "PHOTO_COLOURS_MIN", colours_min)
        want = photo_like(pixels[y : y + h, x : x + w])
    assert got is want, (x, y, w, h, equal_max, colours_min)
    return want


@settings(max_examples=300, deadline=None)
@given(
    framed(),
    st.sampled_from([PHOTO_EQUAL_MAX, 0.0, 0.25, 1.0]),
    st.sampled_from([PHOTO_COLOURS_MIN, 0, 1, 2, 5000]),
)
def test_the_c_decision_is_photo_likes(
    native: object, f: Framed, equal_max: float, colours_min: int
) -> None:
    _same_in_c(native, f, equal_max, colours_min)


def _sample(words: np.ndarray) -> Framed:
    """A block whose sample (every other pixel of every other row) is ``words``."""
    rows, cols = words.shape
    block = np.full((2 * rows, 2 * cols), 0xDEADBEEF, np.uint32)  # (never sampled)
    block[::2, ::2] = words
    return block.view(np.uint8).reshape(2 * rows, 2 * cols, 4), 0, 0, 2 * cols, 2 * rows


@given(st.integers(0, 2**32 - 1), st.integers(-1, 1))
@settings(max_examples=40, deadline=None)
def test_exactly_half_equal_neighbours_is_still_photo_like(
    native: object, seed: int, more: int
) -> None:
    """An 8x8 sample with 28 of its 56 neighbour pairs equal (PHOTO_EQUAL_MAX exactly)
    and 36 colours: photo-like; one pair more: not; one less: photo-like."""
    rng = np.random.default_rng(seed)
    equal = np.zeros(56, bool)
    equal[rng.choice(56, 28 + more, replace=False)] = True
    words = np.zeros((8, 8), np.uint32)
    fresh = iter(range(1, 1000))
    for r in range(8):
        words[r, 0] = next(fresh)
        for c in range(1, 8):
            words[r, c] = words[r, c - 1] if equal[r * 7 + c - 1] else next(fresh)
    assert _same_in_c(native, _sample(words), PHOTO_EQUAL_MAX, PHOTO_COLOURS_MIN) is (more <= 0)


@pytest.mark.parametrize(("colours", "photo"), [(64, True), (63, False)])
def test_exactly_the_colour_threshold(native: object, colours: int, photo: bool) -> None:
    """A 32x32 sample (1024 words: PHOTO_COLOURS_MIN needed), no equal neighbours."""
    assert PHOTO_COLOURS_MIN == 64
    words = (np.arange(1024, dtype=np.uint32) % colours).reshape(32, 32)
    assert _same_in_c(native, _sample(words), PHOTO_EQUAL_MAX, PHOTO_COLOURS_MIN) is photo


def test_colours_count_in_the_first_4096_sample_words_only(native: object) -> None:
    """A 70x70 sample: 63 colours in its first 4096 words, hundreds after them."""
    words = (np.arange(4900, dtype=np.uint32) % 63).reshape(70, 70)
    words.reshape(-1)[4096:] = np.arange(1000, 1000 + 804, dtype=np.uint32)
    assert not _same_in_c(native, _sample(words), PHOTO_EQUAL_MAX, PHOTO_COLOURS_MIN)
    words.reshape(-1)[4095] = 5000  # (the 64th colour, the last one counted)
    assert _same_in_c(native, _sample(words), PHOTO_EQUAL_MAX, PHOTO_COLOURS_MIN)


@pytest.mark.parametrize(
    ("h", "w"), [(0, 0), (0, 9), (1, 1), (6, 8), (8, 6), (7, 7), (1, 31), (1, 32), (2, 64)]
)
def test_tiny_blocks(native: object, h: int, w: int) -> None:
    """Samples of fewer than 16 words are not photo-like; 16 (7x7: 4x4, 1x31: 1x16) may
    be (a need of 4 colours)."""
    pixels = np.random.default_rng(h * 100 + w).integers(0, 256, (10, 70, 4), dtype=np.uint8)
    got = _same_in_c(native, (pixels, 1, 1, w, h), PHOTO_EQUAL_MAX, PHOTO_COLOURS_MIN)
    assert got is (((h + 1) // 2) * ((w + 1) // 2) >= 16)


def test_odd_frames_and_blocks_off_them_are_refused(native: object) -> None:
    pixels = np.zeros((16, 16, 4), np.uint8)
    odd = np.frombuffer(bytearray(pixels.nbytes + 1), np.uint8, pixels.nbytes, 1)
    shapes = (pixels.reshape(16, 64), np.zeros((4, 4, 4), np.uint16), odd.reshape(16, 16, 4))
    for bad in shapes:
        with pytest.raises(ValueError, match="aligned"):
            native.photo_like(bad, 0, 0, 1, 1, 0.5, 64)  # type: ignore[attr-defined]
    for x, y, w, h in [
        (-1, 0, 1, 1),
        (0, 0, 17, 1),
        (8, 8, 9, 8),
        (0, 0, 1, -1),
        (2**62, 0, 2**62, 1),
    ]:
        with pytest.raises(ValueError, match="off the frame"):
            native.photo_like(pixels, x, y, w, h, 0.5, 64)  # type: ignore[attr-defined]


def test_a_score_halved_in_float32_is_numpys() -> None:
    """``_measure``'s ``0.5 * photo + 0.5 * score`` stored in the float32 grid, as the C
    computes it (float32 products and sum): the same bits for every reachable score
    and some subnormals (all float32s in [0, 1] checked once, none differ; numpy 1's
    float64 scalars rounded once give the same too)."""
    rng = np.random.default_rng(3)
    bits = np.concatenate([rng.integers(0, 0x3F800001, 20000), np.arange(0, 64)])
    grid = bits.astype(np.uint32).view(np.float32)
    for score in (0.0, 1.0):
        c = np.float32(0.5) * grid + np.float32(0.5) * np.float32(score)
        for i in range(0, grid.size, 97):
            python = grid[i : i + 1].copy()
            python[0] = 0.5 * python[0] + 0.5 * score
            assert python.view(np.uint32)[0] == c.view(np.uint32)[i]
            once = np.float32(0.5 * float(grid[i]) + 0.5 * score)
            assert once.view(np.uint32) == c.view(np.uint32)[i]
