from collections.abc import Sequence

from remoteapp.codec.geometry import Rect

def count_few(
    freq: object,
    tested: object,
    changed: Sequence[Rect],
    frame: int,
    decay: float,
    test_from: float,
    retest_every: int,
    tile: int,
    few_max: int,
    /,
) -> list[tuple[int, int]] | None: ...
def photo_like(
    frame: object,
    x: int,
    y: int,
    w: int,
    h: int,
    equal_max: float,
    colours_min: int,
    /,
) -> bool: ...
