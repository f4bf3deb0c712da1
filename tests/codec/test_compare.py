"""Block compares (``remoteapp.codec.compare``): the contiguous-run compare and the
pixel-pair row compare give exactly what numpy's elementwise compare gives, for blocks at
any offset (odd or even first pixel, odd widths, the two blocks at different parities),
in frames of an even or odd width; the frames' memcmp gives what numpy's does; the row
compare in C (``_tilediff.rows_equal``, a memcmp a row) gives what the pixel pairs give,
and refuses (None) every layout it does not read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec import compare, tiles
from remoteapp.codec.compare import equal, frames_equal, not_equal, rows_equal
from tests.native import built, each_build

HEIGHT = 48


@st.composite
def block_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Two blocks of one shape: of one frame (shifted, as a scroll) or of two frames."""
    width = draw(st.sampled_from([512, 513, 640]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = rng.integers(0, 2, (HEIGHT, width), dtype=np.uint32)
    b = a.copy() if draw(st.booleans()) else a
    w = draw(st.integers(1, width - 8))
    h = draw(st.integers(1, HEIGHT - 8))
    x0, y0 = draw(st.integers(0, width - w)), draw(st.integers(0, HEIGHT - h))
    x1, y1 = draw(st.integers(0, width - w)), draw(st.integers(0, HEIGHT - h))
    if b is not a and draw(st.booleans()):
        x1, y1 = x0, y0  # the same place in two frames
        b = np.array(a)
        for _ in range(draw(st.integers(0, 6))):  # a few differences, or none
            b[draw(st.integers(0, HEIGHT - 1)), draw(st.integers(0, width - 1))] ^= 7
    return a[y0 : y0 + h, x0 : x0 + w], b[y1 : y1 + h, x1 : x1 + w]


@pytest.fixture(scope="module", params=["c-rows", "python-rows"])
def each_rows(request: pytest.FixtureRequest) -> Iterator[str]:
    """The row compare in C (``_tilediff.rows_equal``) and with numpy's pixel pairs."""
    yield from each_build(request, compare.native, "_tilediff", compare, "native", None)


@pytest.mark.usefixtures("each_rows")
@settings(max_examples=300, deadline=None)
@given(block_pairs())
def test_compares_match_numpy(pair: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = pair
    assert np.array_equal(equal(a, b), a == b)
    assert np.array_equal(not_equal(a, b), a != b)
    assert np.array_equal(rows_equal(a, b), (a == b).all(axis=1))


@pytest.mark.usefixtures("each_rows")
def test_rows_equal_sees_a_difference_in_either_unpaired_column() -> None:
    """A block starting on the second pixel of a pair, of even width, has a first and a
    last pixel outside whole pairs: a difference there alone must show."""
    a = np.zeros((4, 64), np.uint32)
    b = a.copy()
    b[1, 1] = 1  # the block's first column
    b[2, 62] = 1  # its last
    ok = rows_equal(a[:, 1:63], b[:, 1:63])
    assert ok.tolist() == [True, False, False, True]


@given(st.integers(1, 40), st.integers(1, 40), st.one_of(st.none(), st.integers(0, 10**6)))
def test_frames_equal_agrees_with_numpy(h: int, w: int, flip: int | None) -> None:
    """One memcmp for whole frames, numpy for views or other shapes: a byte changed
    anywhere (the first, the last, one inside a pixel) shows."""
    a = np.random.default_rng(h * 41 + w).integers(0, 256, (h, w, 4), np.uint8)
    b = a.copy()
    if flip is not None:
        b.reshape(-1)[flip % b.size] ^= 0x5A
    assert frames_equal(a, b) == np.array_equal(a, b)
    assert frames_equal(a[:, : w // 2], b[:, : w // 2]) == np.array_equal(
        a[:, : w // 2], b[:, : w // 2]
    )
    assert not frames_equal(a, a[:, : w - 1]) and not frames_equal(a, a.view(np.int8))
    nan = np.full(3, np.nan)
    assert not frames_equal(nan, nan.copy()) and frames_equal(np.zeros(2), -np.zeros(2))


@pytest.mark.parametrize("byte", [0, 1, 3, 4, 4 * 37 + 2, 4 * 63 + 3])
def test_the_c_row_compare_sees_any_byte_of_a_row(byte: int) -> None:
    native: Any = built(tiles.native, "_tilediff")
    a = np.zeros((3, 64), np.uint32)
    b = a.copy()
    b.view(np.uint8).reshape(3, 256)[1, byte] = 1
    assert np.frombuffer(native.rows_equal(a, b), np.bool_).tolist() == [True, False, True]
    assert rows_equal(a, b).tolist() == [True, False, True]


@pytest.mark.parametrize(
    "pair",
    [
        pytest.param(lambda a: (a[:, ::2], a[:, 1::2]), id="strided-columns"),
        pytest.param(lambda a: (a[::-1], a), id="negative-row-stride"),
        pytest.param(lambda a: (a[:, :8], a[:, :9]), id="two-shapes"),
        pytest.param(lambda a: (a[:4], a[:3]), id="two-heights"),
        pytest.param(lambda a: (a.astype(np.uint64), a.astype(np.uint64)), id="64-bit"),
        pytest.param(lambda a: (a[0], a[0]), id="one-dimension"),
        pytest.param(lambda a: (a.view(np.uint8), a.view(np.uint8)), id="bytes"),
    ],
)
def test_the_c_row_compare_refuses_what_it_does_not_read(pair: Any) -> None:
    """None: the caller compares with numpy (whose answer for these is what it was)."""
    native: Any = built(tiles.native, "_tilediff")
    a, b = pair(np.arange(160, dtype=np.uint32).reshape(10, 16))
    assert native.rows_equal(a, b) is None


def test_the_c_row_compare_takes_empty_blocks_and_read_only_frames() -> None:
    native: Any = built(tiles.native, "_tilediff")
    a = np.zeros((5, 8), np.uint32)
    a.flags.writeable = False
    assert np.frombuffer(native.rows_equal(a[:, :0], a[:, :0]), np.bool_).tolist() == [True] * 5
    assert bytes(native.rows_equal(a[:0], a[:0])) == b""
    assert rows_equal(a, a).all() and rows_equal(a, a).flags.writeable
