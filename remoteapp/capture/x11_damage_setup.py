"""X11 damage's setup: the two connections ``XDamageSource`` (``x11_damage``) runs on and
the X resources it reads, set up by python-xlib before the source drives them as bytes.

On the first connection: the DAMAGE object on the root window (*NonEmpty* level), an
XFixes 2 region for the fetch, the root's SubstructureNotify (window moves) and, where
the server has XInput 2, raw motion (pointer moves).  The second connection, an
``XLink``, is for the subtract and fetch; it is proven here with one fetch.  Anything
missing or failing raises ``remoteapp.errors.CaptureError`` (the caller falls back to
polling).
"""

from __future__ import annotations

import contextlib
import logging
import socket
from typing import Any

from remoteapp.capture import x11_wire
from remoteapp.capture.damage import Geometry, WindowMoves
from remoteapp.capture.x11_link import XLink, open_display, queued
from remoteapp.errors import CaptureError

log = logging.getLogger("remoteapp.capture")


def _create_region_request() -> type[Any]:
    """XFixes 2 CreateRegion, which python-xlib lacks (used once, at setup)."""
    from Xlib.protocol import rq

    class CreateRegion(rq.Request):  # type: ignore[misc]
        _request = rq.Struct(
            rq.Card8("opcode"), rq.Opcode(5), rq.RequestLength(), rq.Card32("region")
        )

    return CreateRegion


class DamageSetup:
    """One display's damage reporting, set up: the first connection (``d``, python-xlib's,
    and its socket ``sock``, non-blocking, to be read as bytes from here on) with what
    python-xlib had read of it (``events``, ``partial``), the second (``q``), and what
    the events and the fetch are told by."""

    d: Any  #: python-xlib's Display (the first connection)
    sock: socket.socket
    q: XLink
    events: list[bytes]  #: the events python-xlib had queued, as their packets
    partial: bytes  #: a packet's bytes python-xlib had read in part
    damage: int  #: the DAMAGE object on the root window
    damage_event: int  #: DamageNotify's event code
    fetch_bytes: bytes  #: the subtract and fetch, as bytes (``x11_wire``)
    moves: WindowMoves  #: the top-level windows, at their starting positions
    pointer_events: bool  #: XInput 2 raw motion selected (False: poll the pointer)
    xi_opcode: int  #: XInputExtension's major opcode (-1: none)
    raw_motion: int  #: XI_RawMotion's event type (-1: none)

    def __init__(self, display: str | None) -> None:
        try:
            from Xlib import X
            from Xlib.error import XError
            from Xlib.ext import damage
        except ImportError as exc:  # pragma: no cover - python-xlib is a dependency
            raise CaptureError(f"python-xlib is missing: {exc}") from exc
        self._X, self._damage_ext = X, damage
        self.d = open_display(display, "damage")
        q: XLink | None = None
        try:
            self._setup()
            q = self._query_connection(display)
            self.events, self.partial = queued(self.d)  # from here on we read the bytes
            self.sock = self.d.display.socket
            self.sock.setblocking(False)  # read only what is there (wait() selects)
        except (XError, CaptureError, OSError) as exc:
            self.d.close()
            if q is not None:
                q.close()
            raise CaptureError(f"no damage reporting on this display: {exc}") from exc
        self.q = q

    def _setup(self) -> None:
        d, X = self.d, self._X
        for ext in ("DAMAGE", "XFIXES"):
            if not d.has_extension(ext):
                raise CaptureError(f"the X server has no {ext} extension")
        d.damage_query_version()
        damage = d.query_extension("DAMAGE")
        self.damage_event = damage.first_event + self._damage_ext.DamageNotifyCode
        fixes = d.query_extension("XFIXES")
        version = d.xfixes_query_version()
        if version.major_version < 2:
            raise CaptureError(f"XFixes {version.major_version} has no regions (needs 2)")
        self._root = d.screen().root
        self._region = d.display.allocate_resource_id()
        _create_region_request()(display=d.display, opcode=fixes.major_opcode, region=self._region)
        self.damage = self._root.damage_create(self._damage_ext.DamageReportNonEmpty)
        self.fetch_bytes = x11_wire.subtract_and_fetch(
            damage.major_opcode, fixes.major_opcode, self.damage, self._region
        )
        self._root.change_attributes(event_mask=X.SubstructureNotifyMask)
        self.moves = WindowMoves()
        for child in self._root.query_tree().children:
            with contextlib.suppress(Exception):  # a window may go while we look
                g = child.get_geometry()
                bw2 = 2 * g.border_width
                self.moves.configure(child.id, Geometry(g.x, g.y, g.width + bw2, g.height + bw2))
        self.pointer_events = self._select_raw_motion()
        d.sync()
        self.moves.moved()  # the starting positions are not moves

    def _query_connection(self, display: str | None) -> XLink:
        """The second connection, for take()'s subtract and fetch: their replies then do
        not end the capture thread's waits (it polls for any byte on the first one).  X
        resources are shared between clients, so the DAMAGE object and the region work
        from it.  Proven here with one fetch."""

        def agree(q: Any) -> None:  # (the server refuses DAMAGE and XFixes 2 requests
            q.damage_query_version()  # from a client that has not agreed their versions)
            q.xfixes_query_version()

        link = XLink(display, agree)
        try:
            x11_wire.region_rectangles(link.round_trip(self.fetch_bytes))  # (the source's _fetch)
            return link
        except BaseException:
            link.close()
            raise

    def _select_raw_motion(self) -> bool:
        """XInput 2 raw motion on the root: the pointer's moves wake the capture loop, so it
        need not poll the pointer, grabbed or not.  (A warp, XWarpPointer, raises none: it
        shows at the next grab.)  False where the server has no XInput 2."""
        self.xi_opcode, self.raw_motion = -1, -1
        try:
            from Xlib.ext import xinput

            if not self.d.has_extension("XInputExtension"):
                return False
            opcode = self.d.query_extension("XInputExtension").major_opcode
            # 2.2, not python-xlib's 2.0: the server withholds raw events from a 2.0
            # client while any client grabs the pointer (a drag's implicit grab, a menu)
            version = xinput.XIQueryVersion(
                display=self.d.display, opcode=opcode, major_version=2, minor_version=2
            )
            if version.major_version < 2:
                return False
            self.xi_opcode = opcode
            self.raw_motion = xinput.RawMotion
            mask = [(xinput.AllMasterDevices, xinput.RawMotionMask)]
            self._root.xinput_select_events(mask)
            self.d.sync()
            return True
        except Exception as exc:  # python-xlib or the server without it: poll the pointer
            log.info("capture event=no-pointer-events reason=%r", str(exc))
            return False
