"""Self-update (no Qt here): ``client`` asks the server's TUF repository whether a newer
build exists and downloads it verified; ``replace`` swaps the executable and relaunches;
``bundle`` swaps a macOS ``.app`` folder for the one in the zipped update; ``runnable``
refuses a signed build that could not start.

Errors::

    UpdateError                 (remoteapp.errors.RemoteappError)
    ├── UpdateCheckFailed       metadata refused (tampered, expired, rollback) or unreachable
    ├── UpdateDownloadFailed    the target did not match its signed length/hashes, or too slow
    ├── UpdateCancelled         the user stopped the download
    └── ReplaceFailed           the new executable could not be put in place (old kept)
        └── NotRunnable         the build is not a program for this OS (old kept)

Each carries ``why``, a stable code of what failed (``errors.py``), which the app says in
the user's language; the message is the English detail, for the log.
"""

from remoteapp.update.errors import (
    NotRunnable,
    ReplaceFailed,
    UpdateCancelled,
    UpdateCheckFailed,
    UpdateDownloadFailed,
    UpdateError,
)

__all__ = [
    "NotRunnable",
    "ReplaceFailed",
    "UpdateCancelled",
    "UpdateCheckFailed",
    "UpdateDownloadFailed",
    "UpdateError",
]
