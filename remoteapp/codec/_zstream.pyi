from collections.abc import Sequence

from remoteapp.codec.geometry import Rect

_Bytes = bytes | bytearray | memoryview

class Stream:
    def __init__(self, level: int, window_log: int) -> None: ...
    def reset(self) -> None: ...
    def compress(self, chunks: Sequence[_Bytes], /) -> bytes: ...
    def pack_raw(
        self,
        frame: object,
        width: int,
        height: int,
        rects: Sequence[Rect],
        cursor: tuple[int, int] | None,
        flags: int,
        seq: int,
        /,
    ) -> tuple[bytes, int, int]: ...
    def encode_small(
        self,
        frame: object,
        ref: object,
        width: int,
        height: int,
        damage: Sequence[Rect],
        cursor: tuple[int, int] | None,
        seq: int,
        min_area: int,
        max_side: int,
        raw_max_area: int,
        rect_type: type[Rect],
        tracker: tuple[int, object, object, float, float, int, int, int, object, float, int] | None,
        /,
    ) -> tuple[bytes | None, list[Rect], list[tuple[int, int]] | None, int, int] | None: ...
