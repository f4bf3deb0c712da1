"""What customer mode says in words: why an agent will not see this screen, the
standard fields' labels, the server out of reach or refused for safety (for the
countdown to the next try)."""

from __future__ import annotations

import os
from collections.abc import Callable

from remoteapp.capture.session import check_capturable
from remoteapp.errors import CaptureError, UnsupportedSessionError
from remoteapp.session.presence import NOT_TRUSTED
from remoteapp.ui.i18n import tr
from remotewire.customer_fields import STANDARD_FIELDS


def capture_warning(display: str | None) -> str:
    """Why an agent will not see this screen, said before anyone connects (empty: fine)."""
    env = {**os.environ, "DISPLAY": display} if display else os.environ
    try:
        check_capturable(env)
    except UnsupportedSessionError:
        return tr(
            "This computer uses a Wayland session, which remote support cannot show to the "
            "agent. Log out and choose an X11 (Xorg) session on the login screen, then open "
            "this app again."
        )
    except CaptureError:
        return tr("This computer has no graphical desktop that remote support can show.")
    return ""


def field_label(key: str, given: str) -> str:
    labels = {
        "name": tr("Name"),
        "email": tr("Email"),
        "phone": tr("Phone"),
        "organization": tr("Organization"),
    }
    return labels[key] if key in STANDARD_FIELDS else given


def unreachable_text(seconds: int) -> str:
    return tr("The server cannot be reached. Retrying in {seconds} s.").format(seconds=seconds)


def unsafe_text(kind: str) -> Callable[[int], str]:
    """Why the app refused the server (``presence.NOT_TRUSTED`` or ``INSECURE``), for the
    countdown to its next, slow, try."""

    def text(seconds: int) -> str:
        if kind == NOT_TRUSTED:
            why = tr(
                "The server's security certificate is not trusted, so this app will not "
                "connect to it. Ask your support team to check the server's certificate."
            )
        else:
            why = tr(
                "The server's address is not encrypted (http://), so this app will not "
                "connect to it. Ask your support team for an https:// address."
            )
        return why + " " + tr("Trying again in {seconds} s.").format(seconds=seconds)

    return text
