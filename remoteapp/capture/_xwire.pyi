from collections.abc import Sequence
from typing import Any

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
def take_boxes(
    fd: int,
    request: bytes,
    timeout_ms: int,
    left: int,
    top: int,
    width: int,
    height: int,
    wide_from: int,
    rules: tuple[int, int, float, int, type[tuple[int, int, int, int]]],
    lane: tuple[int, int, int, int, object, int],
    frame: object,
    front: object,
    stale: Sequence[tuple[int, int, int, int]],
    /,
) -> tuple[int, Any, int | BaseException | None]: ...
def coalesce_few(
    rects: object,
    width: int,
    height: int,
    tile: int,
    max_boxes: int,
    dense_share: float,
    /,
) -> list[tuple[int, int, int, int]] | None: ...
def take_key(
    waits: tuple[int, int, int, int, int],
    size: int,
    pending: bool,
    timeout: float,
    due_at: float,
    pace: tuple[float, float, float, float, float],
    take: tuple[Any, ...] | None,
    /,
) -> tuple[Any, ...]: ...
