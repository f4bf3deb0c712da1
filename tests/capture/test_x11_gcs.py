"""The GC table: which GCs copy pixels unchanged, from the requests RECORD shows; unknown
wherever the history is not whole. Synthetic requests first, then a real client's GCs on
a real Xvfb through a RecordStream."""

from __future__ import annotations

import struct
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remoteapp.capture.x11_gcs import (
    CHANGE_GC,
    CLIP_MASK,
    CLIP_X_ORIGIN,
    CLIP_Y_ORIGIN,
    COPY_GC,
    CREATE_GC,
    FREE_GC,
    FUNCTION,
    PLANE_MASK,
    SET_CLIP_RECTANGLES,
    SUBWINDOW_MODE,
    GCState,
    GCTable,
)
from remoteapp.capture.x11_link import readable
from remoteapp.capture.x11_record import ClientDied, RecordEvent, RecordReader, Request
from remoteapp.capture.x11_record_setup import RecordStream
from tests.capture.damage_rig import FbdirXvfb, Painter

NATIVE = "<" if sys.byteorder == "little" else ">"
MASK = 0x001FFFFF
A, B = 0x00200000, 0x00400000  # two clients' id bases
GXXOR = 6


def values_request(
    major: int, head: tuple[int, ...], values: dict[int, int], order: str = NATIVE
) -> bytes:
    mask = sum(values)
    words = [*head, mask, *(values[bit] for bit in sorted(values))]
    body = struct.pack(order + f"{len(words)}I", *words)
    return struct.pack(order + "BBH", major, 0, 1 + len(body) // 4) + body


def create(
    gc: int,
    values: dict[int, int] | None = None,
    seq: int = 1,
    client: int = A,
    order: str = NATIVE,
) -> Request:
    data = values_request(CREATE_GC, (gc, 0x100), values or {}, order)
    return Request(client, seq, CREATE_GC, 0, data, order)


def change(gc: int, values: dict[int, int], seq: int = 2, client: int = A) -> Request:
    return Request(client, seq, CHANGE_GC, 0, values_request(CHANGE_GC, (gc,), values), NATIVE)


def copy_gc(source: int, target: int, mask: int, seq: int = 3, client: int = A) -> Request:
    data = struct.pack("=BBHIII", COPY_GC, 0, 4, source, target, mask)
    return Request(client, seq, COPY_GC, 0, data, NATIVE)


def clip_rectangles(gc: int, x: int, y: int, seq: int = 4, client: int = A) -> Request:
    data = struct.pack("=BBHIhhhhHH", SET_CLIP_RECTANGLES, 0, 5, gc, x, y, 0, 0, 10, 10)
    return Request(client, seq, SET_CLIP_RECTANGLES, 0, data, NATIVE)


def free(gc: int, seq: int = 5, client: int = A) -> Request:
    return Request(client, seq, FREE_GC, 0, struct.pack("=BBHI", FREE_GC, 0, 2, gc), NATIVE)


def table(*events: RecordEvent) -> GCTable:
    t = GCTable(MASK)
    for e in events:
        t.feed(e)
    return t


def test_a_gc_created_with_defaults_is_plain_and_an_unseen_one_is_not() -> None:
    t = table(create(A + 1))
    assert t.plain(A + 1) and t.state(A + 1) == GCState()
    assert not t.plain(A + 2) and t.state(A + 2) is None


@pytest.mark.parametrize(
    ("values", "plain"),
    [
        ({FUNCTION: 3, PLANE_MASK: 0xFFFFFFFF, SUBWINDOW_MODE: 0, CLIP_MASK: 0}, True),
        ({FUNCTION: GXXOR}, False),
        ({FUNCTION: 3 + 16}, False),  # (BadValue, not GXcopy)
        ({PLANE_MASK: 0x00FFFFFF}, False),
        ({SUBWINDOW_MODE: 1}, False),
        ({CLIP_MASK: 0x00200099}, False),
        ({CLIP_X_ORIGIN: 5, CLIP_Y_ORIGIN: 0xFFFB, 1 << 2: 0x123456}, True),
    ],
)
def test_what_makes_a_gc_plain(values: dict[int, int], plain: bool) -> None:
    assert table(create(A + 1, values)).plain(A + 1) is plain
    assert table(create(A + 1), change(A + 1, values)).plain(A + 1) is plain


def test_a_change_and_its_undoing() -> None:
    t = table(create(A + 1), change(A + 1, {FUNCTION: GXXOR}))
    assert not t.plain(A + 1)
    t.feed(change(A + 1, {FUNCTION: 3}))
    assert t.plain(A + 1)
    t.feed(clip_rectangles(A + 1, 3, -4))  # (either: refused on a bad ordering)
    assert t.state(A + 1) == GCState(clip=None, clip_x=None, clip_y=None)
    t.feed(change(A + 1, {CLIP_MASK: 0}))
    assert t.plain(A + 1)


def test_an_older_gc_stays_unknown_whatever_is_done_to_it() -> None:
    t = table(
        change(A + 1, {FUNCTION: 3}), clip_rectangles(A + 1, 0, 0), copy_gc(A + 2, A + 1, FUNCTION)
    )
    assert t.state(A + 1) is None and len(t) == 0


def test_copying_from_an_unknown_gc_makes_those_components_unknown() -> None:
    t = table(create(A + 1), copy_gc(B + 7, A + 1, PLANE_MASK))
    assert t.state(A + 1) == GCState(plane_mask=None) and not t.plain(A + 1)
    t = table(create(A + 1), copy_gc(B + 7, A + 1, 1 << 2))  # (the foreground: no matter)
    assert t.plain(A + 1)


def test_a_copied_component_is_known_where_both_gcs_agree() -> None:
    """(CopyGC fails whole when the GCs' depths differ: either.)"""
    t = table(create(A + 1, {CLIP_X_ORIGIN: 9, CLIP_Y_ORIGIN: 8}), create(A + 2))
    t.feed(copy_gc(A + 2, A + 1, FUNCTION | CLIP_X_ORIGIN))
    assert t.plain(A + 1) and t.state(A + 1) == GCState(clip_x=None, clip_y=8)
    t = table(create(A + 1, {FUNCTION: GXXOR}), create(A + 2))
    t.feed(copy_gc(A + 2, A + 1, FUNCTION))
    assert t.state(A + 1) == GCState(function=None) and not t.plain(A + 1)


FONT = 1 << 14


def test_a_change_after_a_value_that_may_fail_is_either() -> None:
    """ChangeGC stops at the first value that fails (a bad font here): the values before
    it are applied, those from it on are known only where old and new agree."""
    t = table(create(A + 1), change(A + 1, {FUNCTION: GXXOR, FONT: 0x777, SUBWINDOW_MODE: 1}))
    assert t.state(A + 1) == GCState(function=GXXOR, subwindow_mode=None)
    t = table(create(A + 1, {CLIP_MASK: 0x00200099}), change(A + 1, {FONT: 0x777, CLIP_MASK: 0}))
    assert t.state(A + 1) == GCState(clip=None) and not t.plain(A + 1)
    t = table(create(A + 1), change(A + 1, {FONT: 0x777, SUBWINDOW_MODE: 0, CLIP_MASK: 0}))
    assert t.plain(A + 1)  # (old and new agree)
    t = table(create(A + 1), change(A + 1, {FUNCTION: 99, SUBWINDOW_MODE: 0}))  # (BadValue)
    assert t.state(A + 1) == GCState(function=None)


def test_a_change_the_server_refuses_whole_changes_nothing() -> None:
    bad = values_request(CHANGE_GC, (A + 1,), {FUNCTION: GXXOR})[:-4]  # (BadLength)
    t = table(create(A + 1), Request(A, 2, CHANGE_GC, 0, bad, NATIVE))
    assert t.plain(A + 1)


def test_a_create_of_a_gc_already_there_is_either() -> None:
    """(The server refuses a live id: BadIDChoice.)"""
    t = table(create(A + 1, {FUNCTION: GXXOR}), create(A + 1))
    assert t.state(A + 1) == GCState(function=None)


def test_freed_and_dead_clients_gcs_are_forgotten() -> None:
    t = table(create(A + 1), create(A + 2), create(B + 1, client=B), free(A + 1))
    assert t.state(A + 1) is None and t.plain(A + 2)
    t.feed(ClientDied(A))
    assert t.state(A + 2) is None and t.plain(B + 1) and len(t) == 1


@pytest.mark.parametrize(
    "data",
    [
        struct.pack("=BBH", CREATE_GC, 0, 1),  # no GC
        values_request(CREATE_GC, (A + 1, 0x100), {FUNCTION: 3, PLANE_MASK: 1})[
            :-4
        ],  # a value short
        struct.pack("=BBHIII", CREATE_GC, 0, 4, A + 1, 0x100, 1 << 23),  # a bit beyond arc-mode
    ],
)
def test_a_malformed_create_never_raises_and_is_unknown(data: bytes) -> None:
    t = table(Request(A, 1, CREATE_GC, 0, data, NATIVE))
    assert not t.plain(A + 1)


GC_MAJORS = [CREATE_GC, CHANGE_GC, COPY_GC, SET_CLIP_RECTANGLES, FREE_GC]


@given(st.lists(st.tuples(st.sampled_from(GC_MAJORS), st.binary(max_size=40)), max_size=20))
def test_any_bytes_never_raise(requests: list[tuple[int, bytes]]) -> None:
    t = GCTable(MASK)
    for major, tail in requests:
        data = struct.pack("=BBH", major, 0, 0) + tail
        t.feed(Request(A, 1, major, 0, data, NATIVE))


def test_a_real_clients_gcs_as_the_stream_shows_them(fbdir_xvfb: FbdirXvfb) -> None:
    older = Painter(fbdir_xvfb.display)  # (its GCs made before the stream began)
    stream = RecordStream(fbdir_xvfb.display)
    try:
        watched(fbdir_xvfb.display, older, stream)
    finally:
        stream.close()


def watched(display: str, older: Painter, stream: RecordStream) -> None:
    from Xlib import X

    p = Painter(display)
    t = GCTable(int(p.d.display.info.resource_id_mask))
    try:

        def fed(step: str) -> None:
            """Feed the stream up to a marker request of ours: everything the server ran
            before it is then in (a bounded wait on the stream's socket)."""
            marker = p.win.create_gc()  # (never freed: python-xlib would reuse its id)
            p.d.sync()
            stream.mark()
            deadline = time.monotonic() + 10
            while t.state(marker.id) is None:
                assert time.monotonic() < deadline, f"{step}: the marker not recorded"
                readable([stream.fileno()], deadline - time.monotonic())
                for event in stream.read():
                    t.feed(event)

        older.win.copy_area(older.gc, older.win, 0, 0, 5, 5, 1, 1)
        fed("start")
        assert t.plain(p.gc.id) and t.plain(p.text_gc.id)
        assert t.state(older.gc.id) is None
        p.gc.change(function=X.GXxor)
        fed("xor")
        assert not t.plain(p.gc.id) and t.state(p.gc.id) == GCState(function=GXXOR)
        p.gc.change(function=X.GXcopy)
        p.gc.set_clip_rectangles(2, 3, [(0, 0, 10, 10)], X.Unsorted)
        fed("clip")
        assert t.state(p.gc.id) == GCState(clip=None, clip_x=None, clip_y=None)
        p.gc.change(clip_mask=X.NONE)
        fed("no clip")
        assert t.plain(p.gc.id)
        p.d.set_error_handler(lambda *args: None)
        p.gc.change(clip_mask=p.gc.id + 0x1000)  # (no such pixmap: BadPixmap)
        fed("refused")
        assert t.state(p.gc.id) == GCState(clip=None, clip_x=None, clip_y=None)
        p.text_gc.free()
        fed("freed")
        assert t.state(p.text_gc.id) is None and t.state(p.gc.id) is not None
    finally:
        p.close()
        older.close()
    stream.mark()
    deadline = time.monotonic() + 10
    while len(t):
        assert time.monotonic() < deadline, "the painter's death not recorded"
        readable([stream.fileno()], deadline - time.monotonic())
        for event in stream.read():
            t.feed(event)


def test_a_probed_gc_copies_plainly_within_what_its_probe_covered() -> None:
    t = GCTable(MASK)
    t.probed(B + 9, (300, 200))
    assert t.copies_within(B + 9, 300, 200) and t.copies_within(B + 9, 30, 20)
    assert not t.copies_within(B + 9, 301, 200) and not t.plain(B + 9)  # (subwindow unknown)
    t.feed(change(B + 9, {1 << 2: 0x123456}, client=B))  # (the foreground: no matter)
    assert t.copies_within(B + 9, 300, 200)
    t.feed(change(B + 9, {CLIP_X_ORIGIN: 5}, client=B))  # (the probed clip moved)
    assert not t.copies_within(B + 9, 10, 10)
    t.feed(change(B + 9, {CLIP_MASK: 0}, client=B))
    assert t.copies_within(B + 9, 4000, 4000)
    t.probed(B + 9, None)
    assert not t.copies_within(B + 9, 1, 1)


def test_a_clip_copied_from_a_probed_gc_is_not_known() -> None:
    """(Both covers: the clip copied is the source's, covering only the source's; the
    helper-68 review found the destination's cover kept.)"""
    t = GCTable(MASK)
    t.probed(B + 1, (100, 100))
    t.probed(B + 2, (300, 200))
    t.feed(copy_gc(B + 1, B + 2, CLIP_MASK, client=B))
    assert not t.copies_within(B + 2, 300, 200) and not t.copies_within(B + 2, 10, 10)


def test_a_create_of_an_id_outside_the_clients_range_is_ignored() -> None:
    """(BadIDChoice: another client's live GC keeps what it was.)"""
    t = table(create(B + 5, client=A))
    assert t.state(B + 5) is None


def test_a_big_change_is_read_as_any_other() -> None:
    body = struct.pack("=IIII", A + 1, FUNCTION, GXXOR, 0)[:12]
    big = struct.pack("=BBHI", CHANGE_GC, 0, 0, 2 + len(body) // 4) + body
    head = struct.pack("=BBHIBBxxIII8x", 1, 1, 7, len(big) // 4, 0, 0, A, 0, 0)
    request = RecordReader(head + big).next_event()
    assert isinstance(request, Request)
    t = table(create(A + 1), request)
    assert t.state(A + 1) == GCState(function=GXXOR)


def test_a_gc_is_trusted_only_in_the_drawable_it_was_made_on_and_when_it_surely_exists() -> None:
    """A copy through a GC made on another drawable (another depth: refused) or by a
    CreateGC that may have been refused (a font: the GC would not exist) must be probed
    first (helper-69's review: a refused copy's missing report can be supplied by an
    unrecorded draw); a probe's verdict holds in any window."""
    t = table(create(A + 1), create(A + 2, {1 << 14: 0x1FFFFF}))  # (A + 2: a font)
    assert t.copies_within(A + 1, 300, 200, window=0x100)
    assert not t.copies_within(A + 1, 300, 200, window=0x200)  # (made on 0x100)
    assert t.probe_may_tell(A + 1, 0x200) and not t.probe_may_tell(A + 1, 0x100)
    assert t.plain(A + 2) and not t.copies_within(A + 2, 300, 200, window=0x100)
    assert t.probe_may_tell(A + 2, 0x100)
    t.probed(A + 2, (300, 200))
    assert t.copies_within(A + 2, 300, 200, window=0x100)
    assert t.copies_within(A + 2, 300, 200, window=0x200)
    t.feed(create(A + 1, seq=9))  # (a live id re-created the same: either way plain)
    assert t.copies_within(A + 1, 300, 200, window=0x100)
    data = values_request(CREATE_GC, (A + 1, 0x300), {})  # (on another drawable: unsure)
    t.feed(Request(A, 10, CREATE_GC, 0, data, NATIVE))
    assert not t.copies_within(A + 1, 300, 200, window=0x100)
    assert not t.copies_within(A + 1, 300, 200, window=0x300)
