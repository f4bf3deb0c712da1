"""Why the app could not learn whose it is, said to the customer in the app's language.

A first start fetches the company's signed profile (``remoteapp.branding.identity``).
Its errors carry English details for the log (a URL, urllib3's words); the window said
them after "Este aplicativo não pode iniciar:" to a customer in pt_BR.  Each error's
``why`` is said here as one translated sentence, with what the customer can do.
"""

from __future__ import annotations

from collections.abc import Callable

from remoteapp.branding.identity import IdentityError
from remoteapp.ui.i18n import tr


def _known() -> dict[str, Callable[[], str]]:
    return {
        "unknown-app": lambda: tr("No company has this code."),
        "unreachable": lambda: tr(
            "The support server cannot be reached. Check this computer's internet connection."
        ),
        "server-error": lambda: tr("The support server cannot answer right now."),
        "not-trusted": lambda: tr(
            "The support server's certificate is not trusted. Check this computer's date "
            "and time, or ask your network's administrator."
        ),
        "insecure": lambda: tr(
            "The support server's address is not secure (http://); this app will not use it. "
            "Ask the company for a new download link."
        ),
        "refused": lambda: tr(
            "This app's company settings could not be verified. Download the app again "
            "from the company's link."
        ),
    }


def identity_failure_text(exc: BaseException) -> str:
    """One sentence for a failed look-up of the app's company."""
    why = exc.why if isinstance(exc, IdentityError) else ""
    said = _known().get(why)
    return said() if said is not None else tr("An unexpected error occurred (see the log).")


def worth_retrying(exc: BaseException) -> bool:
    """A failure that a later try may not have: the link's, the server's, or a
    certificate (a hotel's or a café's network intercepts HTTPS until one logs in)."""
    return isinstance(exc, IdentityError) and exc.why in (
        "unreachable",
        "server-error",
        "not-trusted",
    )
