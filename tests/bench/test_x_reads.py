"""bench.x_reads: a recorded read's rectangle in either byte order, in BIG-REQUESTS form
and too short (the stream's framing is x11_record's, tested there); and the reads of a
real client on a real Xvfb counted through RECORD."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench import x_reads
from remoteapp.capture.x11_record import Request
from remoteapp.errors import CaptureError


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


def recorded(request: bytes, order: str = "<") -> Request:
    """The request as the stream hands it over (a big one without its extended length)."""
    if request[2:4] == b"\0\0":
        request = request[:4] + request[8:]
    return Request(0x600000, -1, request[0], request[1], request, order)


def test_a_read_gives_its_rectangle_in_either_byte_order_and_form() -> None:
    for order in "<>":
        sizes = [
            x_reads.image_size(recorded(get_image(100, 50, order), order)),
            x_reads.image_size(recorded(shm_get_image(1920, 1080, order), order)),
            x_reads.image_size(recorded(shm_get_image(7, 3, order, big=True), order)),
        ]
        assert sizes == [(100, 50), (1920, 1080), (7, 3)]


def test_a_read_too_short_for_its_rectangle_is_not_counted() -> None:
    """(The server refuses it; RECORD saw it first.)"""
    assert x_reads.image_size(recorded(struct.pack("<BBHI", 73, 2, 2, 0x200))) is None
    assert (
        x_reads.image_size(recorded(struct.pack("<BBHII", 130, 4, 0, 4, 0x200) + bytes(4))) is None
    )


@given(st.integers(0, 65535), st.integers(0, 65535), st.booleans(), st.booleans(), st.booleans())
def test_any_read_gives_back_its_rectangle(
    w: int, h: int, shm: bool, big: bool, big_endian: bool
) -> None:
    order = ">" if big_endian else "<"
    request = shm_get_image(w, h, order, big) if shm else get_image(w, h, order)
    assert x_reads.image_size(recorded(request, order)) == (w, h)


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
    with displays.x_server(argv) as display, pytest.raises(CaptureError, match="no RECORD"):
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
