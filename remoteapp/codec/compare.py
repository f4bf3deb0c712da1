"""Elementwise compare of two wide blocks of frames as one contiguous run.

numpy compares a block whose rows are not adjacent in memory (a damaged box, a scrolled
text area: narrower than the frame) about three times slower per pixel than a contiguous
run, measured on 1080p frames.  A block of a C-contiguous frame is one contiguous run if
the bytes between its rows are read too: compare that run, and view the result with the
row stride, dropping the in-between columns.  Worth it when the block covers at least
half the row; both blocks must have the same row stride (two frames of one size, or one
frame against its shifted self).  Anything else is compared the ordinary way.

Blocks of 32-bit pixels whose rows start at the same parity of pixel, in frames of an
even width, are compared as 64-bit pixel pairs where only whole rows matter
(``rows_equal``): half the elements to compare and to reduce.

Two whole frames are compared for equality alone (``frames_equal``: a damage backend's
safety check) with libc's ``memcmp``: one pass, no result array, about 0.35 ms for a cold
1080p frame against 0.5 for numpy.  ``rows_equal`` is one memcmp a row too, in C
(``_tilediff.rows_equal``): 0.49 against numpy's pixel pairs' 0.77 ms for a cold
1880x1014 scrolled text area, 0.18 against 0.33 warm.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Final, cast

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

try:  # (rows_equal's memcmp a row; without it, numpy's pixel pairs)
    from remoteapp.codec import _tilediff as native
except ImportError:  # pragma: no cover - depends on the build
    native = None  # type: ignore[assignment]

#: Below this many elements the ordinary compare is cheap enough.
MIN_ELEMENTS: Final = 1 << 14


def _libc_memcmp() -> Callable[[int, int, int], int] | None:
    """libc's memcmp, or None where it cannot be loaded (then numpy compares)."""
    try:
        memcmp = ctypes.CDLL(None).memcmp  # (the process's own symbols: Linux, macOS)
    except (OSError, AttributeError, TypeError):  # (Windows: no handle for None)
        return None
    memcmp.restype = ctypes.c_int
    memcmp.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    return cast(Callable[[int, int, int], int], memcmp)


_MEMCMP: Final = _libc_memcmp()


def frames_equal(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> bool:
    """Whether two arrays hold the same elements: one memcmp for two C-contiguous
    integer arrays of one shape and type (two whole frames), numpy otherwise (floats
    too: equal bytes are not equal values there, NaN, nor unequal ones, -0.0)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    whole = a.flags.c_contiguous and b.flags.c_contiguous and a.dtype.kind in "biu"
    if _MEMCMP is not None and whole:
        return _MEMCMP(a.ctypes.data, b.ctypes.data, a.nbytes) == 0
    return bool(np.array_equal(a, b))


def not_equal(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> npt.NDArray[np.bool_]:
    """``a != b`` for two 2-D blocks of one shape."""
    return _compare(a, b, equal=False)


def equal(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> npt.NDArray[np.bool_]:
    """``a == b`` for two 2-D blocks of one shape."""
    return _compare(a, b, equal=True)


def rows_equal(a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    """Per row of two 2-D blocks of 32-bit pixels of one shape, whether it is equal all
    along: one memcmp a row in C where ``_tilediff`` is built and the rows are contiguous;
    else as pixel pairs where the layout allows (a first or last column not in a whole
    pair on both sides is compared on its own), else pixel by pixel."""
    if native is not None and a.dtype == b.dtype and a.dtype.kind in "iu":  # (the C reads
        rows = native.rows_equal(a, b)  # bytes: equal values only for one integer type)
        if rows is not None:
            return np.frombuffer(rows, np.bool_)
    cols = a.shape[1]
    first = int(a.ctypes.data % 8 != 0)  # the first pixel does not start a pair
    if cols - first >= 2 and b.ctypes.data % 8 == a.ctypes.data % 8:
        end = first + (cols - first) // 2 * 2
        pa, pb = pair_view(a[:, first:end]), pair_view(b[:, first:end])
        if pa is not None and pb is not None:
            ok: npt.NDArray[np.bool_] = np.logical_and.reduce(equal(pa, pb), axis=1)
            if first:
                ok &= a[:, 0] == b[:, 0]
            if end < cols:
                ok &= a[:, -1] == b[:, -1]
            return ok
    result: npt.NDArray[np.bool_] = np.logical_and.reduce(equal(a, b), axis=1)
    return result


def pair_view(words: npt.NDArray[np.uint32]) -> npt.NDArray[np.generic] | None:
    """The block as 64-bit pixel pairs (half the compares), when its layout allows."""
    # (the array interface's address: a third of ``ctypes.data``'s cost, per damage box)
    if words.shape[1] % 2 or words.strides[1] != 4 or words.__array_interface__["data"][0] % 8:
        return None
    try:
        return words.view(np.uint64)
    except ValueError:
        return None


def _compare(
    a: npt.NDArray[np.generic], b: npt.NDArray[np.generic], *, equal: bool
) -> npt.NDArray[np.bool_]:
    op = np.equal if equal else np.not_equal
    run = _run_length(a, b)
    if run is None:
        result: npt.NDArray[np.bool_] = op(a, b)
        return result
    rows, cols = a.shape
    stride = a.strides[0] // a.itemsize
    out = np.empty(rows * stride, np.bool_)
    op(
        as_strided(a, (run,), (a.itemsize,), writeable=False),
        as_strided(b, (run,), (b.itemsize,), writeable=False),
        out=out[:run],
    )
    return out.reshape(rows, stride)[:, :cols]


def _run_length(a: npt.NDArray[np.generic], b: npt.NDArray[np.generic]) -> int | None:
    """Elements from the first to the last of the block, when one contiguous compare of
    them is safe (inside the blocks' own buffers) and pays (wide, gappy rows)."""
    if a.ndim != 2 or a.shape != b.shape or a.dtype != b.dtype or a.strides != b.strides:
        return None
    rows, cols = a.shape
    item = a.itemsize
    if rows < 2 or rows * cols < MIN_ELEMENTS or a.strides[1] != item or a.strides[0] % item:
        return None
    stride = a.strides[0] // item
    if stride <= cols or cols * 2 < stride:
        return None  # already contiguous, or too narrow for the in-between to pay
    run = int((rows - 1) * stride + cols)
    if not (_inside_buffer(a, run * item) and _inside_buffer(b, run * item)):
        return None
    return run


def _inside_buffer(x: npt.NDArray[np.generic], nbytes: int) -> bool:
    """Whether ``nbytes`` from the block's first element lie in its base array's memory."""
    root = x
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not root.flags.c_contiguous:
        return False
    start, low = x.ctypes.data, root.ctypes.data
    return low <= start and start + nbytes <= low + root.nbytes
