from collections.abc import Sequence

def changed_rects(
    cur: object, ref: object, width: int, height: int, boxes: Sequence[tuple[int, int, int, int]], /
) -> list[tuple[int, int, int, int]]: ...
