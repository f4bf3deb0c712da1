"""The copy model against a simulated screen: whatever the order of draws, trusted and
untrusted copies, covered destinations, stray events and the capture's reads, the frame
moved and pasted by its ops equals the screen wherever it is not unknown, and the viewer
given the moves and the fresh pixels equals the frame."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.capture.copy_model import CopyModel, Move, Paste, Region
from remoteapp.codec.geometry import Rect

W, H = 24, 16
Pixels = npt.NDArray[np.int64]


def sl(r: Rect) -> tuple[slice, slice]:
    return slice(r.y, r.bottom), slice(r.x, r.right)


def moved(frame: Pixels, src: Rect, dx: int, dy: int) -> None:
    frame[sl(src.shifted(dx, dy))] = frame[sl(src)].copy()


def mask(rects: list[Rect]) -> npt.NDArray[np.bool_]:
    m = np.zeros((H, W), bool)
    for r in rects:
        m[sl(r)] = True
    return m


@dataclass
class Rig:
    """The screen, the capture's frame and model, and the viewer."""

    screen: Pixels = field(default_factory=lambda: np.arange(W * H, dtype=np.int64).reshape(H, W))
    frame: Pixels = field(default_factory=lambda: np.full((H, W), -1, np.int64))
    viewer: Pixels = field(default_factory=lambda: np.full((H, W), -1, np.int64))
    model: CopyModel = field(default_factory=lambda: CopyModel(W, H))
    reads: list[Pixels] = field(default_factory=list)
    ink: int = 10_000

    def draw(self, r: Rect, bands: int = 1) -> None:
        self.ink += 1
        self.screen[sl(r)] = self.ink
        cuts = sorted({r.y + r.h * i // bands for i in range(bands)} | {r.bottom})
        boxes = [Rect(r.x, a, r.w, b - a) for a, b in itertools.pairwise(cuts) if b > a]
        for i, box in enumerate(boxes):
            self.model.damage(box, more=i < len(boxes) - 1)

    def copy(self, src: Rect, dx: int, dy: int, trusted: bool, covered: int = 0) -> None:
        """A copy; ``covered`` columns at the destination's right are under another
        window: not written, and not in the copy's damage."""
        dst = src.shifted(dx, dy)
        seen = Rect(dst.x, dst.y, dst.w - covered, dst.h)
        moved_pixels = self.screen[sl(src)].copy()
        self.screen[sl(seen)] = moved_pixels[:, : seen.w]
        if trusted:
            self.model.moved(src, dx, dy)
        self.model.damage(seen)

    def read(self) -> None:
        for box in list(self.model.unknown.rects):
            self.reads.append(self.screen[sl(box)].copy())
            self.model.read(box)

    def grab(self) -> None:
        for op in self.model.ops():
            if isinstance(op, Move):
                moved(self.frame, op.src, op.dx, op.dy)
            else:
                assert isinstance(op, Paste)
                self.frame[sl(op.box)] = self.reads.pop(0)
        known = ~mask(self.model.unknown.rects)
        assert np.array_equal(self.frame[known], self.screen[known])
        moves, fresh = self.model.update()
        for m in moves:
            moved(self.viewer, m.src, m.dx, m.dy)
        for r in fresh:
            self.viewer[sl(r)] = self.frame[sl(r)]
        assert np.array_equal(self.viewer, self.frame)


def rects(max_w: int = W, max_h: int = H) -> st.SearchStrategy[Rect]:
    return st.builds(
        lambda x, y, w, h: Rect(x, y, min(w, W - x), min(h, H - y)),
        st.integers(0, W - 1), st.integers(0, H - 1), st.integers(1, max_w), st.integers(1, max_h),
    )  # fmt: skip


@st.composite
def copies(draw: st.DrawFn) -> tuple[Rect, int, int]:
    src = draw(rects())
    dx = draw(st.integers(-src.x, W - src.right))
    dy = draw(st.integers(-src.y, H - src.bottom))
    return src, dx, dy


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("draw"), rects(), st.integers(1, 3)),
        st.tuples(st.just("copy"), copies(), st.booleans(), st.integers(0, 3)),
        st.tuples(st.just("other")),
        st.tuples(st.just("read")),
        st.tuples(st.just("grab")),
    ),
    max_size=40,
)


@settings(max_examples=600, deadline=None)
@given(STEPS, st.integers(1, 64), st.booleans())
def test_the_frame_is_the_screen_wherever_it_is_known(
    steps: list[tuple[Any, ...]], limit: int, start_known: bool
) -> None:
    rig = Rig(model=CopyModel(W, H, max_rects=limit))
    if start_known:  # (else the first read takes the whole screen, and every pixel is fresh)
        rig.read()
        rig.grab()
    for step in steps:
        if step[0] == "draw":
            rig.draw(step[1], step[2])
        elif step[0] == "copy":
            (src, dx, dy), trusted, covered = step[1], step[2], step[3]
            rig.copy(src, dx, dy, trusted, min(covered, src.w - 1))
        elif step[0] == "other":
            rig.model.other()
        elif step[0] == "read":
            rig.read()
        else:
            rig.grab()
    rig.read()
    rig.grab()
    assert not rig.model.unknown
    assert np.array_equal(rig.frame, rig.screen)


def test_a_scroll_is_read_as_its_new_line_alone() -> None:
    rig = Rig()
    rig.read()
    rig.grab()
    for _ in range(5):
        rig.copy(Rect(0, 2, W, H - 2), 0, -2, trusted=True)
        rig.draw(Rect(0, H - 2, W, 2))
        assert rig.model.unknown.rects == [Rect(0, H - 2, W, 2)]
        rig.read()
        rig.grab()
    assert rig.model.mismatches == 0


def test_a_copy_over_unknown_pixels_makes_them_known_and_carries_fresh_ones() -> None:
    rig = Rig()
    rig.read()
    rig.grab()
    rig.draw(Rect(0, 4, W, 2))
    rig.copy(Rect(0, 8, W, 8), 0, -8, trusted=True)  # (over the drawn rows, from known ones)
    assert not rig.model.unknown
    rig.draw(Rect(0, 12, W, 2))
    rig.read()  # (rows 12-14: fresh)
    rig.copy(Rect(0, 10, W, 6), 0, -10, trusted=True)  # (the fresh rows carried to 2-4)
    assert sorted(rig.model.fresh.rects) == [Rect(0, 2, W, 2), Rect(0, 12, W, 2)]
    rig.grab()


def test_a_covered_destination_makes_the_copy_unknown() -> None:
    rig = Rig()
    rig.read()
    rig.grab()
    rig.copy(Rect(0, 4, 10, 4), 5, 0, trusted=True, covered=2)
    assert rig.model.mismatches == 1 and rig.model.unknown.rects == [Rect(5, 4, 10, 4)]
    rig.grab()


def test_a_copy_whose_report_never_comes_is_unknown() -> None:
    """Refused by the server (a bad drawable): no damage; the next event says so."""
    model = CopyModel(W, H)
    model.read(Rect(0, 0, W, H))
    model.moved(Rect(0, 0, 4, 4), 8, 8)
    model.other()
    assert model.mismatches == 1 and model.unknown.rects == [Rect(8, 8, 4, 4)]


def test_a_trusted_copy_off_the_screen_is_refused() -> None:
    with pytest.raises(ValueError, match="off the screen"):
        CopyModel(W, H).moved(Rect(20, 0, 8, 4), 0, 0)


def test_a_region_past_its_limit_is_its_bounding_box() -> None:
    region = Region(limit=3)
    for i in range(3):
        region.add(Rect(i * 4, i * 2, 2, 2))
    assert len(region.rects) == 3
    region.add(Rect(20, 10, 1, 1))
    assert region.rects == [Rect(0, 0, 21, 11)]
