"""The update's error tree (drawn in ``remoteapp.update``)."""

from remoteapp.errors import RemoteappError

DOWNLOAD_WHYS = ("withdrawn", "unverified", "network", "too-slow", "disk")
"""Why a download failed: the offered build no longer published; it (or the metadata
naming it) did not verify; the server unreachable or refusing; slower than its deadline;
the file not writable here."""


class UpdateError(RemoteappError):
    """The update could not be done; the running app is untouched.

    ``why`` is a stable code for what went wrong, for the app to say it in the user's
    language (``remoteapp.ui.update_texts``); the message is the English detail, for the
    log.  Each class has its default; a raise names a narrower one where it knows it."""

    why = "failed"

    def __init__(self, message: str = "", why: str | None = None) -> None:
        super().__init__(message)
        if why is not None:
            self.why = why


class UpdateCheckFailed(UpdateError):
    """The repository's metadata could not be fetched or was refused."""

    why = "check-failed"


class UpdateDownloadFailed(UpdateError):
    """The new build could not be downloaded or did not verify: ``why`` is one of
    ``DOWNLOAD_WHYS``."""

    why = "network"


class UpdateCancelled(UpdateError):
    """The user stopped the download; nothing was kept."""

    why = "cancelled"


class ReplaceFailed(UpdateError):
    """The new executable could not be put in place; the old one still runs (or, with
    ``why`` "cannot-start", it is in place but did not start)."""

    why = "cannot-replace"


class NotRunnable(ReplaceFailed):
    """The signed build is not a program this OS can start (a wrong file published): it
    is refused before anything is replaced, since its signature only says who sent it."""

    why = "not-runnable"
