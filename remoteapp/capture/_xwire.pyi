from collections.abc import Sequence

class Error(Exception):
    args: tuple[str, bytes | str]

def wait_events(
    event_fd: int, wake_fd: int, timeout: float, size: int, /
) -> tuple[bool, bytes | None]: ...
def wait_damage(
    event_fd: int,
    wake_fd: int,
    timeout: float,
    size: int,
    damage_event: int,
    xi_opcode: int,
    raw_motion: int,
    /,
) -> tuple[bool, int, bytes | None]: ...
def round_trip(fd: int, request: bytes, timeout_ms: int, /) -> tuple[bytes, int]: ...
def read_boxes(
    fd: int,
    shm_major: int,
    drawable: int,
    seg: int,
    shm: object,
    frame: object,
    width: int,
    height: int,
    left: int,
    top: int,
    boxes: Sequence[tuple[int, int, int, int]],
    depth: int,
    timeout_ms: int,
    front: object = None,
    stale: Sequence[tuple[int, int, int, int]] = ...,
    /,
) -> int: ...
def coalesce_few(
    rects: object,
    width: int,
    height: int,
    tile: int,
    max_boxes: int,
    dense_share: float,
    /,
) -> list[tuple[int, int, int, int]] | None: ...
