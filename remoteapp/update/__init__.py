"""Self-update (no Qt here): ``client`` asks the server's TUF repository whether a newer
build exists and downloads it verified; ``replace`` swaps the executable and relaunches;
``bundle`` swaps a macOS ``.app`` folder for the one in the zipped update.

Errors::

    UpdateError                 (remoteapp.errors.RemoteappError)
    ├── UpdateCheckFailed       metadata refused (tampered, expired, rollback) or unreachable
    ├── UpdateDownloadFailed    the target did not match its signed length/hashes
    └── ReplaceFailed           the new executable could not be put in place (old kept)
"""

from remoteapp.update.errors import (
    ReplaceFailed,
    UpdateCheckFailed,
    UpdateDownloadFailed,
    UpdateError,
)

__all__ = ["ReplaceFailed", "UpdateCheckFailed", "UpdateDownloadFailed", "UpdateError"]
