"""Grab monitors into numpy BGRA frames (mss ``.raw`` + ``np.frombuffer``, no ``.rgb``).

On X11 mss uses MIT-SHM (XShmGetImage) and falls back to GetImage on its own; we report
which is in use (``backend_status``) so a slow capture can be explained.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import mss
import mss.exception
import numpy as np

from remoteapp.capture.pointer import PointerReader, pointer_reader
from remoteapp.capture.session import check_capturable
from remoteapp.codec.geometry import Rect
from remoteapp.codec.motion import Motion
from remoteapp.codec.pixels import Pixels
from remoteapp.errors import CaptureError, NoDisplayError

if TYPE_CHECKING:
    from remoteapp.capture.shm_frame import SharedFrame
    from remoteapp.capture.x11_link import BoxLane, XLink

log = logging.getLogger("remoteapp.capture")


@dataclass(frozen=True, slots=True)
class Monitor:
    """One capturable area; index 0 is the union of all monitors (mss's convention)."""

    index: int
    left: int
    top: int
    width: int
    height: int
    primary: bool = False
    name: str = ""

    def contains(self, x: int, y: int) -> bool:
        return self.left <= x < self.left + self.width and self.top <= y < self.top + self.height


class CapturedFrame(NamedTuple):
    """One grab (a named tuple: made every frame, with no Python ``__init__`` to run)."""

    #: (height, width, 4) BGRA, C-contiguous; owned by the caller for ScreenGrabber, valid
    #: until the next grab for a damage backend (it updates one frame in place)
    pixels: Pixels
    monitor: Monitor
    cursor: tuple[int, int] | None  #: pointer hot spot relative to the monitor's corner
    timestamp: float  #: time.monotonic() at capture
    #: boxes that may have changed since the previous grab of this backend (the encoder
    #: diffs only these); None: no hints, diff everything (``remoteapp.capture.damage``)
    damage: tuple[Rect, ...] | None = None
    moves: tuple[Motion, ...] = ()  #: window moves the OS reported (hints, unverified)
    #: copies the backend made in ``pixels`` itself, exact (``ScreenEncoder.encode``'s)
    copies: tuple[Motion, ...] = ()


class ScreenGrabber:
    """Capture monitors of the current display.  Not thread-safe: one grabber per thread.

    The polling backend (``remoteapp.capture.backend.CaptureBackend``): no damage hints,
    every grab is worth making.
    """

    damage_driven = False
    pointer_driven = False
    hands_over = False  #: each grab is a new array; the encoder keeps its own reference

    def __init__(self, display: str | None = None, env: Mapping[str, str] | None = None) -> None:
        if display is None:
            check_capturable(env)
        try:
            self._sct = mss.MSS(display=display) if display else mss.MSS()
        except mss.exception.ScreenShotError as exc:
            raise NoDisplayError(f"cannot open the display: {exc}") from exc
        self._pointer: PointerReader = pointer_reader(self._sct)
        self._shm_direct: bool | None = None  #: None: not tried yet (see _shm_into)
        self._display = display
        self._link: XLink | None = None  #: ShmGetImage as bytes (``shm_link``)
        self._link_tried = False
        #: what the C extension's box reads need of mss's segment (``_find_native_target``;
        #: None: not looked up yet, False: they are off for good)
        self._native_target: tuple[int, int, object, int] | Literal[False] | None = None
        self._lane: BoxLane | None = None  #: the C damage grab's read (``box_lane``)
        self._woken = threading.Event()  #: wake() came (wait)

    def __enter__(self) -> ScreenGrabber:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._native_target = False  # (it holds mss's mapping, which closes below)
        self._lane = None
        if self._link is not None:
            self._link.close()
            self._link = None
        self._sct.close()

    def shm_link(self) -> XLink | None:
        """A connection of this grabber's own that sends ``XShmGetImage`` as bytes into
        mss's segments (``remoteapp.capture.x11_link``: a fraction of the CPU of mss's
        libxcb bindings per read); None where it cannot be opened, and then mss's
        bindings read.  Opened at the first use: only the damage grabber's box reads
        need it."""
        if self._link_tried:  # (every box read asks: the memo first)
            return self._link
        self._link_tried = True
        from remoteapp.capture.x11_link import XLink

        try:
            link = XLink(self._display)
        except CaptureError as exc:
            log.info("capture event=shm-link-off reason=%r", str(exc))
            return None
        if link.has_shm:
            self._link = link
        else:
            link.close()
        return self._link

    def _shm_link_failed(self, exc: Exception) -> None:
        """The link broke or the server refused its read: mss's bindings from now on."""
        log.info("capture event=shm-link-off reason=%r", str(exc))
        self._lane = None  # (its socket closes now)
        if self._link is not None:
            self._link.close()
            self._link = None

    def wait(self, timeout: float) -> None:
        """No events to wait for: sleep until ``wake()`` or ``timeout``."""
        self._woken.wait(timeout)
        self._woken.clear()  # (before the caller looks at what woke it)

    def wake(self) -> None:
        self._woken.set()

    def pending(self) -> bool:
        """Without hints every grab may find a change."""
        return True

    def due(self) -> float | None:
        """No grab is due on the backend's own account (the caller's tick decides)."""
        return None

    def force_full(self) -> None:
        """Every grab reads the whole monitor already."""

    def adopted(self, changed: Sequence[Rect]) -> None:
        """Nothing to do: the frames are not handed over (``hands_over`` is False)."""

    def key_grabs(self, monitor: Monitor) -> None:
        """No key lane: a polling grab reads the whole monitor."""

    @property
    def backend_status(self) -> list[str]:
        """mss's notes on its backend (for example why MIT-SHM is not used)."""
        return list(self._sct.performance_status)

    def monitors(self) -> list[Monitor]:
        """All monitors: [union, first, second, ...], re-read each call (hot-plug)."""
        try:
            raw = self._sct.monitors
        except mss.exception.ScreenShotError as exc:
            raise CaptureError(f"cannot list monitors: {exc}") from exc
        return [
            Monitor(
                index=i,
                left=int(m["left"]),
                top=int(m["top"]),
                width=int(m["width"]),
                height=int(m["height"]),
                primary=bool(m.get("is_primary", False)),
                name=str(m.get("output", "all" if i == 0 else f"monitor {i}")),
            )
            for i, m in enumerate(raw)
        ]

    def grab(self, monitor: Monitor | int = 1) -> CapturedFrame:
        """One frame of ``monitor`` (a Monitor or an index; 0 grabs all monitors at once)."""
        if isinstance(monitor, int):
            found = self.monitors()
            if not 0 <= monitor < len(found):
                raise CaptureError(f"no monitor {monitor}: this display has {len(found) - 1}")
            monitor = found[monitor]
        pixels = self.grab_area(monitor, Rect(0, 0, monitor.width, monitor.height))
        stamp = time.monotonic()
        return CapturedFrame(pixels, monitor, self.cursor(monitor), stamp)

    def grab_area(self, monitor: Monitor, rect: Rect) -> Pixels:
        """The pixels of ``rect`` (relative to ``monitor``'s corner): one XShmGetImage of
        just that rectangle on X11, a fresh writable array."""
        region = {
            "left": monitor.left + rect.x,
            "top": monitor.top + rect.y,
            "width": rect.w,
            "height": rect.h,
        }
        try:
            shot = self._sct.grab(region)
        except mss.exception.ScreenShotError as exc:
            raise CaptureError(f"capture of {monitor.name} failed: {exc}") from exc
        return np.frombuffer(shot.raw, dtype=np.uint8).reshape(shot.height, shot.width, 4)

    def shared_frame(self, monitor: Monitor) -> SharedFrame:
        """A frame of ``monitor`` the X server writes into (``remoteapp.capture.shm_frame``);
        CaptureError where MIT-SHM is not in use (not yet proven by a grab, or none)."""
        from remoteapp.capture.shm_frame import SharedFrame

        return SharedFrame(self._sct, monitor, self)

    def grab_into(self, monitor: Monitor, rect: Rect, out: Pixels) -> None:
        """Read ``rect`` (relative to ``monitor``) into ``out`` (a (h, w, 4) view, e.g. of
        a kept frame): no new buffer per grab, which for a full 1080p frame saves
        allocating and faulting in 8 MB each time (most of a safety check's cost)."""
        if not self._shm_into(monitor, rect, out):
            out[...] = self.grab_area(monitor, rect)

    def grab_boxes_into(self, monitor: Monitor, boxes: Sequence[Rect], frame: Pixels) -> None:
        """Read each box of ``monitor`` into ``frame`` (a whole frame of the monitor) at
        the box: with the C extension, every request in one send and no Python per box
        (``XLink.read_boxes``); else ``grab_into`` box by box."""
        if self.bring_and_grab(monitor, boxes, frame):
            return
        for box in boxes:
            self.grab_into(monitor, box, frame[box.y : box.bottom, box.x : box.right])

    def bring_and_grab(
        self, monitor: Monitor, boxes: Sequence[Rect], frame: Pixels,
        front: Pixels | None = None, stale: Sequence[Rect] = (),
    ) -> bool:  # fmt: skip
        """``frame[s] = front[s]`` for each ``stale`` box (``front``: another frame of the
        monitor), then each box read into ``frame`` at the box, in one C call (every
        request in one send, no Python per box: ``XLink.read_boxes``, into mss's
        segment); False, nothing done, where the C extension cannot (not built, MIT-SHM
        not proven by mss yet, no link).  Any failure turns it off for good, as
        ``_shm_into`` (the link too, for an X error: mss's bindings read from then on,
        as ``shm_read``)."""
        if not boxes or self._shm_direct is False or self._native_target is False:
            return False
        target = self._native_target or self._find_native_target()
        if target is None:
            return False
        link = self.shm_link()
        if link is None:  # (nor can the link's C reader now: its read_boxes says False)
            return False
        drawable, seg, buf, depth = target
        try:
            return link.read_boxes(
                drawable,
                seg,
                buf,
                depth,
                frame,
                (monitor.left, monitor.top),
                boxes,
                front,
                stale,
            )  # fmt: skip  (a Rect is an (x, y, w, h) tuple)
        except CaptureError as exc:
            self._shm_link_failed(exc)
        except Exception as exc:  # mss's segment is not what it was (a larger screen since)
            log.info("capture event=shm-native-off reason=%r", str(exc))
        self._native_target, self._lane = False, None
        return False

    def read_boxes_on(
        self, link: XLink, monitor: Monitor, boxes: Sequence[Rect], frame: Pixels
    ) -> bool:
        """Each box of ``monitor`` read into ``frame`` (a whole frame of it) at the box,
        as ``bring_and_grab`` reads, but on ``link``: a connection of the caller's, whose
        reads a RECORD stream tells apart from this grabber's.  False, nothing read,
        where it cannot (no C extension, MIT-SHM not proven by mss's grab yet); raises
        CaptureError as ``XLink.read_boxes``."""
        if not boxes or self._shm_direct is False or self._native_target is False:
            return not boxes
        target = self._native_target or self._find_native_target()
        if target is None:
            return False
        drawable, seg, buf, depth = target
        origin = (monitor.left, monitor.top)
        return link.read_boxes(drawable, seg, buf, depth, frame, origin, boxes)

    def box_lane(self) -> BoxLane | None:
        """What the C damage grab needs to read boxes as ``bring_and_grab`` does, through
        the same link and mss's segment (``x11_link.XLink.take_boxes``); None where it
        cannot (as ``bring_and_grab``'s False).  Kept until a failure turns it off."""
        if self._lane is None and False not in (self._shm_direct, self._native_target):
            target = self._native_target or self._find_native_target()
            link = self.shm_link()
            if target is not None and link is not None:
                self._lane = link.lane(*target)
        return self._lane

    def box_lane_failed(self, exc: Exception) -> None:
        """The C damage grab's read failed: as a failed ``bring_and_grab``, the link and
        the C reads are off for good (mss's bindings read from then on)."""
        self._shm_link_failed(exc)
        self._native_target = False

    def _find_native_target(self) -> tuple[int, int, object, int] | None:
        """mss's root drawable, segment id, its mapping and the depth, once mss has
        proven MIT-SHM (kept: mss keeps its segment until it closes, as we do)."""
        impl: Any = getattr(self._sct, "_impl", None)
        try:
            from mss.linux.xshmgetimage import ShmStatus  # mss internals: guarded below

            if getattr(impl, "shm_status", None) is not ShmStatus.AVAILABLE or impl._buf is None:
                return None  # (not proven yet: mss's first grab does)
            target = (impl.drawable.value, impl._shmseg.value, impl._buf, impl.drawable_depth)
        except Exception as exc:  # mss changed: the Python path (which says so itself)
            log.info("capture event=shm-native-off reason=%r", str(exc))
            self._native_target = False
            return None
        self._native_target = target
        return target

    def _shm_into(self, monitor: Monitor, rect: Rect, out: Pixels) -> bool:
        """XShmGetImage straight from mss's shared segment into ``out``.  This reaches into
        mss internals (``_impl``: ``conn``, ``drawable``, ``_shmseg``, ``_buf``) once mss
        itself has used MIT-SHM successfully; any surprise turns it off for good and
        ``grab_area`` (mss's public grab) does the work instead."""
        if self._shm_direct is False:
            return False
        impl = getattr(self._sct, "_impl", None)
        try:
            from mss.linux.xshmgetimage import ShmStatus  # mss internals: guarded below

            if impl is None or getattr(impl, "shm_status", None) is not ShmStatus.AVAILABLE:
                return False  # not yet proven (the first grab goes through mss), or no SHM
            self.shm_read(impl, monitor.left + rect.x, monitor.top + rect.y, rect.w, rect.h)
            count = rect.w * rect.h * 4
            shared = np.frombuffer(impl._buf, dtype=np.uint8, count=count)
            try:
                np.copyto(out, shared.reshape(rect.h, rect.w, 4))
            finally:
                del shared  # release the mmap's export, or mss cannot close it
            self._shm_direct = True
            return True
        except Exception as exc:  # mss changed, or MIT-SHM failed: the public path
            log.info("capture event=shm-direct-off reason=%r", str(exc))
            self._shm_direct, self._lane = False, None
            return False

    def shm_read(
        self, impl: Any, x: int, y: int, width: int, height: int, seg: Any = None, offset: int = 0
    ) -> None:
        """``XShmGetImage`` of the root's area into shared-memory segment ``seg`` (an xcb
        id on mss's connection ``impl``; None: mss's own) at byte ``offset``: through
        ``shm_link``, else mss's bindings.  CaptureError if neither could read it."""
        if seg is None:
            seg = impl._shmseg
        link = self.shm_link()
        depth: int | None = None
        if link is not None:
            try:
                depth = link.shm_get_image(
                    impl.drawable.value, x, y, width, height, seg.value, offset
                )
            except CaptureError as exc:
                self._shm_link_failed(exc)
        if depth is None:
            try:
                from mss.linux import xcb  # mss internals: any surprise is a CaptureError
                from mss.linux.base import ALL_PLANES

                zpixmap = xcb.ImageFormat.ZPixmap  # type: ignore[attr-defined]
                depth = xcb.shm_get_image(  # type: ignore[attr-defined]
                    impl.conn, impl.drawable, x, y, width, height, ALL_PLANES, zpixmap, seg, offset
                ).depth
            except Exception as exc:
                raise CaptureError(f"XShmGetImage failed: {exc}") from exc
        if depth != impl.drawable_depth:
            raise CaptureError(f"XShmGetImage returned depth {depth}")

    def cursor(self, monitor: Monitor) -> tuple[int, int] | None:
        """The pointer hot spot relative to ``monitor``'s corner, or None when unknown."""
        pointer = self._pointer.position()
        return None if pointer is None else (pointer[0] - monitor.left, pointer[1] - monitor.top)
