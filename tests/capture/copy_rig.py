"""The copy grabber's fault and case tests' rig (``test_copy_grabber_faults``,
``test_copy_grabber_cases``): a terminal whose window is proven, another client's
window, a GC through which every copy is refused, the loop's one-grab check, and a way
to kill one of the capture's connections."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from remoteapp.capture import ScreenGrabber
from remoteapp.capture.copy_capture import CopyCapture
from remoteapp.capture.copy_grabber import CopyGrabber
from remoteapp.capture.grabber import Monitor
from remoteapp.capture.x11_damage import XDamageSource
from remoteapp.capture.x11_link import XLink
from remoteapp.codec.pixels import Pixels
from tests.capture.damage_rig import Clock, FbdirXvfb, Painter, Pipe, follow, until_exact

NOBODY = 0x1FE00000  #: a client that is no connection's (its reads never come)


def copy_grabber(
    display: str, clock: Clock, reader: Callable[[int], int] = lambda client: client,
    settle_s: float = 5.0, *, always: bool = True,
) -> CopyGrabber:  # fmt: skip
    """A copy grabber on ``display`` (``always``: following from the first grab);
    ``reader`` maps the client it reads with to the one the model is told (a wrong one:
    reads the stream never places)."""
    ticks = iter(range(10**6))  # (the prover's clock: a probe whenever one is wanted)
    return CopyGrabber(
        ScreenGrabber(display=display),
        lambda: XDamageSource(display),
        lambda client: CopyCapture(display, reader(client), clock=lambda: float(next(ticks))),
        lambda: XLink(display),
        clock=clock,
        settle_s=settle_s,
        always=always,
    )


Rig = tuple[CopyGrabber, Clock, Painter, Monitor, Pipe, Callable[[], Pixels]]


@pytest.fixture
def other(fbdir_xvfb: FbdirXvfb) -> Iterator[Painter]:
    """Another client's window, beside the terminal (400, 300, 200x150)."""
    p = Painter(fbdir_xvfb.display, x=400, y=300, w=200, h=150)
    try:
        yield p
    finally:
        p.close()


@pytest.fixture
def rig(fbdir_xvfb: FbdirXvfb, other: Painter) -> Iterator[Rig]:
    """A copy grabber followed exactly, and a 300x200 terminal at (40, 30) whose window
    is proven (its first copy asks for the probe; the later ones are trusted); ``other``
    is mapped before."""
    clock = Clock()
    g = copy_grabber(fbdir_xvfb.display, clock, settle_s=1.0)
    term = Painter(fbdir_xvfb.display, x=40, y=30, w=300, h=200)
    term.d.set_error_handler(lambda *args: None)  # (the refused requests' errors)
    try:
        with ScreenGrabber(display=fbdir_xvfb.display) as poll:
            mon, pipe, truth = follow(g, poll)
            for line in range(3):
                term.scroll(f"line {line} ".encode() * 8)
                until_exact(g, pipe, truth)
            assert g._copy is not None and g._copy.follower.trusted >= 1
            for row in range(0, 200, 20):  # (bands: any move of the window shows)
                term.fill(0, row, 300, 10, 0x2040FF if row % 40 else 0xFF4020)
            term.d.sync()
            until_exact(g, pipe, truth)
            yield g, clock, term, mon, pipe, truth
    finally:
        term.close()
        g.close()


def refused_gc(term: Painter, how: str) -> Any:
    """A GC the stream shows created plain, through which every CopyArea in the window
    is refused (no pixel changes, no damage): made for a depth-1 pixmap (BadMatch on a
    depth-24 window), or a CreateGC the server refused (BadFont: the GC never exists)."""
    if how == "depth-1":
        return term.win.create_pixmap(8, 8, 1).create_gc(graphics_exposures=False)
    return term.win.create_gc(font=0x1FFFFF, graphics_exposures=False)


def exact_or_pending(g: CopyGrabber, mon: Monitor, pipe: Pipe, truth: Callable[[], Pixels]) -> None:
    """One grab after a sync: its frame is the screen, or the grabber knows it is not
    (``pending``: the capture loop grabs again at once)."""
    assert g.sync(5)
    shot = g.grab(mon)
    exact = np.array_equal(shot.pixels, truth())
    pipe.send(shot.pixels, shot.damage)
    assert exact or g.pending(), f"frame not the screen, nothing pending; damage {shot.damage}"


def kill_client(display: Any, resource: int) -> None:
    """KillClient of the client owning ``resource`` (as ``xkill -id`` does)."""
    from Xlib.protocol import request

    request.KillClient(display=display.display, resource=resource)
    display.sync()
