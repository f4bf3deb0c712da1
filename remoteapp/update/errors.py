"""The update's error tree (drawn in ``remoteapp.update``)."""

from remoteapp.errors import RemoteappError


class UpdateError(RemoteappError):
    """The update could not be done; the running app is untouched."""


class UpdateCheckFailed(UpdateError):
    """The repository's metadata could not be fetched or was refused."""


class UpdateDownloadFailed(UpdateError):
    """The new build could not be downloaded or did not verify."""


class UpdateCancelled(UpdateError):
    """The user stopped the download; nothing was kept."""


class ReplaceFailed(UpdateError):
    """The new executable could not be put in place; the old one still runs."""


class NotRunnable(ReplaceFailed):
    """The signed build is not a program this OS can start (a wrong file published): it
    is refused before anything is replaced, since its signature only says who sent it."""
