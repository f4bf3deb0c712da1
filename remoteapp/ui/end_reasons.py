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

from remoteapp.secure import handshake as h
from remoteapp.session.presence import UNUSABLE_OFFER_REASON
from remoteapp.ui.i18n import tr
from remotewire import constants as c

_SECONDS = re.compile(r"(?P<what>peer silent for|the other side took no data for) (?P<s>[\d.]+) s")
_HANDSHAKE_TIME = re.compile(r"the other side did not complete the secure handshake in [\d.]+ s")
_BROKEN_HANDSHAKE = re.compile(  # (the peer's bytes or words follow: in the logs)
    r"(malformed \w+ handshake message|unknown handshake message|bad SPAKE2 message"
    r"|bad Noise message|the other side broke off the handshake)\b.*"
)
_CUT_RECORD = re.compile(r"connection lost inside an encrypted record \(\d+ bytes cut short\)")
_STOPPED_READING = re.compile(r"the other side stopped reading \(\d+ events waiting to be sent\)")
_PREFIXES: tuple[tuple[str, Callable[[], str]], ...] = (  # (the details follow: in the logs)
    # the secure channel's (remoteapp.secure.channel's ChannelBroken): the library's own
    # failure first, then a record altered, replayed, dropped or reordered on the way
    (
        "the encrypted stream broke: the crypto library failed",
        lambda: tr("This computer's encryption library failed: connect again."),
    ),
    (
        "the encrypted stream broke:",
        lambda: tr(
            "The session's encrypted data was altered or lost on the way (a faulty network "
            "or someone in between): connect again."
        ),
    ),
    ("protocol error:", lambda: tr("The other side's app sent data this app does not understand.")),
    ("customer cannot share the screen:", lambda: tr("The customer's screen cannot be shared.")),
)


def _known() -> dict[str, Callable[[], str]]:
    """Each reason the apps give (``remoteapp.session``, ``remoteapp.secure``'s handshake,
    ``remoteapp.ui``), by its words, and each the server records
    (``helpdesk.lifecycle.END_REASONS``: what a record left open by a stopped app is
    completed with). tests/ui/test_end_reasons.py walks the code for every one."""
    return {
        c.END_BY_USER: lambda: tr("A participant ended the session."),
        c.END_RELAY_CLOSED: lambda: tr("The relay closed the session."),
        c.END_UNREPORTED: lambda: tr("The session ended; the relay did not report how."),
        c.END_NOT_JOINED: lambda: tr("The session did not start: a side did not join in time."),
        c.END_RELAY_LOST: lambda: tr("The relay serving the session stopped answering."),
        c.END_CUSTOMER_BUSY: lambda: tr(
            "The customer was still in another session, which went on: connect again later."
        ),
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
        # the secure handshake's (remoteapp.secure): a wrong password above all
        h.AGENT_MISMATCH: lambda: tr(
            "The password does not match: check its last characters with the customer."
        ),
        h.CUSTOMER_MISMATCH: lambda: tr(
            "The password the agent typed does not match: read it to the agent again, the "
            "last characters too."
        ),
        h.KEY_MISMATCH: lambda: tr(
            "The two apps were given different session keys (a broken or lying server?): "
            "connect again."
        ),
        h.CLEAR_PEER: lambda: tr(
            "The other side sent unencrypted session data (an app from before end-to-end "
            "encryption?): update the app on both computers."
        ),
        h.MODE_MISMATCH: lambda: tr(
            "The two sides disagree on how this session is secured: connect again."
        ),
        "the connection closed during the handshake": lambda: tr(
            "The connection closed during the secure handshake."
        ),
        "the session was closed during the secure handshake": lambda: tr(
            "The session was closed during the secure handshake."
        ),
        "the other side took no handshake data in time": lambda: tr(
            "The other side took no handshake data in time."
        ),
        "the customer's handshake message was altered in transit": lambda: tr(
            "The customer's handshake message was altered on the way: connect again."
        ),
        UNUSABLE_OFFER_REASON: lambda: tr(
            "The customer's app refused the session: its secrets were unusable."
        ),
    }


def end_reason_text(reason: str) -> str:
    """One sentence for ``reason``: translated if known, else the reason as it came."""
    if not reason:
        return tr("Session ended.")
    known = _known().get(reason)
    if known is not None:
        return known()
    if reason.startswith("connection lost:") or _CUT_RECORD.fullmatch(reason):
        return tr("The connection was lost.")  # (the OS's words, or the cut: in the logs)
    if _HANDSHAKE_TIME.fullmatch(reason):
        return tr("The other side did not complete the secure handshake in time.")
    if _BROKEN_HANDSHAKE.fullmatch(reason):
        return tr("The secure handshake with the other side failed: connect again.")
    for prefix, said in _PREFIXES:
        if reason.startswith(prefix):
            return said()
    if _STOPPED_READING.fullmatch(reason):
        return tr("The other side stopped reading what this side sent.")
    found = _SECONDS.fullmatch(reason)
    if found is not None and found["what"] == "peer silent for":
        return tr("Nothing came from the other side for {seconds} s.").format(seconds=found["s"])
    if found is not None:
        return tr("The other side took nothing for {seconds} s.").format(seconds=found["s"])
    return tr("Session ended: {reason}").format(reason=reason)
