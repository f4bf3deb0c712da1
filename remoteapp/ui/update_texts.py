"""Why an update failed, said to people in the app's language.

The update's errors carry English details for the log (a path, an OS error, python-tuf's
class name); the status line said them after "A atualização falhou:" in pt_BR. Each
error's ``why`` (``remoteapp.update.errors``) is said here as one translated sentence,
and what the user can do about it where there is something; the detail stays in the log.
"""

from __future__ import annotations

from collections.abc import Callable

from remoteapp.ui.i18n import tr
from remoteapp.update.errors import UpdateError


def _known() -> dict[str, Callable[[], str]]:
    return {
        "withdrawn": lambda: tr("The offered version is no longer published."),
        "unverified": lambda: tr(
            "The downloaded version did not pass the signature check; nothing was changed."
        ),
        "network": lambda: tr(
            "The update server could not be reached or refused the download; "
            "try again later with the update icon."
        ),
        "too-slow": lambda: tr(
            "The download was too slow and was stopped; try again later with the update icon."
        ),
        "disk": lambda: tr(
            "The new version could not be saved on this computer (disk full or no "
            "permission); try again with the update icon once there is room."
        ),
        "not-runnable": lambda: tr(
            "The published version is not a program this system can run; nothing was changed."
        ),
        "cannot-replace": lambda: tr(
            "The new version could not be put in place (no permission to change the "
            "app's file?); this version keeps running."
        ),
        "cannot-start": lambda: tr(
            "The new version was installed but did not start; it is the one that opens next time."
        ),
    }


def update_failure_text(exc: BaseException) -> str:
    """The status line for a failed update: what failed, in one translated sentence."""
    why = exc.why if isinstance(exc, UpdateError) else ""
    said = _known().get(why)
    text = said() if said is not None else tr("An unexpected error occurred (see the log).")
    return tr("The update failed. {reason}").format(reason=text)
