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
