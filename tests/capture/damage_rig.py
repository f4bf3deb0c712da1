"""The damage-capture test rig: an Xvfb whose framebuffer the test can change behind the
X server's back, a drawing client, an injected clock, and encoder -> decoder pipes
(fixtures in ``conftest.py``)."""

from __future__ import annotations

import contextlib
import mmap
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from remoteapp.capture import DamageGrabber, ScreenGrabber
from remoteapp.capture.backend import DamageSource
from remoteapp.capture.copy_grabber import CopyGrabber
from remoteapp.capture.grabber import Monitor
from remoteapp.capture.x11_damage import XDamageSource
from remoteapp.codec import ScreenDecoder, ScreenEncoder
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion
from remoteapp.codec.pixels import Pixels

W, H = 640, 480
Grabber = DamageGrabber | CopyGrabber  #: the backends with damage hints


class FbdirXvfb:
    """Xvfb whose framebuffer is a file this test maps: pixels it can change unseen."""

    def __init__(self, display: str, fb: Path) -> None:
        self.display = display
        self._file = fb.open("r+b")
        self._map = mmap.mmap(self._file.fileno(), 0)
        header = struct.unpack(">25I", self._map[:100])  # XWD header, big-endian
        self._offset = header[0] + header[19] * 12  # header size + colormap entries
        self._stride = header[12]

    def poke(self, x: int, y: int, bgra: bytes) -> None:
        """Write one pixel straight into the framebuffer: the X server never knows."""
        at = self._offset + y * self._stride + x * 4
        self._map[at : at + 4] = bgra

    def close(self) -> None:
        self._map.close()
        self._file.close()


class Painter:
    """A python-xlib client drawing into one override-redirect window."""

    def __init__(self, display: str, x: int = 40, y: int = 30, w: int = 300, h: int = 200):
        from Xlib import X
        from Xlib import display as xdisplay

        self.X = X
        self.w, self.h = w, h
        self.d = xdisplay.Display(display)
        screen = self.d.screen()
        self.win = screen.root.create_window(
            x, y, w, h, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
            background_pixel=0xF0F0F0, override_redirect=True,
        )  # fmt: skip
        self.gc = self.win.create_gc(foreground=0x102030, graphics_exposures=False)
        self.font = self.d.open_font("fixed")
        self.text_gc = self.win.create_gc(foreground=0x000000, font=self.font)
        self.win.map()
        self.d.sync()

    def fill(self, x: int, y: int, w: int, h: int, colour: int) -> None:
        self.gc.change(foreground=colour)
        self.win.fill_rectangle(self.gc, x, y, w, h)

    def scroll(self, text: bytes) -> None:
        """A terminal's scroll by one 13-px line: ``text`` drawn near the bottom, the
        window copied up over itself, the new bottom line cleared; then a sync."""
        self.win.poly_text(self.text_gc, 5, self.h - 10, [text])
        self.win.copy_area(self.gc, self.win, 0, 13, self.w, self.h - 13, 0, 0)
        self.fill(0, self.h - 13, self.w, 13, 0xF0F0F0)
        self.d.sync()

    def close(self) -> None:
        self.win.destroy()
        self.d.close()


def painter_steps(painter: Painter) -> list[Callable[[], None]]:
    """A scripted desktop's steps in ``painter``'s window: a fill, text, a copy of the
    window up over itself and the strip it leaves filled, a drag (exposing the root) to
    the lower right, an unmap and a map."""
    return [
        lambda: painter.fill(10, 10, 5, 7, 0xFF0000),
        lambda: painter.win.poly_text(painter.text_gc, 20, 60, [b"typing a line"]),
        lambda: painter.win.copy_area(painter.gc, painter.win, 0, 8, 300, 192, 0, 0),
        lambda: painter.fill(0, 192, 300, 8, 0x3366CC),
        lambda: painter.win.configure(x=75, y=44),
        lambda: painter.win.configure(x=300, y=250),
        painter.win.unmap,
        painter.win.map,
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Pipe:
    """Encoder -> decoder; the damage path passes the backend's hints.  With a grabber,
    each update's changes are told to it (``adopted``: the safety check's judgement, and
    the kept frames' turn), and with one that hands its frames over the encoder adopts
    each, as the customer's capture loop does."""

    def __init__(self, grabber: Grabber | None = None) -> None:
        self.enc, self.dec = ScreenEncoder(), ScreenDecoder()
        self._grabber = grabber

    def send(
        self, pixels: Pixels, damage: tuple[Rect, ...] | None = None, copies: Sequence[Motion] = ()
    ) -> Pixels:
        adopt = self._grabber is not None and self._grabber.hands_over
        self.dec.decode(self.enc.encode(pixels, damage=damage, copies=copies, adopt=adopt))
        if self._grabber is not None:
            self._grabber.adopted(self.enc.changed)
        assert self.dec.framebuffer is not None
        return self.dec.framebuffer


def until_exact(
    grabber: Grabber, pipe: Pipe, truth: Callable[[], Pixels], timeout: float = 10.0
) -> list[tuple[Rect, ...] | None]:
    """Once the damage reported so far is gathered (``sync``), one grab, as the capture
    loop makes it after a wake, must decode to exactly what a full grab shows; returns
    that grab's damage (in a list, for the caller to check)."""
    mon = grabber.monitors()[1]
    assert grabber.sync(timeout)
    shot = grabber.grab(mon)
    screen = truth()
    if grabber.hands_over:  # the frame becomes the reference: it must be the screen
        assert np.array_equal(shot.pixels, screen), f"frame not the screen: {shot.damage}"
    fb = pipe.send(shot.pixels, shot.damage, shot.copies)
    assert np.array_equal(fb, screen), f"not exact after one grab; damage: {shot.damage}"
    return [shot.damage]


@contextlib.contextmanager
def followed(
    grabber: Grabber, display: str
) -> Iterator[tuple[Monitor, Pipe, Callable[[], Pixels]]]:
    """``grabber`` followed through a pipe, exact once (``until_exact``): the monitor,
    the pipe, and the truth (a full grab of the screen by a polling grabber)."""
    with ScreenGrabber(display=display) as poll:
        yield follow(grabber, poll)


def follow(grabber: Grabber, poll: ScreenGrabber) -> tuple[Monitor, Pipe, Callable[[], Pixels]]:
    """``followed`` with the caller's polling grabber ``poll``."""
    mon = poll.monitors()[1]
    pipe = Pipe(grabber)

    def truth() -> Pixels:
        return poll.grab(mon).pixels

    until_exact(grabber, pipe, truth)
    return mon, pipe, truth


def two_frames(
    display: str, clock: Clock, source: Callable[[], DamageSource] | None = None
) -> DamageGrabber:
    """A damage grabber with two kept frames on ``display``, as the customer's capture
    loop uses it, on ``clock`` (its own XDamageSource unless ``source`` makes one)."""
    return DamageGrabber(
        ScreenGrabber(display=display),
        source or (lambda: XDamageSource(display)),
        clock=clock,
        hand_over=True,
    )


def found_by_the_check(grabber: Grabber, damage: tuple[Rect, ...] | None, x: int, y: int) -> bool:
    """Whether a safety check's ``damage`` reports pixel (x, y), changed behind the X
    server's back: with one kept frame the check does not compare (None: diff it all),
    with two it reports the boxes where the screen differs from the reference."""
    if not grabber.hands_over:
        return damage is None
    return damage is not None and any(b.x <= x < b.right and b.y <= y < b.bottom for b in damage)


def wait_pending(grabber: Grabber, timeout: float) -> bool:
    """Sleep as the capture loop does (``wait``) until the grabber has something pending;
    False after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not grabber.pending():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        grabber.wait(left)
    return True
