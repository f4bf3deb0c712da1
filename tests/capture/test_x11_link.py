"""The capture thread's own X connection (``x11_link``) on a real Xvfb: its ShmGetImage
writes the same pixels as mss's bindings, the server's error comes back as
``XRequestError``, and a grabber whose link breaks goes on with mss's bindings, exact."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from remoteapp.capture import ScreenGrabber
from remoteapp.capture.x11_link import XLink
from remoteapp.capture.x11_wire import XRequestError
from remoteapp.codec.geometry import Rect
from tests.capture.damage_rig import FbdirXvfb, Painter


@pytest.mark.display
def test_a_box_read_through_the_link_equals_mss_grab(
    fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    painter.fill(10, 10, 80, 50, 0x3366CC)
    painter.fill(30, 25, 7, 9, 0xCC3300)
    painter.d.sync()
    with ScreenGrabber(display=fbdir_xvfb.display) as grabber:
        mon = grabber.monitors()[1]
        grabber.grab(mon)  # mss proves MIT-SHM with its own first grab
        box = Rect(49, 39, 91, 61)  # odd sizes: the rows are packed, no padding
        out = np.zeros((box.h, box.w, 4), np.uint8)
        grabber.grab_into(mon, box, out)
        assert grabber.shm_link() is not None  # (the path under test was taken)
        assert np.array_equal(out, grabber.grab_area(mon, box))
        assert out[1, 1, :3].tolist() == [0xCC, 0x66, 0x33]  # the first fill's corner (50, 40)
        assert out[0, 0, :3].tolist() != [0xCC, 0x66, 0x33]  # just outside it


@pytest.mark.display
def test_the_servers_error_comes_back_as_an_error(fbdir_xvfb: FbdirXvfb) -> None:
    with ScreenGrabber(display=fbdir_xvfb.display) as grabber:
        grabber.grab(1)
        link = grabber.shm_link()
        assert link is not None
        impl: Any = grabber._sct._impl
        with pytest.raises(XRequestError) as err:  # a segment id nobody attached
            link.shm_get_image(impl.drawable.value, 0, 0, 8, 8, 0x1FFFFF, 0)
        assert err.value.minor == 4
        # the connection is still good for the next request
        assert link.shm_get_image(impl.drawable.value, 0, 0, 8, 8, impl._shmseg.value, 0) == 24


@pytest.mark.display
def test_a_broken_link_falls_back_to_mss_and_stays_exact(
    fbdir_xvfb: FbdirXvfb, painter: Painter
) -> None:
    with ScreenGrabber(display=fbdir_xvfb.display) as grabber:
        mon = grabber.monitors()[1]
        grabber.grab(mon)
        link = grabber.shm_link()
        assert isinstance(link, XLink)
        link._sock.close()  # the connection dies under it
        painter.fill(60, 40, 30, 30, 0x00AA55)
        painter.d.sync()
        box = Rect(64, 64, 64, 64)
        out = np.zeros((64, 64, 4), np.uint8)
        grabber.grab_into(mon, box, out)
        assert grabber.shm_link() is None  # off for good: mss's bindings read
        assert np.array_equal(out, grabber.grab_area(mon, box))
