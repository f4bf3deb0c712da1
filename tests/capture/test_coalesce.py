"""Damage coalescing (``damage.coalesce``, sans-IO): a thousand tiny rectangles become a
few disjoint 64-px tile boxes covering every one, far-apart damage stays apart, and past
MAX_BOXES one bounding box is grabbed."""

from __future__ import annotations

import numpy as np
import pytest

from remoteapp.capture.damage import MAX_BOXES, as_rect_array, coalesce
from remoteapp.codec.geometry import Rect

W, H = 640, 480


def test_coalesce_turns_a_thousand_rectangles_into_tile_boxes() -> None:
    rng = np.random.default_rng(1)
    xy = rng.integers(0, 190, size=(1000, 2)) + np.array([100, 40])
    rects = as_rect_array((int(x), int(y), 2, 2) for x, y in xy)
    boxes = coalesce(rects, W, H)
    assert len(boxes) <= 2
    covered = np.zeros((H, W), bool)
    for box in boxes:
        assert box.x % 64 == 0 and box.y % 64 == 0
        covered[box.y : box.bottom, box.x : box.right] = True
    assert all(covered[y : y + 2, x : x + 2].all() for x, y in xy)


@pytest.mark.parametrize("count", [1, 3, 16, 17, 200])
def test_coalesced_boxes_are_disjoint_tiles_covering_every_rectangle(count: int) -> None:
    rng = np.random.default_rng(count)
    for _ in range(20):
        xy = rng.integers(-20, W, (count, 2)) % np.array([W + 20, H + 20]) - 20
        xywh = np.column_stack([xy, rng.integers(1, 90, (count, 2))])
        boxes = coalesce(xywh.astype(np.int32), W, H)
        hits = np.zeros((H, W), np.int32)
        for box in boxes:
            assert box.x % 64 == 0 and box.y % 64 == 0 and box.inside(W, H)
            hits[box.y : box.bottom, box.x : box.right] += 1
        assert hits.max() <= 1, "boxes overlap"
        for x, y, w, h in xywh:
            x0, y0, x1, y1 = max(x, 0), max(y, 0), max(x + w, 0), max(y + h, 0)
            assert (hits[y0:y1, x0:x1] == 1).all()


def test_coalesce_keeps_far_apart_damage_apart_and_clips() -> None:
    rects = as_rect_array([(3, 3, 5, 5), (600, 440, 100, 100), (-50, 200, 60, 10)])
    boxes = coalesce(rects, W, H)
    assert sorted((b.x, b.y, b.w, b.h) for b in boxes) == [
        (0, 0, 64, 64),
        (0, 192, 64, 64),
        (576, 384, 64, 96),
    ]
    many = as_rect_array((x * 128, y * 128, 1, 1) for x in range(5) for y in range(4))
    assert coalesce(many, W, H) == [Rect(0, 0, 576, 448)]  # past MAX_BOXES: one box
    assert MAX_BOXES < 20
    assert coalesce(as_rect_array([]), W, H) == []
