"""bench.x_reads: the recorded requests parsed whole, in either byte order, in BIG-REQUESTS
form and cut short; and the reads of a real client on a real Xvfb counted through RECORD."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench import x_reads


def get_image(width: int, height: int, order: str = "<") -> bytes:
    """A core GetImage request (20 bytes) of a ``width`` x ``height`` rectangle."""
    return struct.pack(order + "BBHIhhHHI", 73, 2, 5, 0x200, 3, 4, width, height, 0xFFFFFFFF)


def shm_get_image(width: int, height: int, order: str = "<", big: bool = False) -> bytes:
    """An MIT-SHM ShmGetImage request (32 bytes; 36 in BIG-REQUESTS form, length 0)."""
    body = struct.pack(order + "IhhHHIBxxxII", 0x200, 0, 0, width, height, ~0 & 0xFFFFFFFF,
                       2, 0x400001, 0)  # fmt: skip
    if big:
        return struct.pack(order + "BBHI", 130, 4, 0, 9) + body
    return struct.pack(order + "BBH", 130, 4, 8) + body


def test_a_block_of_requests_is_read_whole_in_either_byte_order() -> None:
    for order in "<>":
        block = get_image(100, 50, order) + shm_get_image(1920, 1080, order)
        block += shm_get_image(7, 3, order, big=True)
        sizes = list(x_reads.image_reads(block, big_endian=order == ">"))
        assert sizes == [(100, 50), (1920, 1080), (7, 3)]


def test_a_block_cut_short_counts_the_whole_requests_before_the_cut() -> None:
    block = get_image(10, 10) + shm_get_image(20, 20)
    both = [(10, 10), (20, 20)]
    for cut in range(len(block) + 1):
        whole = 0 if cut < 20 else 1 if cut < len(block) else 2
        assert list(x_reads.image_reads(block[:cut], big_endian=False)) == both[:whole]


def test_a_length_too_short_for_the_rectangle_ends_the_block() -> None:
    bad = struct.pack("<BBH", 73, 2, 1) + get_image(5, 5)  # (a one-word "request")
    assert list(x_reads.image_reads(bad, big_endian=False)) == []
    zero = struct.pack("<BBHI", 130, 4, 0, 0)  # (BIG-REQUESTS length 0)
    assert list(x_reads.image_reads(zero + get_image(5, 5), big_endian=False)) == []


@given(st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 65535), st.booleans(),
                          st.booleans()), max_size=20),
       st.booleans())  # fmt: skip
def test_any_run_of_reads_gives_back_its_rectangles(
    reads: list[tuple[int, int, bool, bool]], big_endian: bool
) -> None:
    order = ">" if big_endian else "<"
    block = b"".join(
        shm_get_image(w, h, order, big) if shm else get_image(w, h, order)
        for w, h, shm, big in reads
    )
    sizes = list(x_reads.image_reads(block + b"\x00\x01", big_endian=big_endian))
    assert sizes == [(w, h) for w, h, _, _ in reads]


@pytest.mark.display
def test_a_real_clients_reads_are_counted(xvfb_display: str) -> None:
    from Xlib import X
    from Xlib import display as xdisplay

    from remoteapp.capture import ScreenGrabber

    with x_reads.XReads(xvfb_display) as reads:
        before = reads.settle()  # (reads the server ran before now are all in)
        d = xdisplay.Display(xvfb_display)
        try:
            d.screen().root.get_image(10, 20, 100, 50, X.ZPixmap, 0xFFFFFFFF)
        finally:
            d.close()
        assert reads.settle() - before == x_reads.Reads(requests=1, pixels=100 * 50)
        with ScreenGrabber(display=xvfb_display) as grabber:
            mon = grabber.monitors()[1]
            grabber.grab(mon)  # (MIT-SHM: ShmGetImage)
        after = reads.settle() - before
        assert after == x_reads.Reads(requests=2, pixels=100 * 50 + mon.width * mon.height)


def test_a_server_without_record_is_a_clear_error() -> None:
    from tests import displays

    argv = ["Xvfb", "-screen", "0", "64x64x24", "-nolisten", "tcp", "-extension", "RECORD"]
    with displays.x_server(argv) as display, pytest.raises(RuntimeError, match="no RECORD"):
        x_reads.XReads(display)


def test_the_table_sets_each_capturers_reads_beside_xvfbs_extra_load() -> None:
    from bench import capture_report

    from .test_capture_cpu_bench import result

    r = result(0.6, 1.6)
    windows = r["workloads"]["typing"]  # type: ignore[index]
    for mode, reads, mpx in (("none", 0.0, 0.0), ("poll", 30.0, 60.0), ("damage", 8.0, 0.05),
                             ("x11vnc", 400.0, 2.0), ("x0vncserver", 8.0, 0.0)):  # fmt: skip
        for w in windows[mode]:
            w |= {"reads_per_s": reads, "read_mpx_s": mpx}
    assert "image reads" not in capture_report.table(r)
    r["reads"] = True
    text = capture_report.table(r)
    line = next(x for x in text.splitlines() if x.startswith("  typing: poll"))
    # Xvfb extra: poll 2.6 - 1.1 = 1.5 % = 15 ms a second, over 60 Mpx: 0.25 ms per Mpx
    assert "poll 30.0 | 60.00 | 0.25" in line
    assert "damage 8.0 | 0.05 | 100.00" in line  # (0.5 % over 0.05 Mpx)
    assert "x0vncserver 8.0 | 0.00 | -" in line  # (nothing read: no ratio)
    summary = capture_report.summary(r)["typing"]
    assert summary["x11vnc_reads_per_s"] == 400.0
    assert summary["none_read_mpx_s"] == 0.0
