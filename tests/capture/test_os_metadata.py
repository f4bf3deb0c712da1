"""The Windows and macOS frame metadata decoders (``dxgi_metadata``, ``sck_metadata``),
fed the bytes and values those APIs hand over: whole buffers, truncated ones, values
outside the output or not finite.  The OS calls around them are not written (they cannot
run here); what they would report is checked here."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remoteapp.capture.damage import EVERYTHING
from remoteapp.capture.dxgi_metadata import (
    DIRTY_RECT_SIZE,
    MOVE_RECT_SIZE,
    Rotation,
    decode_dirty,
    decode_moves,
    frame_hints,
)
from remoteapp.capture.sck_metadata import FrameStatus, dirty_pixels, frame_damage
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion
from remoteapp.errors import CaptureError

W, H = 1920, 1080
LONG = st.integers(-(2**31), 2**31 - 1)
NEAR = st.integers(-100, 2100)  # around the output, inside it and across its edges


def _move(sx: int, sy: int, left: int, top: int, right: int, bottom: int) -> bytes:
    return struct.pack("<6l", sx, sy, left, top, right, bottom)


def _rect(left: int, top: int, right: int, bottom: int) -> bytes:
    return struct.pack("<4l", left, top, right, bottom)


def test_a_scroll_and_a_drag_decode_as_motions_whose_destinations_are_damage() -> None:
    moves = _move(0, 40, 0, 0, 1900, 1000) + _move(100, 100, 130, 90, 770, 510)
    dirty = _rect(0, 1000, 1900, 1040)
    damage, hints = frame_hints(moves, dirty, W, H)
    assert hints == [
        Motion(0, -40, Rect(0, 0, 1900, 1000)),
        Motion(30, -10, Rect(130, 90, 640, 420)),
    ]
    assert damage == [(0, 0, 1900, 1000), (130, 90, 640, 420), (0, 1000, 1900, 40)]


@given(st.lists(st.tuples(NEAR, NEAR, NEAR, NEAR, NEAR, NEAR), max_size=8))
def test_moves_are_cut_to_where_source_and_destination_lie_on_the_output(
    raw: list[tuple[int, int, int, int, int, int]],
) -> None:
    motions = decode_moves(b"".join(_move(*m) for m in raw), W, H)
    screen = Rect(0, 0, W, H)
    for m in motions:
        assert not m.dst.is_empty()
        assert m.dst.intersect(screen) == m.dst and m.src.intersect(screen) == m.src
    whole = [m for m in raw if min(m) >= 0 and m[2] < m[4] <= W and m[3] < m[5] <= H]
    whole = [m for m in whole if m[0] + m[4] - m[2] <= W and m[1] + m[5] - m[3] <= H]
    for sx, sy, left, top, right, bottom in whole:  # inside already: exactly as given
        assert Motion(left - sx, top - sy, Rect(left, top, right - left, bottom - top)) in motions


@given(st.lists(st.tuples(LONG, LONG, LONG, LONG), max_size=8))
def test_dirty_rects_are_clipped_and_never_empty(raw: list[tuple[int, int, int, int]]) -> None:
    for x, y, w, h in decode_dirty(b"".join(_rect(*r) for r in raw), W, H):
        assert 0 <= x < x + w <= W and 0 <= y < y + h <= H


@pytest.mark.parametrize("cut", [1, 7, 23, MOVE_RECT_SIZE + 5])
def test_a_truncated_buffer_is_everything(cut: int) -> None:
    moves = _move(0, 40, 0, 0, 100, 100) * 2
    dirty = _rect(0, 0, 10, 10) * 2
    with pytest.raises(CaptureError, match="whole number"):
        decode_moves(moves[:cut], W, H)
    with pytest.raises(CaptureError, match="whole number"):
        decode_dirty(dirty[: cut % DIRTY_RECT_SIZE or 3], W, H)
    assert frame_hints(moves[:cut], dirty, W, H) == ([EVERYTHING], [])
    assert frame_hints(b"", dirty[: DIRTY_RECT_SIZE + 1], W, H) == ([EVERYTHING], [])


def test_no_metadata_is_nothing_and_a_rotated_output_is_everything() -> None:
    assert frame_hints(b"", b"", W, H) == ([], [])
    assert frame_hints(b"", b"", W, H, Rotation.UNSPECIFIED) == ([], [])
    for rotation in (Rotation.ROTATE90, Rotation.ROTATE180, Rotation.ROTATE270):
        assert frame_hints(_move(0, 4, 0, 0, 9, 9), b"", W, H, rotation) == ([EVERYTHING], [])


FINITE = st.floats(-300, 1300, allow_nan=False)


@given(
    st.lists(st.tuples(FINITE, FINITE, FINITE, FINITE), max_size=6),
    st.sampled_from([1.0, 1.5, 2.0, 3.0]),
)
def test_dirty_points_become_pixels_rounded_outward(
    rects: list[tuple[float, float, float, float]], scale: float
) -> None:
    """Every pixel a rect touches (its scaled area inside the frame) is covered, and
    nothing lies outside the frame."""
    out = dirty_pixels(rects, scale, W, H)
    assert out is not None
    for x, y, w, h in out:
        assert 0 <= x < x + w <= W and 0 <= y < y + h <= H
    for x, y, w, h in rects:
        x0, x1 = sorted((x * scale, (x + w) * scale))
        y0, y1 = sorted((y * scale, (y + h) * scale))
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, W), min(y1, H)
        if x1 > x0 and y1 > y0:
            assert any(
                px <= x0 and x1 <= px + pw and py <= y0 and y1 <= py + ph for px, py, pw, ph in out
            )


def test_each_status_means_what_the_docstring_says() -> None:
    rect = [(10.25, 20.0, 5.5, 1.0)]
    assert frame_damage(FrameStatus.COMPLETE, rect, 2.0, W, H) == [(20, 40, 12, 2)]
    assert frame_damage(FrameStatus.COMPLETE, [], 2.0, W, H) == []
    for quiet in (FrameStatus.IDLE, FrameStatus.BLANK, FrameStatus.SUSPENDED, FrameStatus.STOPPED):
        assert frame_damage(quiet, rect, 2.0, W, H) == []
    assert frame_damage(FrameStatus.STARTED, rect, 2.0, W, H) is None
    assert frame_damage(99, rect, 2.0, W, H) is None


@pytest.mark.parametrize(
    ("rect", "scale"),
    [
        ((math.nan, 0.0, 1.0, 1.0), 2.0),
        ((0.0, 0.0, math.inf, 1.0), 2.0),
        ((1e308, 0.0, 1.0, 1.0), 2.0),  # finite, but not once scaled
        ((0.0, 0.0, 1.0, 1.0), math.nan),
        ((0.0, 0.0, 1.0, 1.0), 0.0),
    ],
)
def test_a_value_that_is_not_finite_is_everything(
    rect: tuple[float, float, float, float], scale: float
) -> None:
    assert frame_damage(FrameStatus.COMPLETE, [rect], scale, W, H) is None
