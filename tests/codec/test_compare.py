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

from remoteapp.codec import compare
from remoteapp.codec.compare import equal, frames_equal, not_equal, rows_equal
from remoteapp.codec.tiles import as_words
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


@pytest.fixture(scope="class", params=["c-rows", "python-rows"])
def each_rows(request: pytest.FixtureRequest) -> Iterator[str]:
    """The row compare in C (``_tilediff.rows_equal``) and with numpy's pixel pairs, for
    the tests of one class (class scope: hypothesis's tests may use it, and the patch
    ends with the class)."""
    yield from each_build(request, compare.native, "_tilediff", compare, "native", None)


@pytest.mark.usefixtures("each_rows")
class TestBothBuilds:
    @settings(max_examples=300, deadline=None)
    @given(block_pairs())
    def test_compares_match_numpy(self, pair: tuple[np.ndarray, np.ndarray]) -> None:
        a, b = pair
        assert np.array_equal(equal(a, b), a == b)
        assert np.array_equal(not_equal(a, b), a != b)
        assert np.array_equal(rows_equal(a, b), (a == b).all(axis=1))

    def test_rows_equal_sees_a_difference_in_either_unpaired_column(self) -> None:
        """A block starting on the second pixel of a pair, of even width, has a first and
        a last pixel outside whole pairs: a difference there alone must show."""
        a = np.zeros((4, 64), np.uint32)
        b = a.copy()
        b[1, 1] = 1  # the block's first column
        b[2, 62] = 1  # its last
        ok = rows_equal(a[:, 1:63], b[:, 1:63])
        assert ok.tolist() == [True, False, False, True]

    @pytest.mark.parametrize(
        "other",
        [lambda a: a.view(np.int32), lambda a: a.astype(">u4"), lambda a: a.astype(np.float32)],
        ids=["int32", "big-endian", "float32"],
    )
    def test_other_4_byte_types_are_compared_as_numpy_compares_them(self, other: Any) -> None:
        """Two blocks not of one integer type never go to the C (it reads bytes: helper-74's
        review); the answer is numpy's path's, as before it."""
        base = np.arange(18, dtype=np.uint32).reshape(2, 9)
        base[0, 1] = 0xFFFFFFFF
        a = base[:, 1:]  # (its rows start mid-pair: against a fresh copy's, numpy compares
        b = other(a.copy())  # values, pixel by pixel)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(compare, "native", None)
            want = rows_equal(a, b).tolist()
        assert rows_equal(a, b).tolist() == want


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
    native: Any = built(compare.native, "_tilediff")
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
    native: Any = built(compare.native, "_tilediff")
    a, b = pair(np.arange(160, dtype=np.uint32).reshape(10, 16))
    assert native.rows_equal(a, b) is None


def test_the_c_row_compare_takes_empty_blocks_and_read_only_frames() -> None:
    native: Any = built(compare.native, "_tilediff")
    a = np.zeros((5, 8), np.uint32)
    a.flags.writeable = False
    assert np.frombuffer(native.rows_equal(a[:, :0], a[:, :0]), np.bool_).tolist() == [True] * 5
    assert bytes(native.rows_equal(a[:0], a[:0])) == b""
    assert rows_equal(a, a).all() and rows_equal(a, a).flags.writeable


def test_the_motion_search_blocks_take_the_c_row_compare() -> None:
    """Two blocks of one read-only frame's words, as motion's search cuts them: the C
    takes them, and its answer is a writable bool array, one a row."""
    native: Any = built(compare.native, "_tilediff")
    frame = np.random.default_rng(1).integers(0, 256, (40, 37, 4), np.uint8)
    frame[20:30] = frame[10:20]
    frame.flags.writeable = False
    words = as_words(frame)
    cur, ref = words[20:30, 3:35], words[10:20, 3:35]
    assert native.rows_equal(cur, ref) is not None
    got = rows_equal(cur, ref)
    assert got.dtype == np.bool_ and got.shape == (10,) and got.flags.writeable
    assert got.tolist() == [True] * 10 and (~got).tolist() == [False] * 10
    cur, ref = words[5:15, 3:35], words[6:16, 3:35]
    assert rows_equal(cur, ref).tolist() == (cur == ref).all(axis=1).tolist()


def test_the_c_row_compare_reads_broadcast_rows() -> None:
    native: Any = built(compare.native, "_tilediff")
    a = np.arange(40, dtype=np.uint32).reshape(5, 8)
    rows = np.broadcast_to(a[1], (5, 8))  # (a row stride of 0)
    got = np.frombuffer(native.rows_equal(rows, a), np.bool_)
    assert got.tolist() == [False, True, False, False, False]
