"""The RECORD stream fed to the copy model, in synthetic events: which copies are
trusted, proofs dropped, damage and reads in place.  (Live on a real Xvfb:
``test_copy_follower_live.py``.)"""

from __future__ import annotations

import struct
import sys

import pytest

from remoteapp.capture.copy_follower import CopyFollower
from remoteapp.capture.copy_model import CopyModel, Move, Paste
from remoteapp.capture.x11_gcs import CREATE_GC, GCTable
from remoteapp.capture.x11_record import ClientDied, CopyArea, Delivered, Opcodes, Request
from remoteapp.codec.geometry import Rect

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
