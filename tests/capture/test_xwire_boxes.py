"""The box reads in C (``_xwire``): bad descriptors and boxes refused; on a real Xvfb,
boxes read in one send equal mss's grab, however many batches the segment needs, and a
server's error turns the link off; against a fake server, the batches, a wrong second
reply, the stale boxes brought over from the front frame; and ``readable`` past
``select``'s descriptors."""

from __future__ import annotations

import fcntl
import os
import resource
import socket
import struct
import threading
from typing import Any

import numpy as np
import pytest

from remoteapp.capture import ScreenGrabber, x11_link, x11_wire
from remoteapp.codec.geometry import Rect
from remoteapp.errors import CaptureError
from tests.capture.damage_rig import FbdirXvfb, Painter
from tests.capture.fake_x import REQUEST, event


def test_a_bad_descriptor_is_an_oserror(native: Any) -> None:
    with pytest.raises(OSError):
        native.round_trip(-1, REQUEST, 50)


def test_boxes_outside_the_frame_or_the_segment_are_refused(native: Any) -> None:
    frame = np.zeros((4, 4, 4), np.uint8)
    for boxes, shm in (([(3, 0, 2, 1)], bytes(64)), ([(0, 0, 4, 4)], bytes(8))):
        with pytest.raises(ValueError):
            native.read_boxes(-1, 130, 1, 1, shm, frame, 4, 4, 0, 0, boxes, 24, 50)
    with pytest.raises(ValueError):  # not the frame's size
        native.read_boxes(-1, 130, 1, 1, bytes(64), frame, 4, 5, 0, 0, [], 24, 50)
    with pytest.raises(TypeError):  # a read-only frame
        native.read_boxes(-1, 130, 1, 1, bytes(64), bytes(64), 4, 4, 0, 0, [], 24, 50)


@pytest.mark.display
def test_boxes_read_in_one_send_equal_mss_grab(
    native: Any, fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    painter.fill(10, 10, 80, 50, 0x3366CC)
    painter.fill(300, 200, 7, 9, 0xCC3300)
    painter.d.sync()
    with ScreenGrabber(display=fbdir_xvfb.display) as grabber:
        mon = grabber.monitors()[1]
        grabber.grab(mon)  # mss proves MIT-SHM with its own first grab
        boxes = [Rect(49, 39, 91, 61), Rect(290, 192, 64, 64), Rect(0, 0, 1, 1)]
        frame = np.zeros((mon.height, mon.width, 4), np.uint8)
        grabber.grab_boxes_into(mon, boxes, frame)
        link = grabber.shm_link()
        assert link is not None and link.native  # (the path under test was taken)
        for box in boxes:
            area = frame[box.y : box.bottom, box.x : box.right]
            assert np.array_equal(area, grabber.grab_area(mon, box))
        assert frame[40, 50, :3].tolist() == [0xCC, 0x66, 0x33]
        assert not frame[100:190].any()  # nothing outside the boxes was written


@pytest.mark.display
def test_more_stale_boxes_than_one_c_read_takes_leave_that_read_alone_to_python(
    native: Any, fbdir_xvfb: FbdirXvfb
) -> None:
    """The C read takes 4096 stale boxes: more is the caller's Python, this time only
    (the refusal used to turn the C reads off for good)."""
    with ScreenGrabber(display=fbdir_xvfb.display) as grabber:
        mon = grabber.monitors()[1]
        grabber.grab(mon)  # mss proves MIT-SHM with its own first grab
        frame = np.zeros((mon.height, mon.width, 4), np.uint8)
        front = np.zeros_like(frame)
        many = [Rect(i % 64, i // 64, 1, 1) for i in range(x11_link.NATIVE_BOXES + 1)]
        assert not grabber.bring_and_grab(mon, [Rect(0, 0, 8, 8)], frame, front, many)
        assert grabber.bring_and_grab(mon, [Rect(0, 0, 8, 8)], frame, front, many[:10])


@pytest.mark.display
def test_more_boxes_than_the_segment_holds_go_out_in_batches(
    native: Any, fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    painter.fill(100, 100, 200, 100, 0x00AA55)
    painter.d.sync()
    with ScreenGrabber(display=fbdir_xvfb.display) as grabber:
        mon = grabber.monitors()[1]
        whole = grabber.grab(mon).pixels
        frame = np.zeros_like(whole)
        # the whole monitor three times, and a box: four batches of one segment each
        boxes = [Rect(0, 0, mon.width, mon.height)] * 3 + [Rect(64, 64, 64, 64)]
        grabber.grab_boxes_into(mon, boxes, frame)
        assert np.array_equal(frame, whole)


@pytest.mark.display
def test_the_servers_error_for_a_box_read_turns_the_link_off(
    native: Any, fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    with ScreenGrabber(display=fbdir_xvfb.display) as grabber:
        mon = grabber.monitors()[1]
        grabber.grab(mon)
        link = grabber.shm_link()
        assert link is not None
        impl: Any = grabber._sct._impl
        frame = np.zeros((mon.height, mon.width, 4), np.uint8)
        with pytest.raises(x11_wire.XRequestError) as err:  # a segment nobody attached
            link.read_boxes(
                impl.drawable.value, 0x1FFFFF, impl._buf, impl.drawable_depth, frame,
                (mon.left, mon.top), [(0, 0, 8, 8)],
            )  # fmt: skip
        assert err.value.minor == 4
        with pytest.raises(x11_wire.XWireError, match="broke earlier"):  # given up
            link.round_trip(x11_wire.sync_request())
    with ScreenGrabber(display=fbdir_xvfb.display) as grabber:
        grabber.grab(mon)
        impl = grabber._sct._impl
        good = impl._shmseg
        impl._shmseg = type(good)(0x1FFFFF)  # mss's own id goes bad: the grab falls back
        try:  # to mss's bindings, which fail too, and say so
            painter.fill(0, 0, 8, 8, 0xFFFFFF)
            with pytest.raises(CaptureError):
                grabber.grab_boxes_into(mon, [Rect(0, 0, 8, 8)], frame)
            assert grabber.shm_link() is None  # the link was given up on the way
        finally:
            impl._shmseg = good


class ShmServer(threading.Thread):
    """A fake X server for ``read_boxes``: per reply, reads one 32-byte request, then
    sends the reply; ``requests()`` returns what it read."""

    def __init__(self, sock: socket.socket, replies: list[bytes]) -> None:
        super().__init__()
        self.sock, self.replies, self.got = sock, replies, b""
        self.start()

    def run(self) -> None:
        for answer in self.replies:
            want = len(self.got) + 32
            while len(self.got) < want:
                chunk = self.sock.recv(want - len(self.got))
                if not chunk:
                    return
                self.got += chunk
            self.sock.sendall(answer)

    def requests(self) -> list[tuple[int, ...]]:
        self.join(10.0)
        assert not self.is_alive()
        # opcodes, length, drawable, x, y, w, h, planes, format, segment, offset
        return list(struct.iter_unpack("=BBHIhhHHIB3xII", self.got))


def shm_reply(seq: int, w: int, h: int, depth: int = 24, extra: bytes = b"") -> bytes:
    return struct.pack("=BBHIII16x", 1, depth, seq, len(extra) // 4, 0x21, w * h * 4) + extra


def test_boxes_go_out_in_batches_the_segment_holds_and_are_copied_in(
    native: Any, pair: tuple[socket.socket, socket.socket]
) -> None:
    client, server = pair
    shm = bytearray(range(64))  # one 4x4 box: two boxes take two batches
    frame = np.zeros((4, 8, 4), np.uint8)
    fake = ShmServer(server, [shm_reply(7, 4, 4), event() + shm_reply(8, 4, 4)])
    skipped = native.read_boxes(
        client.fileno(), 130, 0x2A, 0x55, shm, frame, 8, 4, 100, 200,
        [(0, 0, 4, 4), (4, 0, 4, 4)], 24, 5000,
    )  # fmt: skip
    assert skipped == 1
    got = fake.requests()
    assert [(r[0], r[1], r[2], r[3]) for r in got] == [(130, 4, 8, 0x2A)] * 2
    assert [r[4:8] for r in got] == [(100, 200, 4, 4), (104, 200, 4, 4)]
    assert [r[8:] for r in got] == [(0xFFFFFFFF, 2, 0x55, 0)] * 2  # each batch at offset 0
    box = np.frombuffer(bytes(shm), np.uint8).reshape(4, 4, 4)
    assert np.array_equal(frame[:, :4], box) and np.array_equal(frame[:, 4:], box)


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (shm_reply(8, 4, 4, depth=16), "XShmGetImage returned another depth"),
        (shm_reply(8, 2, 4), "XShmGetImage wrote another size than the box's"),
        (shm_reply(9, 4, 4), "an XShmGetImage reply out of sequence"),
        (shm_reply(8, 4, 4, extra=b"1234"), "an XShmGetImage reply longer than 32 bytes"),
        (struct.pack("=BBHIHB21x", 0, 9, 8, 0x55, 4, 130), None),  # the server's error
    ],
    ids=["depth", "size", "sequence", "longer", "x-error"],
)
def test_a_wrong_second_reply_of_a_batch_fails_the_read(
    native: Any, pair: tuple[socket.socket, socket.socket], second: bytes, message: str | None
) -> None:
    client, server = pair
    frame = np.zeros((4, 8, 4), np.uint8)
    fake = ShmServer(server, [shm_reply(7, 4, 4), second])
    with pytest.raises(native.Error) as err:
        native.read_boxes(
            client.fileno(), 130, 0x2A, 0x55, bytearray(128), frame, 8, 4, 0, 0,
            [(0, 0, 4, 4), (4, 0, 4, 4)], 24, 5000,
        )  # fmt: skip
    assert len(fake.requests()) == 2  # one batch: both requests in one send
    if message is None:
        assert err.value.args == ("x-error", second)
    else:
        assert err.value.args == ("wire", message)


def test_a_box_outside_x11s_coordinates_is_refused(native: Any) -> None:
    frame = np.zeros((4, 4, 4), np.uint8)
    with pytest.raises(ValueError, match="X11's coordinates"):
        native.read_boxes(-1, 130, 1, 1, bytes(64), frame, 4, 4, 32766, 0, [[0, 0, 4, 4]], 24, 50)


def test_the_stale_boxes_come_from_front_before_the_boxes_are_read(
    native: Any, pair: tuple[socket.socket, socket.socket]
) -> None:
    """The kept frames' bring-over in the same call: front's stale boxes into the frame,
    then the read over them (a stale box partly inside a read box ends up read)."""
    client, server = pair
    shm = bytearray(range(64))
    frame = np.zeros((4, 8, 4), np.uint8)
    front = np.arange(128, dtype=np.uint8).reshape(4, 8, 4) + 100
    fake = ShmServer(server, [shm_reply(7, 4, 4)])
    native.read_boxes(
        client.fileno(), 130, 0x2A, 0x55, shm, frame, 8, 4, 0, 0, [(0, 0, 4, 4)], 24, 5000,
        front, [(2, 1, 4, 2), (7, 3, 1, 1)],
    )  # fmt: skip
    assert len(fake.requests()) == 1
    expected = np.zeros_like(frame)
    expected[1:3, 2:6] = front[1:3, 2:6]
    expected[3, 7] = front[3, 7]
    expected[:, :4] = np.frombuffer(bytes(shm), np.uint8).reshape(4, 4, 4)
    assert np.array_equal(frame, expected)


def test_a_front_without_stale_boxes_brings_nothing_over(
    native: Any, pair: tuple[socket.socket, socket.socket]
) -> None:
    """``stale`` may be left out (the stub says so): nothing comes from front."""
    client, server = pair
    shm = bytearray(range(64))
    frame = np.zeros((4, 8, 4), np.uint8)
    front = np.full((4, 8, 4), 200, np.uint8)
    fake = ShmServer(server, [shm_reply(7, 4, 4)])
    native.read_boxes(
        client.fileno(), 130, 0x2A, 0x55, shm, frame, 8, 4, 0, 0, [(0, 0, 4, 4)], 24, 5000, front
    )
    assert len(fake.requests()) == 1
    assert np.array_equal(frame[:, :4], np.frombuffer(bytes(shm), np.uint8).reshape(4, 4, 4))
    assert not frame[:, 4:].any()


def test_stale_boxes_are_clipped_to_the_frame_and_empty_ones_skipped(
    native: Any, pair: tuple[socket.socket, socket.socket]
) -> None:
    """As the Python bring-over's slices: what is inside the frame is copied, no more."""
    client, server = pair
    frame = np.zeros((4, 8, 4), np.uint8)
    front = np.full((4, 8, 4), 9, np.uint8)
    fake = ShmServer(server, [shm_reply(7, 1, 1)])
    native.read_boxes(
        client.fileno(), 130, 0x2A, 0x55, bytearray(4), frame, 8, 4, 0, 0, [(0, 0, 1, 1)],
        24, 5000, front, [(6, 2, 5, 5), (-2, -1, 3, 2), (3, 3, 0, 1), (1, 1, -1, 2)],
    )  # fmt: skip
    assert len(fake.requests()) == 1
    expected = np.zeros_like(frame)
    expected[2:4, 6:8] = 9
    expected[0:1, 0:1] = 9
    expected[0, 0] = 0  # (the read box over it: the segment's zeros)
    assert np.array_equal(frame, expected)


def test_a_box_list_changed_by_its_own_items_is_read_as_it_was(native: Any) -> None:
    """The boxes are copied before they are parsed: an item whose iteration empties the
    list (a hostile caller) cannot pull the rest from under the parser."""
    boxes: list[Any] = []

    class Shrinking:
        def __iter__(self) -> Any:
            boxes.clear()
            return iter((0, 0, 9, 9))  # (outside the frame: refused, after the copy)

    boxes.extend([Shrinking(), (0, 0, 1, 1), (0, 0, 1, 1)])
    frame = np.zeros((4, 8, 4), np.uint8)
    with pytest.raises(ValueError, match="outside the frame"):
        native.read_boxes(-1, 130, 1, 1, bytes(64), frame, 8, 4, 0, 0, boxes, 24, 50)
    stale: list[Any] = []
    stale.extend([Shrinking(), (0, 0, 1, 1)])
    native.read_boxes(
        -1, 130, 1, 1, bytes(64), frame, 8, 4, 0, 0, [], 24, 50, np.ones_like(frame), stale
    )
    assert frame[0, 0].tolist() == [1] * 4 and frame[3, 7].tolist() == [1] * 4


@pytest.mark.parametrize(
    ("front", "stale", "message"),
    [
        (np.zeros((4, 4, 4), np.uint8), [], "same size"),
        (None, [], "not another frame"),  # (None: the frame itself)
        (np.zeros((4, 8, 4), np.uint8), [(0, 0, 1)], "a box is"),
        (np.zeros((4, 8, 4), np.uint8), 5, "iterable"),
    ],
)
def test_a_bad_front_or_stale_box_is_refused_before_anything_is_sent(
    native: Any, front: Any, stale: Any, message: str
) -> None:
    frame = np.zeros((4, 8, 4), np.uint8)
    with pytest.raises((ValueError, TypeError), match=message):
        native.read_boxes(
            -1, 130, 1, 1, bytes(64), frame, 8, 4, 0, 0, [(0, 0, 4, 4)], 24, 50,
            frame if front is None else front, stale,
        )  # fmt: skip


def test_a_front_overlapping_the_frame_is_refused(native: Any) -> None:
    """(The review's case: a copy between overlapping buffers is undefined.)"""
    both = np.zeros(132, np.uint8)
    frame, front = both[:128].reshape(4, 8, 4), both[4:132].reshape(4, 8, 4)
    with pytest.raises(ValueError, match="not another frame"):
        native.read_boxes(
            -1, 130, 1, 1, bytes(64), frame, 8, 4, 0, 0, [], 24, 50, front, [(0, 0, 8, 4)]
        )


def test_readable_takes_descriptors_select_refuses() -> None:
    """The Python waits poll: ``select`` raises ValueError for a descriptor from 1024 on,
    which a process with many files open reaches."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip(f"this process may open {hard} descriptors")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), hard))
    read, write = os.pipe()
    free = next(fd for fd in range(1500, 2048) if not _is_open(fd))
    high = os.dup2(read, free)
    try:
        assert x11_link.readable([high], 0.0) == []
        os.write(write, b"x")
        assert x11_link.readable([high], 5.0) == [high]
    finally:
        for fd in (read, write, high):
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _is_open(fd: int) -> bool:
    try:
        fcntl.fcntl(fd, fcntl.F_GETFD)
    except OSError:
        return False
    return True
