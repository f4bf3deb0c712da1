"""Whether a compositing manager runs on an X display: what ``REMOTEAPP_CAPTURE=auto``
chooses by (docs/capture.md, "The interface").

A compositing manager owns the ``_NET_WM_CM_S<screen>`` selection while it runs (EWMH,
"Compositing Managers"): xfwm4, marco, mutter, KWin, picom and compiz all take it.  Under
one, the root's pixels come from its drawing, which the copy capture cannot follow;
without one, following a terminal's copies spares the X server's reads.

Errors: ``CaptureError`` when the display cannot be opened or asked.
"""

from __future__ import annotations

import contextlib
import logging

from remoteapp.capture.session import CaptureMode
from remoteapp.capture.x11_link import open_display
from remoteapp.errors import CaptureError

log = logging.getLogger("remoteapp.capture")


def compositor(display: str | None) -> int | None:
    """The window that owns the screen's compositing-manager selection, or None when no
    compositing manager runs (one round trip each way, on a connection of its own)."""
    d = open_display(display, "the compositor check")
    from Xlib import X  # (here: the display opened, so python-xlib is there)
    from Xlib.error import ConnectionClosedError, XError

    try:
        try:
            atom = d.intern_atom(f"_NET_WM_CM_S{d.get_default_screen()}", only_if_exists=True)
            if atom == X.NONE:  # (never interned: nobody ever owned it)
                return None
            owner = d.get_selection_owner(atom)
        except (XError, ConnectionClosedError, OSError) as exc:  # (a server gone meanwhile)
            raise CaptureError(f"cannot ask the display for its compositor: {exc}") from exc
        owner_id: int = owner if isinstance(owner, int) else owner.id
        return None if owner_id == X.NONE else owner_id
    finally:
        # (closing a connection the server dropped raises the dropped one's error again)
        with contextlib.suppress(ConnectionClosedError, OSError):
            d.close()


def auto_mode(display: str | None) -> CaptureMode:
    """``auto``'s choice (logged): ``copy`` with no compositing manager on the display,
    ``damage`` under one (its drawing cannot be followed) or when it cannot be asked."""
    try:
        owner = compositor(display)
    except CaptureError as exc:
        log.info("capture event=auto chose=damage reason=%r", str(exc))
        return "damage"
    if owner is not None:
        log.info("capture event=auto chose=damage reason=compositor owner=%#x", owner)
        return "damage"
    log.info("capture event=auto chose=copy reason=no-compositor")
    return "copy"
