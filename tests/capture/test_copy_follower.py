"""The RECORD stream fed to the copy model: which copies are trusted, proofs dropped,
damage and reads in place (synthetic events); then live on a real Xvfb, a terminal's
scroll followed through its copies, reading only its new lines, the frame equal to the
screen after every scroll."""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterator

import numpy as np
import pytest

from bench.copy_follow import FollowedScreen, image
from remoteapp.capture.copy_follower import CopyFollower
from remoteapp.capture.copy_model import CopyModel, Move, Paste
from remoteapp.capture.x11_gcs import CREATE_GC, UNKNOWN_STATE, GCState, GCTable
from remoteapp.capture.x11_record import ClientDied, CopyArea, Delivered, Opcodes, Request
from remoteapp.codec.geometry import Rect
from tests.capture.damage_rig import FbdirXvfb, Painter

NATIVE = "<" if sys.byteorder == "little" else ">"
A, READER, ROOT = 0x00200000, 0x00400000, 0x1E5
WIN, GC = A + 1, A + 2
DAMAGE, DAMAGE_EVENT = 0x00600001, 91
SHM, FIXES, SHAPE = 130, 138, 129
OPCODES = Opcodes(shm=SHM, fixes=FIXES, damage_event=DAMAGE_EVENT, window_majors=frozenset({SHAPE}))
W, H = 64, 48


def notify(rect: Rect, more: bool = False, damage: int = DAMAGE) -> Delivered:
    head = struct.pack("=BBHII", DAMAGE_EVENT, 0x80 if more else 0, 1, ROOT, damage)
    return Delivered(0x00600000, head + struct.pack("=IhhHH", 0, *rect) + bytes(8), NATIVE)


def request(client: int, major: int, body: bytes, minor: int = 0) -> Request:
    data = struct.pack("=BBH", major, minor, 1 + len(body) // 4) + body
    return Request(client, 1, major, minor, data, NATIVE)


def copy(src_y: int, dst_y: int, h: int, gc: int = GC) -> CopyArea:
    return CopyArea(A, 2, WIN, WIN, gc, 0, src_y, 0, dst_y, 20, h)


@pytest.fixture
def follower() -> CopyFollower:
    model = CopyModel(W, H)
    model.read(Rect(0, 0, W, H))
    model.ops()
    model.update()
    f = CopyFollower(
        model, GCTable(0x001FFFFF, FIXES), damage=DAMAGE, reader=READER, root=ROOT, opcodes=OPCODES
    )
    f.feed(request(A, CREATE_GC, struct.pack("=III", GC, WIN, 0)))
    f.prove(WIN, Rect(10, 5, 20, 30))
    return f


def test_a_plain_self_copy_in_a_proven_window_is_trusted(follower: CopyFollower) -> None:
    follower.feed(copy(4, 0, 26))
    follower.feed(notify(Rect(10, 5, 20, 26)))
    assert follower.trusted == 1 and follower.model.ops() == [Move(Rect(10, 9, 20, 26), 0, -4)]
    assert not follower.model.unknown and follower.model.mismatches == 0


def test_a_report_in_boxes_is_one_report(follower: CopyFollower) -> None:
    follower.feed(copy(4, 0, 26))
    follower.feed(notify(Rect(10, 5, 20, 6), more=True))
    follower.feed(notify(Rect(10, 11, 20, 20)))
    assert not follower.model.unknown and follower.model.mismatches == 0


@pytest.mark.parametrize(
    "untrust",
    [
        pytest.param(lambda f: None, id="none"),
        pytest.param(
            lambda f: f.feed(request(A, 12, struct.pack("=IHxx", WIN, 0))), id="configure"
        ),
        pytest.param(
            lambda f: f.feed(request(READER, 8, struct.pack("=I", 0x777))), id="a-map-anywhere"
        ),
        pytest.param(lambda f: f.feed(ClientDied(0x00800000)), id="a-client-dies"),
        pytest.param(lambda f: f.feed(request(A, 56, struct.pack("=III", GC, 1, 6))), id="gc-xor"),
        pytest.param(lambda f: f.feed(request(A, SHAPE, bytes(12), minor=1)), id="shape"),
        pytest.param(lambda f: f.feed(request(A, FIXES, bytes(16), minor=21)), id="fixes-shape"),
        pytest.param(
            lambda f: f.feed(request(A, FIXES, struct.pack("=IIhh", GC, 0x700, 0, 0), minor=20)),
            id="fixes-gc-clip",
        ),
    ],
)
def test_what_ends_the_trust(follower: CopyFollower, untrust: object) -> None:
    untrust(follower)  # type: ignore[operator]
    follower.feed(copy(4, 0, 26))
    trusted = follower.trusted == 1
    follower.feed(notify(Rect(10, 5, 20, 26)))
    if trusted:  # (the "none" case: the rest must not be)
        assert follower.model.ops() and not follower.model.unknown
    else:
        assert follower.untrusted == 1 and follower.model.unknown.rects == [Rect(10, 5, 20, 26)]


def test_copies_that_are_never_trusted(follower: CopyFollower) -> None:
    follower.feed(CopyArea(A, 2, WIN, A + 9, GC, 0, 4, 0, 0, 20, 26))  # (to another drawable)
    follower.feed(copy(4, 0, 27))  # (its source runs past the window)
    follower.feed(copy(4, 0, 26, gc=A + 3))  # (an unknown GC)
    assert follower.trusted == 0 and follower.untrusted == 3


def test_the_readers_reads_of_the_root_are_the_models_reads(follower: CopyFollower) -> None:
    follower.feed(notify(Rect(0, 40, 64, 8)))
    follower.feed(request(A, 73, struct.pack("=IhhHHI", ROOT, 0, 40, 64, 8, ~0 & 0xFFFFFFFF)))
    follower.feed(request(READER, 73, struct.pack("=IhhHHI", WIN, 0, 40, 64, 8, ~0 & 0xFFFFFFFF)))
    assert follower.model.unknown.rects == [Rect(0, 40, 64, 8)]  # (another's; not the root)
    follower.feed(request(READER, 73, struct.pack("=IhhHHI", ROOT, 0, 40, 64, 8, ~0 & 0xFFFFFFFF)))
    assert not follower.model.unknown and follower.model.ops() == [Paste(Rect(0, 40, 64, 8))]


def test_a_gc_probe_takes_effect_at_the_provers_copy_gc(follower: CopyFollower) -> None:
    older = 0x00800005  # (a GC the stream never saw created)
    prover = CopyFollower(
        follower.model, follower.gcs, damage=DAMAGE, reader=READER, root=ROOT, opcodes=OPCODES,
        prover=0x00A00000,
    )  # fmt: skip
    prover.prove(WIN, Rect(10, 5, 20, 30))
    prover.feed(CopyArea(A, 2, WIN, WIN, older, 0, 4, 0, 0, 20, 26))
    assert prover.untrusted == 1 and prover.wanted_gcs == {older: WIN}
    prover.gc_probing(older, 0x00A00001, (20, 30))
    prover.feed(notify(Rect(10, 5, 20, 26)))  # (the untrusted copy's report)
    assert prover.gcs.state(older) is None  # (not before the probe's place in the stream)
    prover.feed(request(0x00A00000, 57, struct.pack("=III", older, 0x00A00001, 0xFFFFFFFF)))
    assert prover.wanted_gcs == {} and prover.gcs.copies_within(older, 20, 30)
    prover.feed(CopyArea(A, 3, WIN, WIN, older, 0, 4, 0, 0, 20, 26))
    assert prover.trusted == 1


def test_what_is_wanted_is_handed_over_once(follower: CopyFollower) -> None:
    follower.feed(CopyArea(A, 2, A + 7, A + 7, GC, 0, 4, 0, 0, 20, 26))  # (unproven)
    follower.feed(CopyArea(A, 3, WIN, WIN, 0x00800005, 0, 4, 0, 0, 20, 26))  # (older GC)
    follower.probing(A + 8, Rect(0, 0, 5, 5))  # (announced, never seen)
    assert follower.take_wanted() == ([A + 7], {0x00800005: WIN})
    assert follower.take_wanted() == ([], {}) and not follower.wanted


def test_another_damage_objects_report_is_not_damage(follower: CopyFollower) -> None:
    follower.feed(notify(Rect(0, 0, 5, 5), damage=DAMAGE + 1))
    assert not follower.model.unknown


# --- live (the capture the copy model would make: bench.copy_follow's)


@pytest.fixture
def screen(fbdir_xvfb: FbdirXvfb) -> Iterator[FollowedScreen]:
    ticks = iter(range(10**6))  # (a probe whenever one is wanted)
    s = FollowedScreen(fbdir_xvfb.display, clock=lambda: float(next(ticks)))
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def truth(fbdir_xvfb: FbdirXvfb) -> Iterator[object]:
    from Xlib import display as xdisplay

    d = xdisplay.Display(fbdir_xvfb.display)
    try:
        yield d
    finally:
        d.close()


def scrolled(screen: FollowedScreen, truth: object, term: Painter, lines: range) -> None:
    """Scroll ``term`` a line at a time, grabbing after each: the frame is the screen."""
    for line in lines:
        term.scroll(f"line {line} ".encode() * 8)
        screen.grab()
        assert np.array_equal(screen.frame, image(truth, Rect(0, 0, screen.w, screen.h))), line


def test_a_terminals_scroll_is_followed_and_only_its_new_lines_read(
    screen: FollowedScreen, truth: object, fbdir_xvfb: FbdirXvfb
) -> None:
    term = Painter(fbdir_xvfb.display, x=40, y=30, w=300, h=200)
    try:
        screen.grab()  # (the whole screen, and the window's creation, are in)
        scrolled(screen, truth, term, range(2))  # (the first copy untrusted: it asks for a probe)
        assert screen.follower.proven(term.win.id) == Rect(40, 30, 300, 200)
        before, trusted = screen.read_pixels, screen.follower.trusted
        scrolled(screen, truth, term, range(2, 12))
        assert screen.follower.trusted - trusted == 10 and screen.model.mismatches == 0
        # (each scroll reads its new line and the text drawn above it, not the window)
        assert screen.read_pixels - before <= 10 * 300 * 26
    finally:
        term.close()


def test_a_covered_window_is_never_proven(
    screen: FollowedScreen, truth: object, fbdir_xvfb: FbdirXvfb
) -> None:
    term = Painter(fbdir_xvfb.display, x=40, y=30, w=300, h=200)
    cover = Painter(fbdir_xvfb.display, x=300, y=100, w=100, h=50)
    try:
        cover.fill(0, 0, 100, 50, 0x00FF00)
        screen.grab()
        scrolled(screen, truth, term, range(6))
        assert screen.follower.proven(term.win.id) is None
        assert screen.follower.trusted == 0 and screen.follower.untrusted == 6
    finally:
        cover.close()
        term.close()


def test_a_window_covered_or_moved_after_its_proof_is_proven_again_or_not(
    screen: FollowedScreen, truth: object, fbdir_xvfb: FbdirXvfb
) -> None:
    term = Painter(fbdir_xvfb.display, x=40, y=30, w=300, h=200)
    try:
        screen.grab()
        scrolled(screen, truth, term, range(3))
        assert screen.follower.proven(term.win.id) is not None
        # over the source's last rows alone: the copy's report would be its whole
        # destination, yet what lands there is not those rows as the screen shows them
        # (Xvfb paints the window's background there, with a report of its own; a window
        # without a background keeps its old pixels, unreported): the map drops the proof
        cover = Painter(fbdir_xvfb.display, x=100, y=218, w=60, h=12)
        cover.fill(0, 0, 60, 12, 0xFF0000)
        scrolled(screen, truth, term, range(3, 6))
        assert screen.follower.proven(term.win.id) is None
        cover.close()
        scrolled(screen, truth, term, range(6, 9))
        assert screen.follower.proven(term.win.id) == Rect(40, 30, 300, 200)
        term.win.configure(x=200, y=150)
        term.d.sync()
        scrolled(screen, truth, term, range(9, 14))
        assert screen.follower.proven(term.win.id) == Rect(200, 150, 300, 200)
        assert screen.model.mismatches == 0
    finally:
        term.close()


def xfixes(d: object, minor: int, body: bytes) -> None:
    """An XFIXES request python-xlib lacks, as bytes on its connection (then a sync)."""
    major = d.query_extension("XFIXES").major_opcode  # type: ignore[attr-defined]
    d.xfixes_query_version()  # type: ignore[attr-defined]
    d.sync()  # type: ignore[attr-defined]
    request = struct.pack("=BBH", major, minor, 1 + len(body) // 4) + body
    d.display.socket.sendall(request)  # type: ignore[attr-defined]
    d.display.request_serial = (d.display.request_serial + 1) % 65536  # type: ignore[attr-defined]
    d.sync()  # type: ignore[attr-defined]


def region(d: object, rects: list[tuple[int, int, int, int]]) -> int:
    rid = int(d.display.allocate_resource_id())  # type: ignore[attr-defined]
    xfixes(d, 5, struct.pack("=I", rid) + b"".join(struct.pack("=hhHH", *r) for r in rects))
    return rid


@pytest.mark.parametrize("how", ["fixes-gc-clip", "fixes-shape", "shape"])
def test_a_clip_or_a_shape_set_by_an_extension_is_not_trusted_through(
    screen: FollowedScreen, truth: object, fbdir_xvfb: FbdirXvfb, how: str
) -> None:
    """(helper-67's review: each of these left a copy trusted and the frame wrong.)"""
    from Xlib import X
    from Xlib.ext import shape

    term = Painter(fbdir_xvfb.display, x=40, y=30, w=300, h=200)
    try:
        screen.grab()
        scrolled(screen, truth, term, range(3))
        for i in range(20):  # (rows that differ from each other)
            term.fill(0, 10 * i, 300, 10, 0x010101 * (10 * i))
        term.d.sync()
        gc = term.gc
        if how == "fixes-gc-clip":
            gc = term.win.create_gc(graphics_exposures=False)
            term.d.sync()
            screen.grab()
            rid = region(term.d, [(0, 0, 300, 20), (0, 180, 300, 20)])
            xfixes(term.d, 20, struct.pack("=IIhh", gc.id, rid, 0, 0))
        elif how == "fixes-shape":
            rid = region(term.d, [(0, 13, 300, 187)])
            xfixes(term.d, 21, struct.pack("=IB3xhhI", term.win.id, 0, 0, 0, rid))
        else:
            term.win.shape_rectangles(
                shape.SO.Set, shape.SK.Bounding, X.Unsorted, 0, 0, [(0, 13, 300, 187)]
            )
            term.d.sync()
        screen.grab()
        term.win.copy_area(gc, term.win, 0, 0, 300, 187, 0, 13)
        term.d.sync()
        screen.grab()
        assert np.array_equal(screen.frame, image(truth, Rect(0, 0, screen.w, screen.h)))
    finally:
        term.close()


def test_generic_events_to_other_clients_leave_the_stream_whole(
    screen: FollowedScreen, fbdir_xvfb: FbdirXvfb
) -> None:
    """XInput 2 events delivered to a client (any toolkit's pointer) are recorded when
    their second byte matches an error code recorded: 32 bytes each, ignored."""
    from Xlib import X
    from Xlib import display as xdisplay
    from Xlib.ext import xinput, xtest

    listener, mover = xdisplay.Display(fbdir_xvfb.display), xdisplay.Display(fbdir_xvfb.display)
    try:
        listener.xinput_query_version()
        listener.screen().root.xinput_select_events([(xinput.AllDevices, xinput.MotionMask)])
        listener.sync()
        screen.grab()
        for i in range(50):
            xtest.fake_input(mover, X.MotionNotify, x=10 + i, y=10 + i)
        mover.sync()
        screen.stream.mark()
        screen.grab()  # (the stream read and fed whole: no error)
        assert not screen.model.unknown
    finally:
        listener.close()
        mover.close()


def test_a_terminal_older_than_the_capture_is_followed_once_its_gc_is_probed(
    fbdir_xvfb: FbdirXvfb, truth: object
) -> None:
    """Its GCs were made before the stream began: the window is proven, then its GC
    probed (CopyGC into a GC of ours, a copy between scratch pixmaps, read back)."""
    term = Painter(fbdir_xvfb.display, x=40, y=30, w=300, h=200)
    ticks = iter(range(10**6))
    screen = FollowedScreen(fbdir_xvfb.display, clock=lambda: float(next(ticks)))
    try:
        screen.grab()
        scrolled(screen, truth, term, range(3))
        state = screen.follower.gcs.state(term.gc.id)
        assert state is not None and state.copies_within(300, 200)
        trusted = screen.follower.trusted
        scrolled(screen, truth, term, range(3, 10))
        assert screen.follower.trusted - trusted == 7 and screen.model.mismatches == 0
    finally:
        screen.close()
        term.close()


@pytest.mark.parametrize("how", ["xor", "planes", "clip"])
def test_an_older_gc_that_does_not_copy_plainly_is_never_trusted(
    fbdir_xvfb: FbdirXvfb, truth: object, how: str
) -> None:
    from Xlib import X

    term = Painter(fbdir_xvfb.display, x=40, y=30, w=300, h=200)
    if how == "xor":
        term.gc.change(function=X.GXxor)
    elif how == "planes":
        term.gc.change(plane_mask=0xFFFF00)
    else:
        term.gc.set_clip_rectangles(0, 0, [(0, 0, 300, 150)], X.Unsorted)
    term.d.sync()
    ticks = iter(range(10**6))
    screen = FollowedScreen(fbdir_xvfb.display, clock=lambda: float(next(ticks)))
    try:
        screen.grab()
        scrolled(screen, truth, term, range(6))
        assert screen.follower.trusted == 0
        assert screen.follower.gcs.state(term.gc.id) == UNKNOWN_STATE  # (probed: no)
    finally:
        screen.close()
        term.close()


class RawClient:
    """A raw X client (this machine's byte order) that has BIG-REQUESTS enabled."""

    def __init__(self, display: str) -> None:
        import socket

        number = display.split(":")[1].split(".", maxsplit=1)[0]
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(f"/tmp/.X11-unix/X{number}")
        order = ord("l") if NATIVE == "<" else ord("B")
        self.sock.sendall(struct.pack("=BxHHHH2x", order, 11, 0, 0, 0))
        head = self._recv(8)
        assert head[0] == 1, head
        self._recv(struct.unpack_from("=H", head, 6)[0] * 4)
        name = b"BIG-REQUESTS"
        self.sock.sendall(struct.pack("=BxHH2x", 98, 5, len(name)) + name)  # QueryExtension
        reply = self._recv(32)
        assert reply[8] == 1, "no BIG-REQUESTS"
        self.sock.sendall(struct.pack("=BBH", reply[9], 0, 1))  # BigReqEnable
        self._recv(32)

    def _recv(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            data += self.sock.recv(n - len(data))
        return data

    def big(self, major: int, body: bytes) -> None:
        """A request in BIG-REQUESTS form: length 0, then its length as a CARD32."""
        self.sock.sendall(struct.pack("=BBHI", major, 0, 0, 2 + len(body) // 4) + body)

    def sync(self) -> None:
        self.sock.sendall(struct.pack("=BxH", 43, 1))  # GetInputFocus
        while self._recv(32)[0] != 1:
            pass

    def close(self) -> None:
        self.sock.close()


def test_a_gc_changed_by_a_big_request_is_seen_changed(
    screen: FollowedScreen, truth: object, fbdir_xvfb: FbdirXvfb
) -> None:
    """(helper-68's review: the table read the extended length as the GC's id.)"""
    term = Painter(fbdir_xvfb.display, x=40, y=30, w=300, h=200)
    raw = RawClient(fbdir_xvfb.display)
    try:
        screen.grab()
        scrolled(screen, truth, term, range(3))
        for i in range(20):
            term.fill(0, 10 * i, 300, 10, 0x010101 * (10 * i))
        term.d.sync()
        raw.big(56, struct.pack("=III", term.gc.id, 1, 6))  # ChangeGC: function GXxor
        raw.sync()
        screen.grab()
        assert screen.follower.gcs.state(term.gc.id) == GCState(function=6)
        term.win.copy_area(term.gc, term.win, 0, 13, 300, 187, 0, 0)
        term.d.sync()
        screen.grab()
        assert np.array_equal(screen.frame, image(truth, Rect(0, 0, screen.w, screen.h)))
    finally:
        raw.close()
        term.close()


def test_a_clip_copied_between_probed_gcs_is_not_trusted(
    fbdir_xvfb: FbdirXvfb, truth: object
) -> None:
    """Two GCs older than the capture, each probed through its own window: copying the
    small window's clip into the big window's GC must not leave the big cover standing
    (helper-68's review: 46,100 pixels wrong)."""
    from Xlib import X

    term = Painter(fbdir_xvfb.display, x=40, y=30, w=300, h=200)
    d, scr = term.d, term.d.screen()
    small = scr.root.create_window(
        400, 300, 100, 100, 0, scr.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=0x808080, override_redirect=True,
    )  # fmt: skip
    small.map()
    clipped = small.create_gc(graphics_exposures=False)
    # (the 100x100 window, and a speck that makes the clip's extents the big window's)
    clipped.set_clip_rectangles(0, 0, [(0, 0, 100, 100), (298, 198, 2, 2)], X.Unsorted)
    d.sync()
    ticks = iter(range(10**6))
    screen = FollowedScreen(fbdir_xvfb.display, clock=lambda: float(next(ticks)))
    try:
        screen.grab()
        for i in range(4):
            term.scroll(b"line %d " % i * 8)
            small.copy_area(clipped, small, 0, 5, 100, 95, 0, 0)
            d.sync()
            screen.grab()
        assert screen.follower.gcs.copies_within(term.gc.id, 300, 200)
        assert screen.follower.gcs.copies_within(clipped.id, 100, 100)
        for i in range(20):
            term.fill(0, 10 * i, 300, 10, 0x010101 * (10 * i))
        term.gc.copy(clipped, 1 << 19)  # (CopyGC: the clip mask)
        d.sync()
        screen.grab()
        term.win.copy_area(term.gc, term.win, 0, 13, 300, 187, 0, 0)
        d.sync()
        screen.grab()
        assert np.array_equal(screen.frame, image(truth, Rect(0, 0, screen.w, screen.h)))
    finally:
        screen.close()
        small.destroy()
        term.close()
