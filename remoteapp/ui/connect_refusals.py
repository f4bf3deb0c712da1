"""What the agent's status line says when connecting failed for good (and the customer's
form, when the server refused it).

Branches on the server's error code (``remotewire.error_codes``), never on its message,
which is for people and may be reworded; a server or relay out of reach is said in a
sentence too, its detail (urllib3's or the OS's English) left to the log.  A wrong
password and a lock-out (429) are not here: the agent window asks again or counts down.
"""

from __future__ import annotations

from remoteapp.net import tls
from remoteapp.net.errors import HelpdeskError
from remoteapp.net.helpdesk import (
    Conflict,
    ErrorCode,
    NotAllowed,
)
from remoteapp.net.helpdesk_http import HelpdeskRejected, HelpdeskUnavailable, ServerNotTrusted
from remoteapp.secure import InvalidSecureParams
from remoteapp.ui.agent_records import RecordNotWritten
from remoteapp.ui.i18n import tr
from remotewire import constants as c
from remotewire.customer_fields import MAX_FIELD_LENGTH
from remotewire.errors import RelayRefused


def refusal_text(exc: Exception) -> str | None:
    """The sentence for a failed connect; None when ``exc`` is a bug to report."""
    code = exc.code if isinstance(exc, HelpdeskRejected) else None
    if code == ErrorCode.CONNECT_CODE_EXPIRED:
        return tr(
            "This connect code has expired: copy the customer again from the monitoring page."
        )
    if code == ErrorCode.BAD_CONNECT_CODE:
        return tr(
            "This connect code was issued to another agent or is damaged: "
            "copy the customer again from the monitoring page."
        )
    if code == ErrorCode.CUSTOMER_OFFLINE:
        return tr("The partner is not online: ask them to open the app.")
    if code == ErrorCode.CUSTOMER_BUSY:
        return tr("The partner is already in a session.")
    if code == ErrorCode.NOT_AN_AGENT:
        return tr("Only agents can connect.")
    if code == ErrorCode.NOT_APP_AGENT:
        return tr(
            "You are not an agent of this app: ask an administrator to add you to its agents."
        )
    if isinstance(exc, NotAllowed):  # (a code this app does not know yet: the server's words)
        return tr("Not allowed: {reason}").format(reason=exc.message)
    if isinstance(exc, Conflict):
        return tr("Cannot connect: {reason}").format(reason=exc.message)
    return _link_text(exc)


def form_refusal_text(code: str | None) -> str:
    """The customer's form refused by the server (a 400/422), by its error code."""
    if code == ErrorCode.MISSING_FIELDS:
        return tr(
            "The support team asks for details this form does not show: ask them to "
            "update this app."
        )
    if code == ErrorCode.INVALID_INPUT:
        return tr(
            "The server did not accept these details: check that no field is longer than "
            "{length} characters, then try again."
        ).format(length=MAX_FIELD_LENGTH)
    return tr("The server did not accept these details: check them and try again.")


def _link_text(exc: Exception) -> str | None:
    """A server or relay that could not be used, said in a sentence by its kind (the
    detail, urllib3's or the OS's English, is logged by the caller).  Every ``OSError``
    of a connect is the relay's: the helpdesk's are ``HelpdeskError``, the open record's
    ``RecordNotWritten``."""
    if isinstance(exc, RecordNotWritten):
        return tr(
            "The session's record could not be saved on this computer (disk full or no "
            "permission): not connecting."
        )
    if isinstance(exc, InvalidSecureParams):  # the grant's session key or ids (a ValueError)
        return tr(
            "The helpdesk server sent unusable secrets for this session: connect again; if "
            "it repeats, tell the server's administrator."
        )
    if isinstance(exc, ServerNotTrusted):
        return tr("The helpdesk server's certificate is not trusted: not connecting.")
    if isinstance(exc, HelpdeskUnavailable):
        return tr("The helpdesk server cannot be reached now: try again in a moment.")
    if isinstance(exc, RelayRefused) and exc.reason == c.REFUSE_PARK_TIMEOUT:
        return tr("The partner's app did not join the session in time: try again.")
    if isinstance(exc, RelayRefused) and exc.reason == c.REFUSE_SESSION_ENDED:
        # (the server ended the offer while this side waited: the partner was still in a
        # session a cut had hidden from it, ``customer-busy``; its app could not take the
        # offer; an administrator ended it)
        return tr(
            "The session was ended before the partner joined it: the partner may be in "
            "another session, or their app could not take it."
        )
    if isinstance(exc, RelayRefused):
        return tr("The session's relay refused the connection: try again in a moment.")
    if isinstance(exc, tls.NotTrusted):
        return tr("The session relay's certificate is not trusted: not connecting.")
    if isinstance(exc, tls.InsecureRefused):
        return tr("The session's relay is not encrypted, which this app does not allow.")
    if isinstance(exc, OSError):  # refused, no route, timed out, a TLS handshake cut...
        return tr("The session's relay cannot be reached now: try again in a moment.")
    if isinstance(exc, HelpdeskError):
        return tr("Cannot connect: {reason}").format(reason=exc)
    return None
