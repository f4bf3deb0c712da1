"""Why a session ended, said to people in the app's language.

The session's end reasons are English on purpose: the Bye carries them over the wire
(``remotewire``), the server stores them as the session's ``end_reason``, and the logs
and tests read them. People read them here, turned into a translated sentence: the
viewer's badge and the ticket's action said "customer ended the session" in pt_BR. A
reason this app does not know (a newer peer's, an error's text) is shown as it came.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from remoteapp.ui.i18n import tr
from remotewire import constants as c

_SECONDS = re.compile(r"(?P<what>peer silent for|the other side took no data for) (?P<s>[\d.]+) s")


def _known() -> dict[str, Callable[[], str]]:
    """Each reason the apps give (``remoteapp.session``, ``remoteapp.ui``), by its words,
    and each the server records (``helpdesk.lifecycle.END_REASONS``: what a record left
    open by a stopped app is completed with)."""
    return {
        c.END_BY_USER: lambda: tr("A participant ended the session."),
        c.END_RELAY_CLOSED: lambda: tr("The relay closed the session."),
        c.END_UNREPORTED: lambda: tr("The session ended; the relay did not report how."),
        c.END_NOT_JOINED: lambda: tr("The session did not start: a side did not join in time."),
        c.END_RELAY_LOST: lambda: tr("The relay serving the session stopped answering."),
        c.END_RELAY_SHUTDOWN: lambda: tr("The relay serving the session shut down."),
        c.END_IDLE: lambda: tr("The session ended after a long time without activity."),
        c.END_AGENT_LEFT: lambda: tr("The agent left the session."),
        c.END_CUSTOMER_LEFT: lambda: tr("The customer left the session."),
        c.END_AGENT_CONNECTION_LOST: lambda: tr("The agent's connection was lost."),
        c.END_CUSTOMER_CONNECTION_LOST: lambda: tr("The customer's connection was lost."),
        c.END_BY_HELPDESK: lambda: tr("The helpdesk ended the session."),
        "agent ended the session": lambda: tr("The agent ended the session."),
        "customer ended the session": lambda: tr("The customer ended the session."),
        "customer closed the app": lambda: tr("The customer closed the app."),
        "the agent closed the app": lambda: tr("The agent closed the app."),
        "agent closed the viewer": lambda: tr("The agent closed the session's window."),
        "ended by the other side": lambda: tr("The other side ended the session."),
        "internal error": lambda: tr("The session ended on an internal error."),
        "connection lost": lambda: tr("The connection was lost."),
    }


def end_reason_text(reason: str) -> str:
    """One sentence for ``reason``: translated if known, else the reason as it came."""
    if not reason:
        return tr("Session ended.")
    known = _known().get(reason)
    if known is not None:
        return known()
    if reason.startswith("connection lost:"):  # (the OS's words follow: in the logs)
        return tr("The connection was lost.")
    found = _SECONDS.fullmatch(reason)
    if found is not None and found["what"] == "peer silent for":
        return tr("Nothing came from the other side for {seconds} s.").format(seconds=found["s"])
    if found is not None:
        return tr("The other side took nothing for {seconds} s.").format(seconds=found["s"])
    return tr("Session ended: {reason}").format(reason=reason)
