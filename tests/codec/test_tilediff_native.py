"""The tile diff in C (``_tilediff``) gives ``TileDiff``'s rectangles, in its order, for
any boxes, sizes and alignments (so the encoder's updates keep their bytes); it refuses
what is not two frames and boxes inside them; without it the encoder is unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec import ScreenEncoder, tiles
from remoteapp.codec.geometry import Rect, bounding_box
from remoteapp.codec.tiles import TILE, TileDiff, as_words, boxes_changed_rects
from tests.codec.test_encoder_exact import RECORDED, SEQUENCES, digest, encode_all
from tests.native import built


@pytest.fixture(scope="module")
def native() -> object:
    return built(tiles.native, "the C tile diff (_tilediff)")


def _frames(h: int, w: int, seed: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Two (h, w, 4) frames starting ``offset`` bytes into their buffers (4: not 8-byte
    aligned, so TileDiff compares single pixels instead of pairs)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        raw = np.zeros(h * w * 4 + 8, np.uint8)
        frame = raw[offset : offset + h * w * 4].reshape(h, w, 4)
        frame[...] = rng.integers(0, 4, (h, w, 4), dtype=np.uint8)
        out.append(frame)
    out[1][...] = out[0]
    return out[0], out[1]


@st.composite
def cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, list[Rect]]:
    h, w = draw(st.integers(1, 300)), draw(st.integers(1, 300))
    ref, cur = _frames(h, w, draw(st.integers(0, 1000)), draw(st.sampled_from([0, 4])))
    for _ in range(draw(st.integers(0, 6))):
        y, x = draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))
        if draw(st.booleans()):
            cur[y, x, draw(st.integers(0, 3))] ^= 1 << draw(st.integers(0, 7))
        else:
            cur[y : y + draw(st.integers(1, 90)), x : x + draw(st.integers(1, 150))] = 7
    boxes = []
    for _ in range(draw(st.integers(0, 3))):
        x, y = draw(st.integers(0, w - 1)), draw(st.integers(0, h - 1))
        if draw(st.booleans()):  # tile-aligned, as the damage grabber's
            x, y = x // TILE * TILE, y // TILE * TILE
        bw, bh = draw(st.integers(1, w - x)), draw(st.integers(1, h - y))
        boxes.append(Rect(x, y, bw, bh))
    return ref, cur, boxes


@given(cases())
@settings(max_examples=300, deadline=None)
def test_the_same_rectangles_as_tilediff_in_its_order(
    native: object, case: tuple[np.ndarray, np.ndarray, list[Rect]]
) -> None:
    ref, cur, boxes = case
    want = [r for box in boxes for r in TileDiff(as_words(cur), as_words(ref), box).rects()]
    assert boxes_changed_rects(cur, ref, boxes) == want
    if boxes:  # the boxes' bounds, given: only they are checked against the frame
        bounds = bounding_box(boxes)
        assert boxes_changed_rects(cur, ref, boxes, bounds) == want
        assert boxes_changed_rects(cur, ref, boxes, Rect(-1, 0, 1, 1)) == want


def test_a_box_off_the_frame_is_left_to_tilediff_when_bounds_are_off_it_too(
    native: object,
) -> None:
    """Bounds off the frame prove nothing: each box is checked then (TileDiff clips)."""
    ref, cur = _frames(128, 128, 1, 0)
    off = [Rect(64, 64, 96, 16)]
    assert boxes_changed_rects(cur, ref, off) is None
    assert boxes_changed_rects(cur, ref, off, Rect(0, 0, 200, 200)) is None


def test_what_the_c_diff_does_not_take_is_left_to_tilediff(native: object) -> None:
    """A negative box inside good bounds, more boxes than one C call takes, frames at an
    odd address (the C reads 32-bit pixels): TileDiff's, not an error."""
    ref, cur = _frames(128, 128, 1, 0)
    negative = [Rect(10, 10, -5, 4), Rect(0, 0, 20, 20)]
    assert boxes_changed_rects(cur, ref, negative, Rect(0, 0, 20, 20)) is None
    assert boxes_changed_rects(cur, ref, [Rect(0, 0, 0, 0)] * (tiles.NATIVE_BOXES + 1)) is None
    odd_ref, odd_cur = _frames(128, 128, 1, 1)
    assert boxes_changed_rects(odd_cur, odd_ref, [Rect(0, 0, 20, 20)]) is None
    assert boxes_changed_rects(cur, ref, [Rect(0, 0, 20, 20)]) is not None


@given(cases())
@settings(max_examples=100, deadline=None)
def test_a_copys_parts_are_diffed_as_tilediff_does_from_the_frames_words(
    native: object, case: tuple[np.ndarray, np.ndarray, list[Rect]]
) -> None:
    """The encoder's copy strips (``parts_changed_rects``, on ``as_words`` views): the C
    diff's rectangles are TileDiff's, part by part, in order."""
    ref, cur = (as_words(f) for f in case[:2])
    want = [r for box in case[2] for r in TileDiff(cur, ref, box).rects()]
    assert boxes_changed_rects(cur, ref, case[2]) is not None
    assert tiles.parts_changed_rects(cur, ref, case[2]) == want


def test_parts_the_c_diff_refuses_are_diffed_by_tilediff(native: object) -> None:
    """What the C diff refuses (a part off the frame, which TileDiff clips; frames at an
    odd address; a negative part inside the frame, with or without bounds, which the C
    would call outside; more parts than one C call takes) is TileDiff's, and what it
    takes (zero-size parts, many small ones, a band wider than TileDiff's one-compare
    area, which it scans) gives TileDiff's rectangles."""
    many = [Rect(i % 256 * 2, i // 256 * 8, 2, 2) for i in range(tiles.NATIVE_BOXES + 1)]
    for offset, parts, c_takes in (
        (0, [Rect(480, 64, 96, 16)], False),
        (1, [Rect(0, 0, 20, 20)], False),
        (0, [Rect(0, 0, 512, 128), Rect(30, 30, -5, 10)], False),
        (0, [Rect(30, 30, 10, -10)], False),
        (0, many, False),
        (0, [Rect(70, 70, 0, 4), Rect(3, 3, 0, 0)], True),
        (0, many[:600], True),
        (0, [Rect(0, 0, 512, 400), Rect(0, 400, 512, 112)], True),
    ):
        raw_ref, raw_cur = _frames(512, 512, 1, offset)
        raw_cur[70:75, 100:400] = 3
        raw_cur[8:10, 64:66] = 5
        raw_cur[401, 500] = 1
        ref, cur = as_words(raw_ref), as_words(raw_cur)
        took = boxes_changed_rects(cur, ref, parts)
        assert (took is not None) == c_takes
        assert boxes_changed_rects(cur, ref, parts, bounding_box(parts)) == took
        want = [r for box in parts for r in TileDiff(cur, ref, box).rects()]
        assert tiles.parts_changed_rects(cur, ref, parts) == want
        assert took is None or took == want
    assert tiles.parts_changed_rects(cur, ref, []) == []


def test_a_dense_change_over_many_bands_merges_as_tilediff(native: object) -> None:
    """Spans over the same tile columns in consecutive bands, and ones that do not meet."""
    ref, cur = _frames(400, 512, 1, 0)
    cur[10:300, 70:200] = 9  # tile columns 1-3 over five bands ...
    cur[130:140, 300:460] = 9  # ... but band 2's run is 1-7: bands 0-1 merge, then 3-4
    cur[200:210, 330:340] = 5  # a run of its own in band 3
    box = [Rect(0, 0, 512, 400)]
    want = TileDiff(as_words(cur), as_words(ref), box[0]).merged_rects()
    found = boxes_changed_rects(cur, ref, box)
    assert found == want and len(found) == 4
    assert Rect(70, 10, 130, 118) in found and Rect(70, 192, 130, 108) in found


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((b"\0" * 16, b"\0" * 16, 2, 2, [(0, 0, 3, 1)]), ValueError),  # outside
        ((b"\0" * 16, b"\0" * 16, 2, 2, [(-1, 0, 1, 1)]), ValueError),
        ((b"\0" * 16, b"\0" * 12, 2, 2, []), ValueError),  # not a frame
        ((b"\0" * 16, b"\0" * 16, 0, 0, []), ValueError),
        ((b"\0" * 16, b"\0" * 16, 2, 2, [(0, 0, 1)]), TypeError),
        ((b"\0" * 16, b"\0" * 16, 2, 2, [(0, 0, 1, 1 << 40)]), OverflowError),
        ((b"\0" * 16, b"\0" * 16, 2, 2, 5), TypeError),
        ((b"\0" * 16, b"\0" * 16, 2, 2, [(0, 0, 1, 1)] * 5000), ValueError),
    ],
)
def test_what_is_not_two_frames_and_boxes_inside_them_is_refused(
    native: object, args: tuple[object, ...], error: type[Exception]
) -> None:
    with pytest.raises(error):
        native.changed_rects(*args)  # type: ignore[attr-defined]


def test_a_box_list_an_item_empties_as_it_is_read_is_read_as_it_was(native: object) -> None:
    """The C reads a copy of the list: an item whose ``__iter__`` clears the caller's
    list (any Python code may run there) leaves the boxes it had."""
    boxes: list[object] = []

    class Clearing:
        def __iter__(self) -> Iterator[int]:
            boxes.clear()
            return iter((0, 0, 2, 2))

    ref, cur = _frames(4, 4, 1, 0)
    cur[3, 3] = 7
    boxes += [Clearing(), (0, 0, 4, 4), (2, 2, 2, 2)]
    found = native.changed_rects(cur, ref, 4, 4, boxes)  # type: ignore[attr-defined]
    assert found == [(2, 3, 2, 1), (2, 3, 2, 1)] and boxes == []


def test_empty_boxes_and_an_unchanged_frame_give_nothing(native: object) -> None:
    ref, cur = _frames(70, 90, 3, 0)
    assert boxes_changed_rects(cur, ref, [Rect(0, 0, 90, 70), Rect(5, 5, 0, 3)]) == []


@pytest.mark.parametrize("name", ["typing-damage", "drag-damage-hinted", "scroll-damage"])
def test_the_encoder_sends_the_recorded_bytes_with_it_and_without_it(
    native: object, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the C lane (``Stream.encode_small``: its diff is this one's core), with this
    module alone, and with numpy: the recorded bytes each time."""
    calls = []
    real = boxes_changed_rects

    def counted(
        cur: np.ndarray, ref: np.ndarray, boxes: list[Rect], bounds: Rect | None = None
    ) -> list[Rect] | None:
        calls.append(len(boxes))
        return real(cur, ref, boxes, bounds)

    def without_small_path() -> ScreenEncoder:
        encoder = ScreenEncoder()
        encoder.small_path = False
        return encoder

    monkeypatch.setattr(tiles, "boxes_changed_rects", counted)
    lane = ScreenEncoder()
    assert digest(encode_all(SEQUENCES[name](), lane)) == RECORDED[name]
    if name == "typing-damage":
        assert lane.small_taken  # (a C diff was used)
    calls.clear()
    assert digest(encode_all(SEQUENCES[name](), without_small_path())) == RECORDED[name]
    if name == "typing-damage":
        assert calls  # (this module's diff was used)
    monkeypatch.setattr(tiles, "native", None)
    assert digest(encode_all(SEQUENCES[name](), without_small_path())) == RECORDED[name]
