"""The lossy planner's short answer for a typed key (``LossyPlanner.plan`` returns the
rectangles as they are while nothing is lossy, dirty or playing), and the C lane that
takes such an update whole (``Stream.encode_small``): the same updates, byte for byte,
as the general path, whatever came before (JPEG, refreshes, video)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.codec import ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.lossy import LossyPlanner
from remoteapp.codec.pixels import Pixels
from remoteapp.codec.vp8_codec import available
from tests.codec.frames import texty

pytestmark = pytest.mark.skipif(not available(), reason="PyAV with libvpx is not installed")

LOSSY = frozenset({"vp8", "jpeg"})
WIDTH, HEIGHT = 384, 256


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def photo(h: int, w: int, seed: int) -> Pixels:
    """Noise with a gradient: photo-like, so it goes JPEG (and a video region's)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    out = np.full((h, w, 4), 255, np.uint8)
    base = (x * 3 + y * 2 + seed * 7) % 256
    out[..., :3] = (base[..., None] + rng.integers(0, 40, (h, w, 3))).clip(0, 255)
    return out


def general_only(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the short answers never apply (the planner's, and the C lane's that takes
    it whole: ``small_lane``); count how often the planner's would have."""
    taken: list[int] = []
    real = LossyPlanner._raw

    def never(self: LossyPlanner, rects: list[Rect]) -> bool:
        if real(self, rects):
            taken.append(1)
        return False

    monkeypatch.setattr(LossyPlanner, "_raw", never)
    monkeypatch.setattr(LossyPlanner, "small_lane", lambda self: None)
    return taken


# each step: ("key", x, y) a typed character; ("photo", x, y) a photo block;
# ("wait", tenths) time passes (refreshes fall due); ("video", t) a frame of a video
STEP = st.one_of(
    st.tuples(st.just("key"), st.integers(0, WIDTH - 8), st.integers(0, HEIGHT - 14)),
    st.tuples(st.just("photo"), st.integers(0, WIDTH - 96), st.integers(0, HEIGHT - 64)),
    st.tuples(st.just("wait"), st.integers(1, 40), st.just(0)),
    st.tuples(st.just("video"), st.integers(0, 50), st.just(0)),
)


def run(steps: list[tuple[str, int, int]]) -> list[bytes]:
    clock = Clock()
    encoder = ScreenEncoder(lossy_codecs=LOSSY, clock=clock)
    frame = texty(HEIGHT, WIDTH, 1)
    out = [encoder.encode(frame.copy())]
    for i, (kind, a, b) in enumerate(steps):
        frame = frame.copy()
        if kind == "key":
            box = Rect(a, b, 7, 12)
            frame[box.y : box.bottom, box.x : box.right] = texty(12, 7, i)
        elif kind == "photo":
            box = Rect(a, b, 96, 64)
            frame[box.y : box.bottom, box.x : box.right] = photo(64, 96, i)
        elif kind == "video":
            box = Rect(32, 32, 160, 128)
            frame[box.y : box.bottom, box.x : box.right] = photo(128, 160, a)
        else:
            clock.now += a / 10
            box = Rect(0, 0, 0, 0)
        clock.now += 1 / 30
        damage = [box.intersect(Rect(0, 0, WIDTH, HEIGHT))] if box.w else []
        out.append(encoder.encode(frame.copy(), damage=[d for d in damage if d.w]))
    return out


def test_typing_after_jpeg_and_its_refresh_is_the_general_paths_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    steps = [("key", 10 * i, 20) for i in range(5)]
    steps += [("photo", 100, 80), ("key", 10, 40), ("wait", 40, 0), ("key", 20, 40)]
    steps += [("key", 30 + 8 * i, 60) for i in range(5)]
    short = run(steps)
    taken = general_only(monkeypatch)
    assert run(steps) == short
    assert len(taken) >= 8  # the short answer was really taken, before and after the JPEG


@settings(max_examples=25, deadline=None)
@given(steps=st.lists(STEP, max_size=14))
def test_any_history_gives_the_general_paths_bytes(steps: list[tuple[str, int, int]]) -> None:
    short = run(steps)
    with pytest.MonkeyPatch.context() as monkeypatch:
        general_only(monkeypatch)
        assert run(steps) == short
