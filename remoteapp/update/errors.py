"""The update's error tree (drawn in ``remoteapp.update``)."""

from remoteapp.errors import RemoteappError


class UpdateError(RemoteappError):
    """The update could not be done; the running app is untouched."""


class UpdateCheckFailed(UpdateError):
    """The repository's metadata could not be fetched or was refused."""


class UpdateDownloadFailed(UpdateError):
    """The new build could not be downloaded or did not verify."""


class ReplaceFailed(UpdateError):
    """The new executable could not be put in place; the old one still runs."""
