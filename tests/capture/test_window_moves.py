"""The move hints from configure events (``damage.WindowMoves``): for any sequence of
configures, forgets and grabs, the hints of a reference that compares every window at
every grab; and a grab after configures of other windows only looks at those."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from remoteapp.capture.damage import Geometry, WindowMoves
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion


class Reference:
    """Every window's box now against its box at the last grab (the straightforward way)."""

    def __init__(self) -> None:
        self.now: dict[int, Geometry] = {}
        self.then: dict[int, Geometry] = {}

    def configure(self, window: int, geometry: Geometry) -> None:
        self.now[window] = geometry

    def forget(self, window: int) -> None:
        self.now.pop(window, None)
        self.then.pop(window, None)

    def moved(self, left: int, top: int) -> Counter[Motion]:
        hints: Counter[Motion] = Counter()
        for window, now in self.now.items():
            then = self.then.get(window)
            if then is not None and (then.w, then.h) == (now.w, now.h) and then != now:
                dst = Rect(now.x - left, now.y - top, now.w, now.h)
                hints[Motion(now.x - then.x, now.y - then.y, dst)] += 1
        self.then = dict(self.now)
        return hints


geometry = st.builds(
    Geometry, st.integers(-50, 50), st.integers(-50, 50), st.integers(1, 3), st.integers(1, 3)
)
step = st.one_of(
    st.tuples(st.just("configure"), st.integers(0, 5), geometry),
    st.tuples(st.just("forget"), st.integers(0, 5)),
    st.tuples(st.just("moved"), st.integers(-5, 5), st.integers(-5, 5)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(step, max_size=40))
def test_the_hints_are_the_reference_ones(steps: list[tuple[object, ...]]) -> None:
    moves, reference = WindowMoves(), Reference()
    for kind, *args in steps:
        if kind == "moved":
            got = moves.moved(*args)  # type: ignore[arg-type]
            assert Counter(got) == reference.moved(*args)  # type: ignore[arg-type]
        else:
            getattr(moves, str(kind))(*args)
            getattr(reference, str(kind))(*args)


def test_a_grab_looks_only_at_the_windows_configured_since() -> None:
    moves = WindowMoves()
    for window in range(500):  # a desktop's top-level windows, most never move
        moves.configure(window, Geometry(window, 0, 10, 10))
    assert moves.moved() == ()
    assert not moves._then  # nothing left to look at for a typed key's grab
    moves.configure(7, Geometry(17, 5, 10, 10))
    moves.configure(7, Geometry(27, 5, 10, 10))
    assert moves.moved(1, 2) == (Motion(20, 5, Rect(26, 3, 10, 10)),)
    assert moves.moved() == ()
