"""The RECORD stream live, against a real Xvfb: another client's CopyArea seen with its
arguments and sequence number among its other requests, a refused copy followed by its
error, a client's death, two streams side by side, and a display without RECORD."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from remoteapp.capture.x11_link import readable
from remoteapp.capture.x11_record import ClientDied, CopyArea, Delivered, RecordEvent, Request
from remoteapp.capture.x11_record_setup import RecordStream
from remoteapp.errors import CaptureError
from tests import displays
from tests.capture.damage_rig import FbdirXvfb, Painter

BOUND_S = 10.0
CREATE_GC, CHANGE_GC = 55, 56


@pytest.fixture
def stream(fbdir_xvfb: FbdirXvfb) -> Iterator[RecordStream]:
    rs = RecordStream(fbdir_xvfb.display)
    try:
        yield rs
    finally:
        rs.close()


def gather(rs: RecordStream, until: Callable[[list[RecordEvent]], bool]) -> list[RecordEvent]:
    """The stream's events until ``until`` holds of them (a bounded wait on its socket)."""
    rs.mark()
    events: list[RecordEvent] = []
    deadline = time.monotonic() + BOUND_S
    while not until(events):
        left = deadline - time.monotonic()
        assert left > 0, f"not recorded within {BOUND_S} s: {events}"
        readable([rs.fileno()], left)
        events += rs.read()
    return events


def copies(events: list[RecordEvent]) -> list[CopyArea]:
    return [e for e in events if isinstance(e, CopyArea)]


def test_a_clients_scroll_is_recorded_with_its_arguments_in_order(
    stream: RecordStream, fbdir_xvfb: FbdirXvfb
) -> None:
    p = Painter(fbdir_xvfb.display)
    try:
        client = p.d.display.info.resource_id_base
        p.scroll(b"a line")
        events = gather(
            stream, lambda got: any(isinstance(e, Request) and e.major == CHANGE_GC for e in got)
        )
        mine = [e for e in events if getattr(e, "client", None) == client]
        (copy,) = copies(mine)
        assert (copy.src, copy.dst, copy.gc) == (p.win.id, p.win.id, p.gc.id)
        assert (copy.src_x, copy.src_y, copy.dst_x, copy.dst_y) == (0, 13, 0, 0)
        assert (copy.width, copy.height) == (p.w, p.h - 13)
        created = [e for e in mine if isinstance(e, Request) and e.major == CREATE_GC]
        assert len(created) == 2 and mine.index(created[0]) < mine.index(copy)
        sequences = [e.sequence for e in mine if isinstance(e, Request | CopyArea)]
        assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
        assert isinstance(mine[-1], Request) and mine[-1].major == CHANGE_GC  # the fill's colour
    finally:
        p.close()


def test_no_error_nor_other_event_is_recorded(stream: RecordStream, fbdir_xvfb: FbdirXvfb) -> None:
    """A refused copy is recorded (before the server checks it), its error is not; nor is
    an event delivered to a client (with an error set, the server would record every
    event whose second byte is in it; the default ranges have none)."""
    from Xlib import X

    p = Painter(fbdir_xvfb.display)
    try:
        p.d.set_error_handler(lambda *args: None)
        bogus = p.d.create_resource_object("gc", p.gc.id + 0x1000)
        p.win.copy_area(bogus, p.win, 0, 0, 10, 10, 5, 5)
        root = p.d.screen().root
        root.change_attributes(event_mask=X.PropertyChangeMask)
        root.change_property(p.d.intern_atom("REMOTEAPP_TEST"), X.AnyPropertyType, 8, b"x")
        p.d.sync()
        # (the painter synced, then the mark: everything it caused is in with its copy)
        events = gather(stream, lambda got: len(copies(got)) == 1)
        assert copies(events)[0].gc == bogus.id
        assert not [e for e in events if isinstance(e, Delivered)]
    finally:
        p.close()


def test_a_client_that_goes_is_recorded_dying(stream: RecordStream, fbdir_xvfb: FbdirXvfb) -> None:
    p = Painter(fbdir_xvfb.display)
    client = p.d.display.info.resource_id_base
    p.close()
    gather(stream, lambda got: ClientDied(client) in got)


def test_two_streams_each_see_every_copy(stream: RecordStream, fbdir_xvfb: FbdirXvfb) -> None:
    other = RecordStream(fbdir_xvfb.display)
    p = Painter(fbdir_xvfb.display)
    try:
        for line in (b"one", b"two", b"three"):
            p.scroll(line)
        first = copies(gather(stream, lambda got: len(copies(got)) == 3))
        assert copies(gather(other, lambda got: len(copies(got)) == 3)) == first
    finally:
        p.close()
        other.close()
    p = Painter(fbdir_xvfb.display)  # the first stream goes on after the other's close
    try:
        p.scroll(b"four")
        assert copies(gather(stream, lambda got: len(copies(got)) == 1))[0].gc == p.gc.id
    finally:
        p.close()


def test_a_display_without_record_is_refused_clearly() -> None:
    argv = ["Xvfb", "-screen", "0", "64x64x24", "-nolisten", "tcp", "-extension", "RECORD"]
    with displays.x_server(argv) as display, pytest.raises(CaptureError, match="no RECORD"):
        RecordStream(display)


def test_a_burst_of_copies_arrives_whole_and_in_order(
    stream: RecordStream, fbdir_xvfb: FbdirXvfb
) -> None:
    """Many replies' worth (the server's record buffer holds a few KiB), unsynced."""
    p = Painter(fbdir_xvfb.display)
    try:
        for dy in range(1, 601):
            p.win.copy_area(p.gc, p.win, 0, dy % 50, p.w, 100, 0, 0)
        p.d.sync()
        got = copies(gather(stream, lambda events: len(copies(events)) == 600))
        assert [c.src_y for c in got] == [dy % 50 for dy in range(1, 601)]
        assert [c.sequence - got[0].sequence for c in got] == list(range(600))
    finally:
        p.close()
