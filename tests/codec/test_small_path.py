"""The small path's rule (``small_path.SMALL_SIDE``): which damage bounds it takes, the
same in C (``Stream.encode_small``) and in its Python twin (``tiles.small_box_rects``),
and what the encoder sends for bounds at its edge, bit-exact either way."""

from __future__ import annotations

import numpy as np
import pytest

from remoteapp.codec import ScreenDecoder, ScreenEncoder, tiles, zstd_stream
from remoteapp.codec.copy_guesses import MOTION_MIN_AREA
from remoteapp.codec.geometry import Rect
from remoteapp.codec.small_path import SMALL_SIDE
from remoteapp.codec.tiles import small_box_rects
from tests.codec.frames import noise, texty
from tests.native import built


@pytest.fixture(scope="module")
def stream() -> object:
    return built(zstd_stream.native, "the C zstd stream (_zstream)")


def test_a_key_over_a_tile_corner_takes_the_small_path(stream: object) -> None:
    """A glyph and its caret over a corner of the 64-px tiles damage those four tiles,
    128x128: the motion search's area exactly.  The small path takes that box (it went
    the general way, some 70 Python lines more a key), with the general path's bytes."""
    frame = texty(256, 256, 1)
    lane, plain = ScreenEncoder(), ScreenEncoder()
    plain.small_path = False
    for encoder in (lane, plain):
        encoder.encode(frame.copy(), adopt=True)
    key = frame.copy()
    key[58:70, 60:67] = texty(12, 7, 5)  # (over the corner at (64, 64))
    box = [Rect(0, 0, 128, 128)]
    assert MOTION_MIN_AREA == 128 * 128
    assert lane.encode_key(key.copy(), None, box) == plain.encode_key(key.copy(), None, box)
    assert (lane.small_taken, plain.small_taken) == (1, 0)
    assert lane.changed == plain.changed


#: Damage bounds at the small path's edge (``small_path.SMALL_SIDE``), and whether it
#: takes them: an area under the motion search's, or bounds inside four tiles (128x128);
#: not any bounds of the search's area (a scrolled row or column of four tiles may go
#: as a copy)
EDGES = [
    pytest.param((w, h), small, id=f"{w}x{h}")
    for (w, h), small in [
        ((128, 128), True),
        ((192, 64), True),
        ((128, 127), True),
        ((256, 64), False),
        ((64, 256), False),
        ((129, 128), False),
        ((512, 32), False),
    ]
]


def _scrolled(frame: np.ndarray, box: Rect, dy: int) -> np.ndarray:
    """``frame`` with ``box``'s content scrolled up ``dy`` rows, new pixels below."""
    out = frame.copy()
    inside = out[box.y : box.bottom, box.x : box.right]
    inside[:-dy] = frame[box.y + dy : box.bottom, box.x : box.right]
    inside[-dy:] = noise(dy, box.w, 9)
    return out


@pytest.mark.parametrize(("size", "small"), EDGES)
def test_the_small_box_rule_is_the_same_in_c_and_in_python(
    stream: object, size: tuple[int, int], small: bool
) -> None:
    """``Stream.encode_small`` and its Python twin ``tiles.small_box_rects`` take the same
    bounds, as one box and as two, with the same rectangles."""
    built(tiles.native, "the C tile diff (_tilediff)")
    w, h = size
    ref = texty(512, 512, 1)
    box = Rect(0, 128, w, h)
    cur = _scrolled(ref, box, 8)
    halves = [Rect(box.x, box.y, w, h // 2), Rect(box.x, box.y + h // 2, w, h - h // 2)]
    for damage in ([box], halves):
        s = zstd_stream.native.Stream(3, 20)
        got = s.encode_small(
            cur, ref, 512, 512, damage, None, 0, MOTION_MIN_AREA, SMALL_SIDE, 1 << 62, Rect, None
        )
        twin = small_box_rects(cur, ref, damage, MOTION_MIN_AREA, SMALL_SIDE)
        assert (got is not None) is small and (twin is not None) is small
        if got is not None:
            assert got[1] == twin
        by_area = small_box_rects(cur, ref, damage, MOTION_MIN_AREA)  # (the moves path's)
        assert (by_area is not None) is (w * h < MOTION_MIN_AREA)


@pytest.mark.parametrize("lane", [True, False])
@pytest.mark.parametrize(("size", "small"), EDGES)
def test_a_scroll_at_the_small_box_edge_goes_its_way_and_round_trips(
    stream: object, size: tuple[int, int], small: bool, lane: bool
) -> None:
    """A scroll inside damage at the edge: the small path sends bounds it takes as raw
    rectangles (the C lane, or its Python twin without it); the general path sends
    the others as a copy (their changes span the box: the search's area).  The viewer's
    pixels are the frame's, bit for bit."""
    w, h = size
    frame = noise(512, 512, 1)
    encoder, decoder = ScreenEncoder(), ScreenDecoder()
    encoder.small_path = lane
    decoder.decode(encoder.encode(frame.copy(), adopt=True))
    box = Rect(0, 128, w, h)
    key = _scrolled(frame, box, 8)
    decoder.decode(encoder.encode_key(key.copy(), (3, 4), [box]))
    assert encoder.small_taken == (small and lane)
    stats = encoder.last_stats
    assert stats is not None and stats.copies == (0 if small else 1)
    assert decoder.framebuffer is not None
    assert np.array_equal(decoder.framebuffer, key)
